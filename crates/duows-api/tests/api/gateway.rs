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
    assert_eq!(features.len(), 22);
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

#[tokio::test]
async fn a_deployment_test_checks_it_now_and_the_gateway_view_shows_the_result() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(
        &s.app,
        with_json("POST", "/api/deployments/test", r#"{"name":"gpu-2"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "unknown_deployment");
    assert_eq!(body["field"], "name");

    let (_, mut settings) = send_request(&s.app, get("/api/settings")).await;
    settings["deployments"] = serde_json::json!([{
        "name": "gpu-2", "endpoint": "http://127.0.0.1:9/v1", "served_model": "m", "api_key_env": null
    }]);
    let (status, _) = send_request(
        &s.app,
        with_json("PUT", "/api/settings", &settings.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, check) = send_request(
        &s.app,
        with_json("POST", "/api/deployments/test", r#"{"name":"gpu-2"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["reachability"], "unreachable");
    assert!(check["message"]
        .as_str()
        .is_some_and(|m| m.contains("cannot connect")));
    let (_, info) = send_request(&s.app, get("/api/gateway")).await;
    let shown = info["deployments"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["name"] == "gpu-2"))
        .cloned()
        .expect("listed");
    assert_eq!(shown["status"], "unreachable");
    assert_eq!(shown["ready"], false);
}

#[tokio::test]
async fn replicas_are_checked_named_in_errors_and_shown() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    // A second server of the model, on loopback; the deployment's own endpoint is dead.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let replica = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let models = axum::Router::new().route(
        "/v1/models",
        axum::routing::get(|| async { r#"{"object":"list","data":[{"id":"m"}]}"# }),
    );
    tokio::spawn(async move { axum::serve(listener, models).await.expect("serve") });

    let (_, mut settings) = send_request(&s.app, get("/api/settings")).await;
    settings["deployments"] = serde_json::json!([{
        "name": "gpu-2", "endpoint": "http://127.0.0.1:9/v1", "served_model": "m",
        "replicas": [{"endpoint": "http://gpu-3:8000"}]
    }]);
    let (status, body) = send_request(
        &s.app,
        with_json("PUT", "/api/settings", &settings.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "deployments[0].replicas[0].endpoint");
    assert_eq!(body["fix"], "http://gpu-3:8000/v1");

    settings["deployments"][0]["replicas"] = serde_json::json!([{ "endpoint": replica }]);
    let (status, body) = send_request(
        &s.app,
        with_json("PUT", "/api/settings", &settings.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, check) = send_request(
        &s.app,
        with_json("POST", "/api/deployments/test", r#"{"name":"gpu-2"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["reachability"], "reachable", "{check}");
    assert!(check["message"]
        .as_str()
        .is_some_and(|m| m.contains("served by its replica") && m.contains("cannot connect")));
    let (_, info) = send_request(&s.app, get("/api/gateway")).await;
    let shown = info["deployments"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["name"] == "gpu-2"))
        .cloned()
        .expect("listed");
    assert_eq!(shown["replicas"][0]["endpoint"], replica.as_str());
    assert_eq!(shown["ready"], true);
}
