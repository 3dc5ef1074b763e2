//! Who gets in: `Host` and `Origin` checks, API keys (required once one exists, revoked and
//! expired ones refused, keys made by another process picked up), and the bind check.

use std::net::SocketAddr;
use std::time::Duration;

use duows_gateway::{check_bind, GatewayConfig, GatewayError, KeyStore, RouteTable};

use crate::common::{client, error_code, error_message, gateway, recorder, serve, table};
use crate::mocks;

const BODY: &str = r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_and_origins_are_refused() {
    let engine = serve(mocks::answering(recorder())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("host", "evil.example")
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 403);
    assert!(response.headers().contains_key("x-request-id"));
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "forbidden_host");
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("origin", "https://evil.example")
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 403);
    assert_eq!(
        error_code(&response.bytes().await.expect("body")),
        "forbidden_origin"
    );
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("host", "localhost:1234")
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "local names are fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_required_once_one_exists() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let open = client()
        .post(gw.at("/v1/chat/completions"))
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(open.status(), 200, "no keys yet: loopback is open");

    let (_, key) = gw.keys.create("laptop", None).expect("create key");
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "missing_api_key");
    assert!(error_message(&body).contains("Authorization: Bearer"));

    let wrong = format!("{}x", &key.expose()[..key.expose().len() - 1]);
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .bearer_auth(&wrong)
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "invalid_api_key");
    assert!(
        !String::from_utf8_lossy(&body).contains(&wrong),
        "the key is not echoed"
    );
    assert_eq!(json_type(&body), "authentication_error");

    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .bearer_auth(key.expose())
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_ne!(
        rec.last().headers["authorization"],
        format!("Bearer {}", key.expose()).as_str(),
        "the client's key never reaches the engine"
    );
    let models = client()
        .get(gw.at("/v1/models"))
        .send()
        .await
        .expect("send");
    assert_eq!(models.status(), 401);
    let health = client().get(gw.at("/health")).send().await.expect("send");
    assert_eq!(health.status(), 200, "health needs no key");
    let metrics = client().get(gw.at("/metrics")).send().await.expect("send");
    assert_eq!(metrics.status(), 200, "metrics need no key on loopback");
}

fn json_type(body: &[u8]) -> String {
    crate::common::json(body)["error"]["type"]
        .as_str()
        .expect("type")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_keys_are_refused() {
    let engine = serve(mocks::answering(recorder())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let (_, keep) = gw.keys.create("keep", None).expect("create");
    let (_, revoked) = gw.keys.create("gone", None).expect("create");
    let now = duows_base::clock::now_secs();
    let (_, expiring) = gw.keys.create("short", Some(now + 1)).expect("create");
    gw.keys.revoke("gone").expect("revoke");
    let call = |key: String| {
        let url = gw.at("/v1/chat/completions");
        async move {
            let response = client()
                .post(url)
                .bearer_auth(key)
                .body(BODY)
                .send()
                .await
                .expect("send");
            let status = response.status().as_u16();
            (status, response.bytes().await.expect("body"))
        }
    };
    let (status, body) = call(revoked.expose().to_owned()).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "revoked_api_key");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = call(expiring.expose().to_owned()).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "expired_api_key");
    assert_eq!(call(keep.expose().to_owned()).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_changed_by_another_process_take_effect() {
    let engine = serve(mocks::answering(recorder())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let (_, first) = gw.keys.create("first", None).expect("create");
    // `duows keys create` in another process: its own store on the same file.
    let cli = KeyStore::open(gw.keys_path.clone()).expect("open");
    let (_, key) = cli.create("from-cli", None).expect("create");
    let call = |key: String| {
        let url = gw.at("/v1/chat/completions");
        async move {
            client()
                .post(url)
                .bearer_auth(key)
                .body(BODY)
                .send()
                .await
                .expect("send")
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        call(key.expose().to_owned()).await,
        200,
        "a new key works at once"
    );
    cli.revoke("from-cli").expect("revoke");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        call(key.expose().to_owned()).await,
        401,
        "revoked within about a second"
    );
    assert_eq!(call(first.expose().to_owned()).await, 200);
    cli.revoke("first").expect("revoke");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        call("sk-placeholder".to_owned()).await,
        200,
        "no active key left: loopback is open again, whatever key is sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_loopback_needs_keys_to_start_and_for_metrics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = KeyStore::open(dir.path().join("keys.json")).expect("open");
    let public: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    let error = check_bind(public, &keys).expect_err("refused without keys");
    assert!(matches!(error, GatewayError::KeysRequired { .. }));
    assert!(
        error.to_string().contains("duows keys create --name N"),
        "{error}"
    );
    check_bind("127.0.0.1:8080".parse().expect("addr"), &keys).expect("loopback is fine");
    check_bind("[::1]:8080".parse().expect("addr"), &keys).expect("loopback is fine");
    keys.create("lan", None).expect("create");
    check_bind(public, &keys).expect("allowed once a key exists");

    let config = GatewayConfig {
        loopback: false,
        ..GatewayConfig::default()
    };
    let gw = gateway(config, RouteTable::default()).await;
    let metrics = client().get(gw.at("/metrics")).send().await.expect("send");
    assert_eq!(metrics.status(), 401);
    let models = client()
        .get(gw.at("/v1/models"))
        .send()
        .await
        .expect("send");
    assert_eq!(models.status(), 401, "off loopback /v1 always needs a key");
    let (_, key) = gw.keys.create("lan", None).expect("create");
    let metrics = client()
        .get(gw.at("/metrics"))
        .bearer_auth(key.expose())
        .send()
        .await
        .expect("send");
    assert_eq!(metrics.status(), 200);
}
