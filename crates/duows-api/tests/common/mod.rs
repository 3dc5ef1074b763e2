//! What the API's integration tests share: a state over described hardware, and requests
//! sent through the real router without a socket.
#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use duows_api::{ApiState, StateOptions};
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
