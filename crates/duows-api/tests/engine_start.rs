//! Starting engines through the real router: what a start checks first (engine installed,
//! weights present, real GPUs) is listed in the plan preview and refuses the start with
//! every reason; a failed engine can be retried and removed.
//! (Its own test binary: it points `DUOWS_LLAMA_CPP_PYTHON` at a stand-in program.)

mod common;

use axum::http::StatusCode;
use common::{described, send, wait_for_state};
use serde_json::{json, Value};

fn outcome<'a>(plan: &'a Value, item: &str) -> &'a str {
    plan["preflight"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["item"] == item)
        .and_then(|c| c["outcome"].as_str())
        .unwrap_or_else(|| panic!("{item} checked: {plan}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vllm_start_on_a_described_machine_without_engine_or_weights_is_refused_with_each_reason()
{
    std::env::remove_var("DUOWS_VLLM");
    let home = tempfile::tempdir().expect("home");
    let app = described("1xA100-40GB", home.path());
    let params = json!({ "model": "mistral-7b-instruct-v0.3" });

    let (status, plan) = send(&app, "POST", "/api/engine/plan", Some(params.clone())).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(outcome(&plan, "engine"), "fail");
    assert_eq!(outcome(&plan, "weights"), "fail");
    assert_eq!(outcome(&plan, "hardware"), "fail");
    assert_eq!(outcome(&plan, "fit"), "pass");

    let (status, refused) = send(&app, "POST", "/api/engines", Some(params.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "preflight_failed");
    let message = refused["message"].as_str().expect("message");
    for reason in [
        "vLLM is not installed",
        "duows engine install vllm",
        "weights of mistralai/Mistral-7B-Instruct-v0.3 are not downloaded",
        "duows engine download --model mistral-7b-instruct-v0.3",
        "the hardware is described",
    ] {
        assert!(message.contains(reason), "{reason}: {message}");
    }
    // The override covers memory estimates only.
    let mut forced = params;
    forced["override_memory_estimate"] = json!(true);
    let (status, _) = send(&app, "POST", "/api/engines", Some(forced)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, engines) = send(&app, "GET", "/api/engines", None).await;
    assert_eq!(engines, json!([]), "nothing was started");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_engine_can_be_retried_and_removed() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("home");
    let app = described("none", home.path());
    let gguf = home.path().join("tiny.gguf");
    std::fs::write(&gguf, b"GGUF").expect("gguf");
    let params = json!({ "gguf": gguf, "name": "tiny" });

    // Not installed: refused before anything runs, with the install command.
    std::env::set_var("DUOWS_LLAMA_CPP_PYTHON", home.path().join("missing/python"));
    let (status, refused) = send(&app, "POST", "/api/engines", Some(params.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .expect("message")
            .contains("duows engine install llama-cpp"),
        "{refused}"
    );

    // "Installed", but it runs out of memory at once: failed, for good.
    let program = home.path().join("python");
    std::fs::write(
        &program,
        "#!/bin/sh\necho 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB' >&2\nexit 1\n",
    )
    .expect("program");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("mode");
    std::env::set_var("DUOWS_LLAMA_CPP_PYTHON", &program);
    let (status, first) = send(&app, "POST", "/api/engines", Some(params)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let failed = wait_for_state(&app, "tiny", "failed").await;
    assert_eq!(failed["failure"]["kind"], "out_of_memory", "{failed}");

    let (status, body) = send(&app, "POST", "/api/engines/tiny/remove", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, engines) = send(&app, "GET", "/api/engines", None).await;
    assert_eq!(engines, json!([]), "removed");
    let (status, body) = send(&app, "POST", "/api/engines/tiny/retry", None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a removed engine is gone: {body}"
    );

    // Started again, failed again, then retried with the same parameters.
    let (status, _) = send(
        &app,
        "POST",
        "/api/engines",
        Some(json!({ "gguf": gguf, "name": "tiny" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let before = wait_for_state(&app, "tiny", "failed").await;
    let (status, retried) = send(&app, "POST", "/api/engines/tiny/retry", None).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["name"], "tiny");
    let after = wait_for_state(&app, "tiny", "failed").await;
    assert_ne!(
        before["since_ms"], after["since_ms"],
        "a new attempt was made"
    );
    let (status, body) = send(&app, "POST", "/api/engines/ghost/remove", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["field"], "name");
}
