//! Installs and downloads as jobs through the real router: validation names the field,
//! a download runs to the end with progress against a local server in the hub's URL
//! layout, a second start of a running job is refused, and cancel answers for unknown ids.
//! (Its own test binary: it points `HF_ENDPOINT` at the local hub.)

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use common::{described_state, hub, send};
use duows_api::access::AccessPolicy;
use duows_api::http;
use serde_json::{json, Value};

const COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

fn weights() -> Vec<u8> {
    (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_validate_run_and_refuse_doubles() {
    let home = tempfile::tempdir().expect("home");
    let state = described_state("1xL4", home.path());
    let app = http::app(state, AccessPolicy::loopback(), Router::new());

    let (status, body) = send(
        &app,
        "POST",
        "/api/engines/install",
        Some(json!({"engine": "tgi"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["code"], "not_installable",
        "not the code of an engine that is not running"
    );
    assert_eq!(body["field"], "engine");
    let (status, body) = send(
        &app,
        "POST",
        "/api/downloads",
        Some(json!({"model": "gpt-9"})),
    )
    .await;
    // The same code as `fit` and `engine_plan` give for a model not in the catalog.
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "unknown_model");
    assert_eq!(body["field"], "model");
    let (status, body) = send(
        &app,
        "POST",
        "/api/downloads",
        Some(json!({"model": "mistral-7b-instruct-v0.3", "revision": "../../etc"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "revision");
    let (status, body) = send(
        &app,
        "POST",
        "/api/jobs/cancel",
        Some(json!({"id": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "unknown_job");
    let (_, body) = send(&app, "GET", "/api/jobs", None).await;
    assert_eq!(body, json!([]), "failed validation starts nothing");

    // Slow enough that the job is still running when the test asks again.
    let hub = hub::start_hub(
        COMMIT,
        weights(),
        Duration::from_millis(400),
        Arc::new(AtomicBool::new(false)),
    );
    std::env::set_var("HF_ENDPOINT", hub.await);
    let token = "hf_secret_value_for_this_download";
    let start = json!({"model": "mistral-7b-instruct-v0.3", "token": token});
    let (status, job) = send(&app, "POST", "/api/downloads", Some(start.clone())).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["state"], "running");
    assert_eq!(job["kind"], "download");
    assert!(!job.to_string().contains(token), "the token is never shown");
    let (status, body) = send(&app, "POST", "/api/downloads", Some(start)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "job_running");

    let id = job["id"].as_str().expect("id").to_owned();
    let mut last = Value::Null;
    for _ in 0..100 {
        let (_, all) = send(&app, "GET", "/api/jobs", None).await;
        last = all[0].clone();
        if last["state"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["id"], id.as_str());
    assert_eq!(last["state"], "done", "{last}");
    assert_eq!(last["percent"], 100.0);
    assert_eq!(last["download"]["done_bytes"], 2_000_000);
    let folder = last["result"].as_str().expect("folder");
    assert!(
        std::path::Path::new(folder)
            .join("model.safetensors")
            .is_file(),
        "{folder}"
    );
    assert!(folder.starts_with(&home.path().join("models").display().to_string()));
    let (status, cancelled) = send(&app, "POST", "/api/jobs/cancel", Some(json!({"id": id}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        cancelled["state"], "done",
        "cancelling a finished job changes nothing"
    );
}
