//! Engine calls that cannot start anything answer in the error shape, naming the field; a plan
//! hides the key.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;
use serde_json::json;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn engine_calls_answer_in_the_error_shape() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(&s.app, get("/api/engines")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([]));
    let (status, body) = send_request(&s.app, get("/api/engines/nope/logs?lines=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "lines");
    let (status, body) = send_request(&s.app, get("/api/engines/nope/logs")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "unknown_engine");
    let (status, body) = send_request(&s.app, with_json("POST", "/api/engines", "{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_parameter");
    let (status, body) = send_request(
        &s.app,
        with_json("POST", "/api/engines", r#"{"gguf":"/nonexistent.gguf"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "gguf");
    let start = r#"{"model":"gpt-oss-20b","gpus":"1xA100-40GB"}"#;
    let (status, body) = send_request(&s.app, with_json("POST", "/api/engines", start)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["field"], "gpus",
        "an engine starts on this machine only"
    );
    let both = r#"{"model":"gpt-oss-20b","gguf":"/x.gguf"}"#;
    let (status, body) = send_request(&s.app, with_json("POST", "/api/engine/plan", both)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "gguf");
    let plan = r#"{"model":"mistral-7b-instruct-v0.3","gpus":"1xA100-40GB"}"#;
    let (status, body) = send_request(&s.app, with_json("POST", "/api/engine/plan", plan)).await;
    assert_eq!(status, StatusCode::OK);
    let line = body["command_line"].as_str().expect("line");
    assert!(
        line.contains("VLLM_API_KEY=<hidden>") && line.contains("--tokenizer_mode mistral"),
        "{line}"
    );
}
