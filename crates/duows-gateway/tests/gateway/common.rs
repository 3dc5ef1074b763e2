//! Shared pieces of the gateway tests: mock engines on real sockets, a running gateway, and
//! a client that never goes through a proxy.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::Router;
use duows_gateway::{
    Alias, Deployment, Gateway, GatewayConfig, KeyStore, Readiness, RouteTable, Secret,
};

/// Serves `router` on a fresh loopback port.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    addr
}

/// A request as a mock engine received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What a mock engine saw, and when it sent what.
#[derive(Debug, Default)]
pub struct Recorder {
    pub requests: Mutex<Vec<Seen>>,
    pub sent: Mutex<Vec<Instant>>,
    /// Set when an answer stream was dropped before it ended (its client went away).
    pub dropped: AtomicBool,
}

impl Recorder {
    pub fn record(&self, path: &str, headers: &HeaderMap, body: &Bytes) {
        self.requests.lock().expect("lock").push(Seen {
            path: path.to_owned(),
            headers: headers.clone(),
            body: body.clone(),
        });
    }

    pub fn last(&self) -> Seen {
        self.requests
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("the engine received a request")
    }

    pub fn mark_sent(&self) {
        self.sent.lock().expect("lock").push(Instant::now());
    }

    pub fn sent(&self) -> Vec<Instant> {
        self.sent.lock().expect("lock").clone()
    }
}

/// A deployment of `served` at `addr`.
pub fn deployment(name: &str, served: &str, addr: SocketAddr) -> Deployment {
    Deployment {
        name: name.into(),
        served_model: served.into(),
        base_url: format!("http://{addr}/v1"),
        api_key: Some(Secret::new("engine-key")),
        readiness: Readiness::Ready,
        listing: None,
        replicas: Vec::new(),
    }
}

/// One deployment `qwen` (serving `Qwen/Qwen3-8B`) behind the alias `duo-chat`.
pub fn table(addr: SocketAddr) -> RouteTable {
    RouteTable {
        deployments: vec![deployment("qwen", "Qwen/Qwen3-8B", addr)],
        aliases: vec![
            Alias {
                name: "duo-chat".into(),
                target: Some("qwen".into()),
            },
            Alias {
                name: "duo-code".into(),
                target: None,
            },
        ],
    }
}

/// A running gateway and what a test needs to talk to it.
pub struct Running {
    pub gateway: Gateway,
    pub url: String,
    pub keys: KeyStore,
    pub keys_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// Starts a gateway with `config` (a fresh, empty key file) routing to `table`.
pub async fn gateway(config: GatewayConfig, table: RouteTable) -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys_path = dir.path().join("keys.json");
    let keys = KeyStore::open(keys_path.clone()).expect("open keys");
    let gateway = Gateway::new(config, keys.clone());
    gateway.set_routes(table);
    let addr = serve(gateway.router()).await;
    Running {
        gateway,
        url: format!("http://{addr}"),
        keys,
        keys_path,
        _dir: dir,
    }
}

/// A client that talks straight to loopback.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// Waits until `check` holds, for at most `limit`.
pub async fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

/// Parses a JSON body.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("expected JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// The error code of an OpenAI error body.
pub fn error_code(bytes: &[u8]) -> String {
    json(bytes)["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned()
}

/// The error message of an OpenAI error body.
pub fn error_message(bytes: &[u8]) -> String {
    json(bytes)["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_owned()
}

/// Keeps a shared recorder for a mock's handlers.
pub fn recorder() -> Arc<Recorder> {
    Arc::new(Recorder::default())
}
