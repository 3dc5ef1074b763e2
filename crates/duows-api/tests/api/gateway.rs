//! The gateway through the control API: its features, and keys created, listed (never shown
//! again) and revoked.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn gateway_keys_and_routes() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, info) = send_request(&s.app, get("/api/gateway")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["running"], false, "no gateway started in this test");
    assert_eq!(info["keys_required"], false);
    let features = info["features"].as_array().expect("features");
    assert_eq!(features.len(), 21);
    assert!(features
        .iter()
        .any(|f| f["alias"] == "duo-chat" && f["gitlab_identifier"] == "custom_openai/duo-chat"));

    let (status, body) = send_request(
        &s.app,
        with_json("POST", "/api/keys", r#"{"name":"bad name!"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "name");
    let (status, created) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/keys",
            r#"{"name":"gitlab","expires_in_days":30}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("dwk_"));
    assert!(created["key"]["expires_at"].as_u64().is_some());
    let (_, listed) = send_request(&s.app, get("/api/keys")).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are shown once only"
    );
    let file = std::fs::read_to_string(s.home.path().join("gateway-keys.json")).expect("key file");
    assert!(!file.contains(&secret), "only a hash is stored");
    let (_, info) = send_request(&s.app, get("/api/gateway")).await;
    assert_eq!(info["keys_required"], true);
    let (status, revoked) = send_request(
        &s.app,
        with_json("POST", "/api/keys/revoke", r#"{"id":"gitlab"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].as_u64().is_some());
    let (status, body) = send_request(
        &s.app,
        with_json("POST", "/api/keys/revoke", r#"{"id":"nobody"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["field"], "id");
}
