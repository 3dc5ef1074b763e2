//! A failed start whose log names what would work (vLLM's "estimated maximum model length")
//! offers that change, and one call starts the engine again with it.
//! (Its own test binary: it points `DUOWS_LLAMA_CPP_PYTHON` at a stand-in program.)

mod common;

use axum::http::StatusCode;
use common::{described, send, wait_for_state};
use serde_json::{json, Value};

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_whose_log_names_a_fix_is_started_again_with_it_in_one_step() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("home");
    let app = described("none", home.path());
    let gguf = home.path().join("tiny.gguf");
    std::fs::write(&gguf, b"GGUF").expect("gguf");
    // The engine says the context is too long for the cache when started with 8,192 tokens;
    // any other start runs out of memory (a failure without a figure).
    let program = home.path().join("python");
    std::fs::write(
        &program,
        "#!/bin/sh\ncase \"$*\" in\n*'--n_ctx 8192'*) echo 'ValueError: Based on the available memory, the estimated maximum model length is 4500. Try decreasing `max_model_len`.' >&2 ;;\n*) echo \"torch.OutOfMemoryError: CUDA out of memory (started with $*)\" >&2 ;;\nesac\nexit 1\n",
    )
    .expect("program");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("mode");
    std::env::set_var("DUOWS_LLAMA_CPP_PYTHON", &program);

    let params = json!({ "gguf": gguf, "name": "tiny", "context": 8192 });
    let (status, body) = send(&app, "POST", "/api/engines", Some(params)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let failed = wait_for_state(&app, "tiny", "failed").await;
    assert_eq!(failed["failure"]["kind"], "context_too_long", "{failed}");
    assert_eq!(
        failed["remedy"],
        json!({ "label": "Lower the context to 4,096 tokens and retry",
                "change": { "set": "context", "tokens": 4096 } }),
        "{failed}"
    );

    let (status, body) = send(&app, "POST", "/api/engines/tiny/apply-remedy", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = wait_for_state(&app, "tiny", "failed").await;
    assert_ne!(
        failed["since_ms"], again["since_ms"],
        "a new attempt: {again}"
    );
    let command = again["command_line"].as_str().expect("command line");
    assert!(command.contains("--n_ctx 4096"), "{command}");
    assert_eq!(
        again["remedy"],
        Value::Null,
        "out of memory names no figure, so no remedy: {again}"
    );

    // Nothing to apply now: refused, naming the engine and the fix in words.
    let (status, body) = send(&app, "POST", "/api/engines/tiny/apply-remedy", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("invalid_parameter"), Some("name"))
    );
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("no one-step fix"),
        "{body}"
    );

    // A plain retry keeps the remedied context.
    let (status, _) = send(&app, "POST", "/api/engines/tiny/retry", None).await;
    assert_eq!(status, StatusCode::OK);
    let retried = wait_for_state(&app, "tiny", "failed").await;
    assert_ne!(retried["since_ms"], again["since_ms"]);
    assert!(retried["command_line"]
        .as_str()
        .expect("command")
        .contains("--n_ctx 4096"));
    let (status, body) = send(&app, "POST", "/api/engines/ghost/apply-remedy", None).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("name"))
    );
}
