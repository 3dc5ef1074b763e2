//! Settings: a round trip, bad input that changes nothing, an unreadable file kept and reported,
//! and a save over another program's change refused.

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
        json!({"version": 3, "models_dir": null, "planned_hardware": null,
               "deployments": [], "features": {}, "disabled_features": [],
               "show_beta_features": false, "log_prompts": false})
    );

    let good = json!({"version": 3, "models_dir": null, "planned_hardware": "2xL40S"}).to_string();
    let (status, _) = send_request(&s.app, with_json("PUT", "/api/settings", &good)).await;
    assert_eq!(status, StatusCode::OK);
    let file = s.home.path().join("settings.json");
    let saved = std::fs::read(&file).expect("store file");

    let bad =
        json!({"version": 3, "models_dir": "not/absolute", "planned_hardware": null}).to_string();
    let (status, body) = send_request(&s.app, with_json("PUT", "/api/settings", &bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "models_dir");
    let unknown = json!({"version": 3, "colour": "red"}).to_string();
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
    let theirs = json!({"version": 3, "models_dir": null, "planned_hardware": "8xH100-80GB"});
    std::fs::write(&file, theirs.to_string()).expect("their save");

    let mine = json!({"version": 3, "models_dir": null, "planned_hardware": "1xL4"}).to_string();
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
