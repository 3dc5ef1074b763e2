//! The GitLab commands through the control API: inputs refused naming their field, apply
//! refused without confirmation, the steps to type by hand, and GitLab's errors as API codes.
//! (The GraphQL flow itself is tested against a test GitLab in duows-core.)

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;
use serde_json::json;

use crate::common::{fixture, send_request, server, with_json};

/// A port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test]
async fn gitlab_inputs_are_checked_before_anything_is_sent() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let url = format!("http://127.0.0.1:{}", closed_port());
    let body = |extra: serde_json::Value| {
        let mut base = json!({"url": url, "token": "glpat-secret-value", "endpoint_address": "gpu-box.example.com"});
        base.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        base.to_string()
    };
    let (status, error) = send_request(
        &s.app,
        with_json("POST", "/api/gitlab/apply", &body(json!({}))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "confirm");

    let (status, error) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/gitlab/plan",
            &body(json!({"endpoint_address": "localhost:8000"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["code"], "invalid_parameter");
    assert_eq!(error["field"], "endpoint_address");

    let (status, error) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/gitlab/plan",
            &body(json!({"model_api_key": "dwk_not_a_key"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "model_api_key");
    assert!(!error.to_string().contains("dwk_not_a_key"), "{error}");

    let (status, error) = send_request(
        &s.app,
        with_json("POST", "/api/gitlab/plan", &body(json!({}))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
    assert_eq!(error["code"], "gitlab_unreachable");
    assert_eq!(error["field"], "url");
    assert!(!error.to_string().contains("glpat-secret-value"), "{error}");
}

#[tokio::test]
async fn gitlab_steps_need_no_token() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, settings) = send_request(
        &s.app,
        with_json(
            "PUT",
            "/api/settings",
            r#"{"version": 5, "features": {"duo_chat": "mistral-7b-instruct-v0.3"}}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let (status, steps) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/gitlab/steps",
            r#"{"endpoint_address": "gpu-box.example.com:8000", "gitlab_version": "18.6"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{steps}");
    let text = steps.to_string();
    assert!(text.contains("duo-workstation-duo-chat"), "{text}");
    assert!(
        text.contains("http://gpu-box.example.com:8000/v1"),
        "{text}"
    );
    assert!(
        text.contains("custom_openai/duo-chat-explain-code"),
        "{text}"
    );
    let (status, error) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/gitlab/steps",
            r#"{"endpoint_address": "gpu-box", "gitlab_version": "16.0"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "gitlab_version");
}
