//! Settings: a round trip, bad input that changes nothing, an unreadable file kept and reported,
//! a save over another program's change refused, and deployments held to GitLab's rules with
//! their keys in the secret store.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::Router;
use duows_api::access::AccessPolicy;
use duows_api::{http, ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::DescribedProbe;
use serde_json::{json, Value};

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn settings_round_trip_and_bad_input_changes_nothing() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(&s.app, get("/api/settings")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"version": 5, "models_dir": null, "planned_hardware": null,
               "deployments": [], "features": {}, "disabled_features": [],
               "show_beta_features": false, "log_prompts": false,
               "gateway_open_to_network": false})
    );

    let good = json!({"version": 5, "models_dir": null, "planned_hardware": "2xL40S"}).to_string();
    let (status, _) = send_request(&s.app, with_json("PUT", "/api/settings", &good)).await;
    assert_eq!(status, StatusCode::OK);
    let file = s.home.path().join("settings.json");
    let saved = std::fs::read(&file).expect("store file");

    let bad =
        json!({"version": 5, "models_dir": "not/absolute", "planned_hardware": null}).to_string();
    let (status, body) = send_request(&s.app, with_json("PUT", "/api/settings", &bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "models_dir");
    let unknown = json!({"version": 5, "colour": "red"}).to_string();
    let (status, body) = send_request(&s.app, with_json("PUT", "/api/settings", &unknown)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"]
        .as_str()
        .expect("message")
        .contains("colour"));

    assert_eq!(
        std::fs::read(&file).expect("store file"),
        saved,
        "file untouched"
    );
    let (_, body) = send_request(&s.app, get("/api/settings")).await;
    assert_eq!(body["planned_hardware"], "2xL40S", "memory untouched");
}

#[tokio::test]
async fn an_unreadable_settings_file_is_reported_not_replaced() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("settings.json"), "{oops").expect("write");
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::at(home.path()),
        probe: Arc::new(DescribedProbe::new(fixture("l4-24gb.json"))),
    });
    let app = http::app(state, AccessPolicy::loopback(), Router::new());
    let (_, body) = send_request(&app, get("/api/hardware")).await;
    let warnings = body["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w["code"] == "settings_unreadable"),
        "{body}"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("settings.json")).expect("kept"),
        "{oops"
    );
}

#[tokio::test]
async fn a_save_over_another_programs_change_is_refused_and_reloads() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (_, before) = send_request(&s.app, get("/api/settings")).await;
    assert_eq!(before["planned_hardware"], Value::Null);
    // The other program (the desktop app, say) saves meanwhile.
    let file = s.home.path().join("settings.json");
    let theirs = json!({"version": 5, "models_dir": null, "planned_hardware": "8xH100-80GB"});
    std::fs::write(&file, theirs.to_string()).expect("their save");

    let mine = json!({"version": 5, "models_dir": null, "planned_hardware": "1xL4"}).to_string();
    let (status, body) = send_request(&s.app, with_json("PUT", "/api/settings", &mine)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "settings_changed_elsewhere");
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("json");
    assert_eq!(
        on_disk["planned_hardware"], "8xH100-80GB",
        "their change survives"
    );
    let (_, now) = send_request(&s.app, get("/api/settings")).await;
    assert_eq!(
        now["planned_hardware"], "8xH100-80GB",
        "and is what the API shows"
    );
    let (status, _) = send_request(&s.app, with_json("PUT", "/api/settings", &mine)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after the reload a save goes through"
    );
}

#[tokio::test]
async fn deployments_follow_gitlabs_rules_with_the_fix_and_keys_never_come_back() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let put = |settings: Value| with_json("PUT", "/api/settings", &settings.to_string());
    // A missing /v1: the field, GitLab's reason and the corrected value.
    let (status, body) = send_request(
        &s.app,
        put(json!({"version": 5, "deployments": [
            {"name": "gpu-2", "endpoint": "http://gpu-2:8000", "served_model": "m"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "deployments.endpoint");
    assert_eq!(body["fix"], "http://gpu-2:8000/v1");
    // A family GitLab does not accept for a feature, in GitLab's words.
    let (status, body) = send_request(
        &s.app,
        put(json!({"version": 5,
            "deployments": [{"name": "gemma", "endpoint": "http://gpu-2:8000/v1",
                             "served_model": "codegemma-7b", "family": "CODEGEMMA"}],
            "features": {"duo_chat": "gemma"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "features");
    assert_eq!(
        body["message"],
        "settings field `features` CodeGemma is incompatible with the General Chat feature"
    );
    // An Azure deployment's key goes to the secret store and is never returned.
    let azure = json!({"version": 5, "deployments": [{"name": "team-gpt",
        "platform": "azure_openai", "endpoint": "https://team.openai.azure.com",
        "served_model": "gpt-4o"}]});
    let (status, _) = send_request(&s.app, put(azure)).await;
    assert_eq!(status, StatusCode::OK);
    let key = "azure-key-0123456789abcdef";
    let (status, body) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/deployments/key",
            &json!({"name": "team-gpt", "key": key}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deployments"][0]["api_key_stored"], true);
    let (_, gateway) = send_request(&s.app, get("/api/gateway")).await;
    let everything = format!("{body}{gateway}");
    assert!(!everything.contains(key), "{everything}");
    assert_eq!(gateway["deployments"][0]["key_source"], "secret store");
    assert_eq!(gateway["deployments"][0]["status"], "checked_by_gitlab");
    assert_eq!(gateway["deployments"][0]["ready"], false);
    let settings = std::fs::read_to_string(s.home.path().join("settings.json")).expect("file");
    assert!(!settings.contains(key));
    // Forgotten again on request.
    let (status, body) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/deployments/key",
            &json!({"name": "team-gpt", "key": null}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deployments"][0]["api_key_stored"], false);
}
