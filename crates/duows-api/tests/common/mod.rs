//! What the API's integration tests share: a state over described hardware (a spec or a
//! fixture file), the router over it, and requests sent through it without a socket.
#![allow(dead_code)] // each test binary uses its own part

pub mod hub;

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use duows_api::access::AccessPolicy;
use duows_api::{http, ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::{DescribedProbe, HardwareDescription};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A state in `home` that plans for the hardware `spec` describes.
pub fn described_state(spec: &str, home: &std::path::Path) -> ApiState {
    ApiState::new(StateOptions {
        data_dir: DataDir::at(home),
        probe: Arc::new(DescribedProbe::new(
            HardwareDescription::from_spec(spec).expect("spec"),
        )),
    })
}

/// The router over a state that plans for `spec`, on loopback (no token).
pub fn described(spec: &str, home: &std::path::Path) -> Router {
    http::app(
        described_state(spec, home),
        AccessPolicy::loopback(),
        Router::new(),
    )
}

/// Waits (up to 10 s) until engine `name` is in `state`; its status then.
pub async fn wait_for_state(app: &Router, name: &str, state: &str) -> Value {
    for _ in 0..200 {
        let (_, engines) = send(app, "GET", "/api/engines", None).await;
        if let Some(engine) = engines
            .as_array()
            .and_then(|all| all.iter().find(|e| e["name"] == name))
        {
            if engine["state"] == state {
                return engine.clone();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{name} never became {state}");
}

/// Sends `method path` with an optional JSON body; the status and the JSON answer (null
/// when the answer is not JSON).
pub async fn send(
    app: &Router,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8765")
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    send_request(app, request).await
}

/// Sends `request` as it is; the status and the JSON answer (null when the answer is not JSON).
pub async fn send_request(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The hardware description in `fixtures/hardware/name`.
pub fn fixture(name: &str) -> HardwareDescription {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/hardware")
        .join(name);
    HardwareDescription::from_file(&path).expect("fixture")
}

/// The control API behind its access guard, with no web UI, over a fresh data folder.
pub struct Server {
    pub app: Router,
    pub home: tempfile::TempDir,
}

/// A [`Server`] that plans for `description` and lets in whom `policy` lets in.
pub fn server(description: HardwareDescription, policy: AccessPolicy) -> Server {
    let home = tempfile::tempdir().expect("temp home");
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::at(home.path()),
        probe: Arc::new(DescribedProbe::new(description)),
    });
    let app = http::app(state, policy, Router::new());
    Server { app, home }
}

/// `GET path` from the loopback host.
pub fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "127.0.0.1:8765")
        .body(Body::empty())
        .expect("request")
}

/// `method path` from the loopback host with `body` as JSON text, sent as it is (it may be
/// malformed on purpose).
pub fn with_json(method: &str, path: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8765")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}
