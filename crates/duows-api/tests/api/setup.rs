//! The setup wizard's calls through the control API: choices refused with the field and the
//! fix and the file left as it was; the steps' states read from the machine (a GGUF file on
//! disk counts as the weights, llama.cpp's Python as the engine); the system check's lines;
//! the test request refused with its reason when nothing is routed.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;
use serde_json::{json, Value};

use crate::common::{fixture, get, send_request, server, with_json};

fn step<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["progress"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {status}"))
}

#[tokio::test]
async fn a_fresh_machine_starts_at_welcome_and_bad_choices_name_the_field() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(&s.app, get("/api/setup")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["progress"]["current"], "welcome");
    assert_eq!(body["progress"]["steps"].as_array().map(Vec::len), Some(10));

    let refused = [
        (
            json!({"features": ["code_completions", "telepathy"]}),
            "features[1]",
            None,
        ),
        (json!({"model": "gpt-9"}), "model", None),
        (
            json!({"model": "llama-3.1-8b-instruct", "engine": "llama_cpp", "gguf": "Q9"}),
            "gguf",
            Some("Q4_K_M"),
        ),
        (
            json!({"model": "llama-3.1-8b-instruct", "weights_path": "models/mine"}),
            "weights_path",
            None,
        ),
    ];
    for (choices, field, fix) in refused {
        let body = json!({ "choices": choices }).to_string();
        let (status, error) = send_request(&s.app, with_json("PUT", "/api/setup", &body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{choices}: {error}");
        assert_eq!(error["field"], field, "{error}");
        assert_eq!(error["fix"].as_str(), fix, "{error}");
    }
    assert!(
        !s.home.path().join("setup.json").exists(),
        "nothing refused was written"
    );
    let (_, body) = send_request(
        &s.app,
        with_json("PUT", "/api/setup", r#"{"choices": {"path": "sideways"}}"#),
    )
    .await;
    assert_eq!(body["code"], "invalid_fields", "{body}");
    assert_eq!(body["field"], "choices.path", "{body}");
}

#[tokio::test]
async fn the_steps_follow_what_is_on_the_machine() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let gguf = s.home.path().join("own.gguf");
    std::fs::write(&gguf, b"GGUF").expect("gguf");
    let choices = json!({"choices": {
        "path": "own_weights",
        "checked_at_ms": 1,
        "features": ["code_completions", "duo_chat"],
        "model": "llama-3.1-8b-instruct",
        "engine": "llama_cpp",
        "weights_path": gguf,
    }});
    let (status, body) =
        send_request(&s.app, with_json("PUT", "/api/setup", &choices.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(step(&body, "welcome")["state"], "done");
    assert_eq!(step(&body, "model")["state"], "done");
    assert_eq!(
        step(&body, "weights")["state"],
        "done",
        "the own file is there: {body}"
    );
    assert_eq!(body["launch"]["gguf"], gguf.display().to_string());
    assert_eq!(body["launch"]["model"], "llama-3.1-8b-instruct");
    assert_eq!(body["engine_name"], "llama-3.1-8b-instruct");
    assert!(body["download"].is_null(), "own weights download nothing");
    // Whether the engine counts as installed depends on this machine's llama.cpp Python; the
    // launch step waits either way until an engine is ready.
    assert_ne!(step(&body, "launch")["state"], "done");
    assert!(matches!(
        body["progress"]["current"].as_str(),
        Some("engine" | "launch")
    ));

    // Planning only skips everything that installs or starts.
    let mut plan = choices.clone();
    plan["choices"]["path"] = json!("plan_only");
    let (_, body) = send_request(&s.app, with_json("PUT", "/api/setup", &plan.to_string())).await;
    assert_eq!(body["progress"]["current"], "done");
    assert_eq!(step(&body, "launch")["state"], "skipped");

    // The catalog's GGUF file: the download the weights step sends, with its repository.
    let mut catalog_file = choices;
    catalog_file["choices"]["path"] = json!("recommended");
    catalog_file["choices"]["weights_path"] = Value::Null;
    catalog_file["choices"]["gguf"] = json!("Q4_K_M");
    let (_, body) = send_request(
        &s.app,
        with_json("PUT", "/api/setup", &catalog_file.to_string()),
    )
    .await;
    assert_eq!(body["download"]["gguf"], "Q4_K_M");
    assert_eq!(
        body["download"]["repo"],
        "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    );
    assert_eq!(body["download"]["gated"], false);
    assert_eq!(step(&body, "weights")["state"], "todo");
    assert!(
        body["launch"].is_null(),
        "no start before the file is there"
    );
}

#[tokio::test]
async fn the_system_check_and_the_test_request_say_what_they_found() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, check) = send_request(&s.app, with_json("POST", "/api/setup/check", "{}")).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    let areas: Vec<&str> = check["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["area"].as_str())
        .collect();
    for area in ["driver", "cuda", "gpu", "disk", "memory", "network"] {
        assert!(areas.contains(&area), "{area} in {areas:?}");
    }
    let (_, status) = send_request(&s.app, get("/api/setup")).await;
    assert_eq!(
        step(&status, "check")["state"],
        "done",
        "the check is noted"
    );

    let (status, error) = send_request(&s.app, with_json("POST", "/api/setup/test", "{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "model", "no model chosen yet: {error}");
    let choices = json!({"choices": {"model": "llama-3.1-8b-instruct"}}).to_string();
    send_request(&s.app, with_json("PUT", "/api/setup", &choices)).await;
    let (status, error) = send_request(&s.app, with_json("POST", "/api/setup/test", "{}")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
    assert_eq!(error["code"], "gateway_request_failed");
}
