//! GitLab's AI gateway through the control API: a configuration refused by field, the files
//! generated with the keys kept out of every answer, the status before a container exists,
//! and the doctor's line following the setup.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn setup_status_and_the_doctor() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) =
        send_request(&s.app, with_json("POST", "/api/ai-gateway/start", "{}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "ai_gateway_not_set_up");
    let bad = r#"{"config": {"gitlab_url": "http://127.0.0.1:8080", "gitlab_version": "18.6", "placement": "same_host"}}"#;
    let (status, body) =
        send_request(&s.app, with_json("POST", "/api/ai-gateway/setup", bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "config.gitlab_url");
    let good = r#"{"config": {"gitlab_url": "https://gitlab.example.com", "gitlab_version": "19.1", "placement": "separate_host"}}"#;
    let (status, files) =
        send_request(&s.app, with_json("POST", "/api/ai-gateway/setup", good)).await;
    assert_eq!(status, StatusCode::OK, "{files}");
    assert!(files["image"]
        .as_str()
        .is_some_and(|i| i.ends_with(":self-hosted-v19.1.0-ee")));
    assert!(
        !files.to_string().contains("PRIVATE KEY"),
        "keys never in an answer"
    );
    let (status, view) = send_request(&s.app, get("/api/ai-gateway")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["config"]["placement"], "separate_host");
    assert!(
        view["health"].is_null(),
        "a separate host is checked there, not here"
    );
    let (_, report) = send_request(&s.app, get("/api/doctor")).await;
    let line = report["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["area"] == "ai_gateway").cloned())
        .expect("ai gateway line");
    assert_eq!(line["status"], "skip", "{line}");
    assert!(
        line["detail"]
            .as_str()
            .is_some_and(|d| d.contains("another machine")),
        "{line}"
    );
}
