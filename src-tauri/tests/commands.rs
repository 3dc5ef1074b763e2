//! The desktop commands through Tauri's IPC on the mock runtime (no display needed):
//! the same answers as the HTTP API, errors as `{ code, message, field }`.

use std::path::PathBuf;
use std::sync::Arc;

use duows_api::{ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::{DescribedProbe, HardwareDescription};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

fn app(home: &tempfile::TempDir) -> tauri::App<tauri::test::MockRuntime> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/hardware/2xa100-80gb-nvlink.json");
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::at(home.path()),
        probe: Arc::new(DescribedProbe::new(
            HardwareDescription::from_file(&path).expect("fixture"),
        )),
    });
    duo_workstation_lib::builder(mock_builder(), state)
        .build(tauri::generate_context!())
        .expect("app")
}

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|body| body.deserialize::<Value>().expect("JSON"))
}

#[test]
fn commands_answer_like_the_http_api() {
    let home = tempfile::tempdir().expect("home");
    let app = app(&home);
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");

    let version = invoke(&webview, "version", json!({})).expect("version");
    assert_eq!(version["name"], "Duo Workstation");

    let report = invoke(&webview, "hardware", json!({})).expect("hardware");
    assert_eq!(report["gpus"].as_array().expect("gpus").len(), 2);
    assert_eq!(report["driver"]["status"], "described");

    let planned =
        invoke(&webview, "describe_hardware", json!({"spec": "1xRTX4090"})).expect("plan");
    assert_eq!(planned["gpus"][0]["name"], "NVIDIA GeForce RTX 4090");

    let error =
        invoke(&webview, "describe_hardware", json!({"spec": "3xFOO"})).expect_err("bad spec");
    assert_eq!(error["code"], "invalid_hardware_spec");
    assert_eq!(error["field"], "spec");

    let fit = invoke(
        &webview,
        "fit",
        json!({"params": {"model": "gpt-oss-120b", "gpus": "1xH100-80GB", "context": 32768}}),
    )
    .expect("fit");
    assert_eq!(fit["fits"], json!(true));
    assert_eq!(fit["concurrency"].as_f64().map(f64::floor), Some(7.0));
    let rec = invoke(&webview, "recommend", json!({"params": {}})).expect("recommend");
    assert!(rec["models"].as_array().is_some_and(|m| !m.is_empty()));
    let error = invoke(&webview, "fit", json!({"params": {"model": "nope"}})).expect_err("unknown");
    assert_eq!(error["field"], "model");
    let catalog = invoke(&webview, "catalog", json!({})).expect("catalog");
    assert!(catalog["version"].is_string());

    let sample = invoke(&webview, "latest_sample", json!({})).expect("sample");
    assert_eq!(sample["gpus"][0]["utilization_gpu_percent"], 62);
}

#[test]
fn settings_are_validated_and_written_to_the_shared_store_file() {
    let home = tempfile::tempdir().expect("home");
    let app = app(&home);
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");

    let bad =
        json!({"settings": {"version": 5, "models_dir": "relative", "planned_hardware": null}});
    let error = invoke(&webview, "update_settings", bad).expect_err("refused");
    assert_eq!(error["field"], "models_dir");
    assert!(
        !home.path().join("settings.json").exists(),
        "nothing written"
    );

    let good =
        json!({"settings": {"version": 5, "models_dir": null, "planned_hardware": "2xL40S"}});
    invoke(&webview, "update_settings", good).expect("saved");
    // The file the headless program reads.
    let text = std::fs::read_to_string(home.path().join("settings.json")).expect("store file");
    let saved: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(saved["planned_hardware"], "2xL40S");
    let read = invoke(&webview, "settings", json!({})).expect("settings");
    assert_eq!(read, saved);
}

#[test]
fn capabilities_grant_exactly_the_commands_of_the_table() {
    let text = include_str!("../capabilities/default.json");
    let capability: Value = serde_json::from_str(text).expect("JSON");
    let mut granted: Vec<&str> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("string"))
        .collect();
    // Besides the app's commands, only the store plugin (disposable UI state).
    let plugins: Vec<&str> = granted
        .iter()
        .copied()
        .filter(|p| p.contains(':'))
        .collect();
    assert_eq!(plugins, vec!["store:default"]);
    granted.retain(|p| !p.contains(':'));
    granted.sort_unstable();
    let mut expected: Vec<String> = duows_api::contract::commands()
        .iter()
        .map(|c| c.permission())
        .collect();
    expected.sort_unstable();
    assert_eq!(
        granted, expected,
        "src-tauri/capabilities/default.json must grant each command of contract/commands.json, and the store plugin, nothing else"
    );
    assert_eq!(capability["windows"], json!(["main"]));
}

#[test]
fn every_command_of_the_table_has_a_handler() {
    let home = tempfile::tempdir().expect("home");
    let app = app(&home);
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    let mut missing = Vec::new();
    for command in duows_api::contract::commands() {
        if command.stream.is_some() {
            continue; // a subscription needs a channel; tested with the sample stream
        }
        // Empty arguments: a handler answers (perhaps that an argument is missing); a
        // command without one is "not found".
        if let Err(error) = invoke(&webview, &command.name, json!({})) {
            let text = error.to_string();
            if text.contains("not found") {
                missing.push(command.name.clone());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "commands of contract/commands.json without a Tauri handler (src-tauri/src/lib.rs): {missing:?}"
    );
}

#[test]
fn every_command_reads_its_example_arguments_by_the_tables_names() {
    let home = tempfile::tempdir().expect("home");
    let app = app(&home);
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    let mut misread = Vec::new();
    for command in duows_api::contract::commands() {
        if command.stream.is_some() {
            continue;
        }
        let example = command.example.clone().expect("an example");
        if let Err(error) = invoke(&webview, &command.name, example) {
            let text = error.to_string();
            // Tauri's words when an argument is missing or of the wrong shape.
            if text.contains("missing required key") || text.contains("invalid args") {
                misread.push(format!("{}: {text}", command.name));
            }
        }
    }
    assert!(
        misread.is_empty(),
        "the window's handlers did not read these arguments as the table says: {misread:#?}"
    );
}
