//! The live event stream and the sample history: a subscriber first gets the current
//! sample, engines, jobs and gateway state, then every change as it happens (an engine
//! that fails, a settings save), with no polling; the history serves the last samples.
//! (Its own test binary: it points `DUOWS_LLAMA_CPP_PYTHON` at a stand-in program.)

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use common::{described_state, send};
use duows_api::access::AccessPolicy;
use duows_api::calls::{self, EngineParams};
use duows_api::events::{subscribe, ServerEvent};
use duows_api::{http, ApiState};
use duows_core::engine::EngineState;
use tokio::sync::mpsc::Receiver;

fn state(home: &std::path::Path) -> ApiState {
    described_state("2xL40S", home)
}

/// The next event that `pick` accepts, within `within`.
async fn next_matching<T>(
    events: &mut Receiver<ServerEvent>,
    within: Duration,
    mut pick: impl FnMut(&ServerEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(within, async {
        loop {
            let event = events.recv().await.expect("the stream goes on");
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    })
    .await
    .expect("the event came in time")
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_gets_the_state_then_each_change() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("home");
    let state = state(home.path());
    let mut events = subscribe(&state);

    let mut kinds = Vec::new();
    for _ in 0..4 {
        let event = events.recv().await.expect("first events");
        kinds.push(event.kind());
    }
    assert_eq!(kinds, ["sample", "engines", "jobs", "gateway"]);

    // Samples keep coming at 1 Hz, each GPU in each.
    let gpus = next_matching(&mut events, Duration::from_secs(3), |e| match e {
        ServerEvent::Sample(s) => Some(s.gpus.len()),
        _ => None,
    })
    .await;
    assert_eq!(gpus, 2);

    // An engine that fails at once: the stream says so without being asked.
    let program = home.path().join("python");
    std::fs::write(
        &program,
        "#!/bin/sh\necho 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB' >&2\nexit 1\n",
    )
    .expect("program");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("mode");
    std::env::set_var("DUOWS_LLAMA_CPP_PYTHON", &program);
    let gguf = home.path().join("tiny.gguf");
    std::fs::write(&gguf, b"GGUF").expect("gguf");
    calls::engine_start(
        &state,
        EngineParams {
            gguf: Some(gguf.display().to_string()),
            name: Some("tiny".into()),
            ..EngineParams::default()
        },
    )
    .await
    .expect("started");
    let failed = next_matching(&mut events, Duration::from_secs(10), |e| match e {
        ServerEvent::Engines(all) => all
            .iter()
            .find(|s| s.name == "tiny" && s.state == EngineState::Failed)
            .cloned(),
        _ => None,
    })
    .await;
    assert!(failed.failure.is_some());

    // A settings save reaches the gateway view at once.
    let mut settings = calls::settings(&state).await;
    settings.features.insert("duo_chat".into(), "tiny".into());
    calls::update_settings(&state, settings)
        .await
        .expect("saved");
    let routed = next_matching(&mut events, Duration::from_secs(5), |e| match e {
        ServerEvent::Gateway(info) => info
            .features
            .iter()
            .find(|f| f.feature == "duo_chat" && f.target.as_deref() == Some("tiny"))
            .cloned(),
        _ => None,
    })
    .await;
    assert_eq!(routed.alias, "duo-chat");
    state.begin_shutdown();
    state.stop_engines().await;
}

#[tokio::test]
async fn the_history_serves_the_last_samples_and_checks_its_window() {
    let home = tempfile::tempdir().expect("home");
    let app = http::app(state(home.path()), AccessPolicy::loopback(), Router::new());
    let (status, samples) = send(
        &app,
        "GET",
        "/api/samples/history?minutes=5&points=100",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{samples}");
    let samples = samples.as_array().expect("a list");
    assert!(!samples.is_empty(), "the first sample is kept at start");
    assert_eq!(samples[0]["gpus"].as_array().map(Vec::len), Some(2));
    let (status, error) = send(&app, "GET", "/api/samples/history?minutes=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["field"], "minutes");
    let (status, _) = send(&app, "GET", "/api/samples/history?minutes=abc", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
