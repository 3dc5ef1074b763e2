//! The configuration exported and imported through the control API: a round trip keeps the
//! settings and the AI gateway's configuration and never carries a secret; an import with a
//! bad field names it and changes nothing.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn export_and_import_round_trip_without_secrets() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let settings = r#"{"version": 5, "deployments": [{"name": "remote", "endpoint": "http://10.0.0.5:8000/v1", "served_model": "m", "api_key_env": "REMOTE_KEY"}], "features": {"duo_chat": "remote"}}"#;
    let (status, body) = send_request(&s.app, with_json("PUT", "/api/settings", settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let setup = r#"{"config": {"gitlab_url": "https://gitlab.example.com", "gitlab_version": "18.6", "placement": "same_host"}}"#;
    let (status, body) =
        send_request(&s.app, with_json("POST", "/api/ai-gateway/setup", setup)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, export) = send_request(&s.app, get("/api/config")).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["format"], 1);
    assert_eq!(export["settings"]["features"]["duo_chat"], "remote");
    assert_eq!(export["ai_gateway"]["gitlab_version"], "18.6");
    assert!(
        export["secrets_not_included"][0]
            .as_str()
            .is_some_and(|s| s.starts_with("REMOTE_KEY")),
        "{export}"
    );
    assert!(!export.to_string().contains("PRIVATE KEY"));

    // Into another machine's data folder.
    let other = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let mut bad = export.clone();
    bad["settings"]["deployments"][0]["endpoint"] = "not a url".into();
    let (status, error) = send_request(
        &other.app,
        with_json(
            "POST",
            "/api/config/import",
            &serde_json::json!({"export": bad}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("export.settings.")),
        "{error}"
    );
    let (_, untouched) = send_request(&other.app, get("/api/settings")).await;
    assert_eq!(
        untouched["deployments"].as_array().map(Vec::len),
        Some(0),
        "nothing written"
    );
    let (status, imported) = send_request(
        &other.app,
        with_json(
            "POST",
            "/api/config/import",
            &serde_json::json!({"export": export}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["settings"], export["settings"]);
    assert_eq!(imported["ai_gateway"], export["ai_gateway"]);
    assert!(
        other.home.path().join("ai-gateway/run.sh").is_file(),
        "the AI gateway's files and keys are made here"
    );
}

#[tokio::test]
async fn an_export_of_the_previous_format_imports_and_keeps_this_machines_network_switch() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    // Settings format 4 (before the network switch), and one from a machine that was open.
    for settings in [
        serde_json::json!({"version": 4, "features": {}, "log_prompts": true}),
        serde_json::json!({"version": 5, "log_prompts": true, "gateway_open_to_network": true}),
    ] {
        let export = serde_json::json!({"export": {"format": 1, "written_by": "Duo Workstation 0.1.0",
            "settings": settings, "ai_gateway": null, "secrets_not_included": []}});
        let (status, imported) = send_request(
            &s.app,
            with_json("POST", "/api/config/import", &export.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{imported}");
        assert_eq!(imported["settings"]["version"], 5);
        assert_eq!(imported["settings"]["log_prompts"], true);
        assert_eq!(
            imported["settings"]["gateway_open_to_network"], false,
            "the network switch stays this machine's"
        );
    }
}
