//! "Use the AWQ checkpoint": a vLLM start that runs out of memory offers the catalog's
//! smaller checkpoint that the fit says fits; one call starts the engine with it when it
//! is on disk, or downloads it first (the engine shows `downloading` with the job) and
//! then starts it.
//! (Its own test binary: it points `DUOWS_VLLM` at a stand-in vLLM and `HF_ENDPOINT` at a
//! local hub (tests/common/hub.rs), and the GPU probe reports one H100 as NVML would: this machine has no GPU.)

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use common::{hub, send, wait_for_state};
use duows_api::access::AccessPolicy;
use duows_api::{http, ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::{
    DescribedProbe, GpuInventory, GpuProbe, GpuSample, HardwareDescription, HardwareSource,
    ProbeError,
};
use serde_json::{json, Value};

const MODEL: &str = "deepseek-coder-33b-instruct";
const BF16: (&str, u64) = ("deepseek-ai/deepseek-coder-33b-instruct", 66_685_982_720);
const AWQ: (&str, u64) = ("TheBloke/deepseek-coder-33B-instruct-AWQ", 18_010_000_000);

/// One H100 as NVML reports it (the description's figures, the driver's source).
struct OneH100(DescribedProbe);

impl GpuProbe for OneH100 {
    fn inventory(&self) -> Result<GpuInventory, ProbeError> {
        let mut inventory = self.0.inventory()?;
        inventory.source = HardwareSource::Nvml;
        inventory.driver_version = Some("580.95.05".into());
        inventory.cuda_driver_version = Some((13, 0));
        Ok(inventory)
    }

    fn sample(&self) -> Vec<GpuSample> {
        self.0.sample()
    }
}

/// A checkpoint in the models folder as the hub's cache lays it out; the weights file
/// is sparse, of the catalog's size.
fn put_checkpoint(models: &Path, repo: &str, bytes: u64) -> std::path::PathBuf {
    let cache = models
        .join("hub")
        .join(format!("models--{}", repo.replace('/', "--")));
    let snapshot = cache.join("snapshots").join("c0ffee");
    std::fs::create_dir_all(&snapshot).expect("snapshot");
    std::fs::create_dir_all(cache.join("refs")).expect("refs");
    std::fs::write(cache.join("refs").join("main"), "c0ffee").expect("ref");
    std::fs::write(snapshot.join("config.json"), "{}").expect("config");
    std::fs::write(snapshot.join("tokenizer.json"), "{}").expect("tokenizer");
    let weights = std::fs::File::create(snapshot.join("model.safetensors")).expect("weights");
    weights.set_len(bytes).expect("sparse weights");
    cache
}

/// The commit the local hub names, and the size of the one file it serves.
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const HUB_FILE: usize = 4096;

async fn wait_for_new_state(app: &Router, state: &str, after: &Value) -> Value {
    for _ in 0..200 {
        let engine = wait_for_state(app, MODEL, state).await;
        if engine["since_ms"] != after["since_ms"] {
            return engine;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no new {state} state after {after}");
}

/// Applies the engine's fix, which must answer that it waits for the AWQ checkpoint's
/// download.
async fn apply_until_downloading(app: &Router) {
    let (status, waiting) = send(
        app,
        "POST",
        &format!("/api/engines/{MODEL}/apply-remedy"),
        None,
    )
    .await;
    assert_eq!(status, axum::http::StatusCode::OK, "{waiting}");
    assert_eq!(waiting["state"], "downloading", "{waiting}");
    let job = format!("download-{}", AWQ.0);
    assert_eq!(waiting["download_job"], job.as_str(), "{waiting}");
}

/// Waits (up to 20 s) until the engine has failed with a fix that starts with `words`.
async fn wait_for_fix(app: &Router, words: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        let (_, engines) = send(app, "GET", "/api/engines", None).await;
        last = engines[0].clone();
        if last["state"] == "failed"
            && last["failure"]["fix"]
                .as_str()
                .is_some_and(|f| f.starts_with(words))
        {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no failure saying `{words}`: {last}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_memory_offers_the_smaller_checkpoint_and_one_step_starts_it() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("home");
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::at(home.path()),
        probe: Arc::new(OneH100(DescribedProbe::new(
            HardwareDescription::from_spec("1xH100-80GB").expect("spec"),
        ))),
    });
    let models = state.models_dir();
    let app = http::app(state, AccessPolicy::loopback(), Router::new());
    // vLLM as far as a start needs: its version, then a load that runs out of memory.
    let vllm = home.path().join("vllm");
    std::fs::write(
        &vllm,
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 0.18.1; exit 0; }\necho \"loading $2\"\necho 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 448.00 MiB. GPU 0 has a total capacity of 79.19 GiB of which 211.06 MiB is free.' >&2\nexit 1\n",
    )
    .expect("vllm");
    std::fs::set_permissions(&vllm, std::fs::Permissions::from_mode(0o755)).expect("mode");
    std::env::set_var("DUOWS_VLLM", &vllm);
    // The hub's downloads are held while the test needs the engine waiting for one.
    let held = Arc::new(AtomicBool::new(false));
    let hub = hub::start_hub(
        COMMIT,
        vec![7u8; HUB_FILE],
        Duration::ZERO,
        Arc::clone(&held),
    );
    std::env::set_var("HF_ENDPOINT", hub.await);
    put_checkpoint(&models, BF16.0, BF16.1);
    let awq_cache = put_checkpoint(&models, AWQ.0, AWQ.1);

    // BF16 at 8,192 tokens on one H100: the estimate says it fits, the load says no.
    let start = json!({ "model": MODEL, "variant": "bf16", "context": 8192 });
    let (status, body) = send(&app, "POST", "/api/engines", Some(start.clone())).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{body}");
    let failed = wait_for_state(&app, MODEL, "failed").await;
    assert_eq!(failed["failure"]["kind"], "out_of_memory", "{failed}");
    // The AWQ checkpoint fits with the same context, and is on disk.
    assert_eq!(
        failed["remedy"],
        json!({
            "label": "Use the AWQ 4-bit checkpoint (on disk) and retry",
            "change": { "set": "checkpoint", "variant": "awq-int4", "repo": AWQ.0, "download_bytes": 0 }
        }),
        "{failed}"
    );
    let (status, body) = send(
        &app,
        "POST",
        &format!("/api/engines/{MODEL}/apply-remedy"),
        None,
    )
    .await;
    assert_eq!(status, axum::http::StatusCode::OK, "{body}");
    let again = wait_for_new_state(&app, "failed", &failed).await;
    let command = again["command_line"].as_str().expect("command line");
    assert!(
        command.contains("models--TheBloke--deepseek-coder-33B-instruct-AWQ"),
        "{command}"
    );
    assert_eq!(
        again["remedy"],
        Value::Null,
        "nothing smaller than AWQ: {again}"
    );

    // Not on disk: the offer says what it downloads; one step downloads it, then starts.
    std::fs::remove_dir_all(&awq_cache).expect("remove AWQ");
    // 8 GB of it came before a download was stopped: only the rest is to download.
    let blobs = awq_cache.join("blobs");
    std::fs::create_dir_all(&blobs).expect("blobs");
    let partial = std::fs::File::create(blobs.join("5eed.incomplete")).expect("partial");
    partial.set_len(8_000_000_000).expect("sparse partial");
    let (status, _) = send(&app, "POST", &format!("/api/engines/{MODEL}/remove"), None).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let (status, body) = send(&app, "POST", "/api/engines", Some(start)).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{body}");
    let failed = wait_for_new_state(&app, "failed", &again).await;
    assert_eq!(
        failed["remedy"]["change"]["download_bytes"],
        AWQ.1 - 8_000_000_000,
        "{failed}"
    );
    assert!(
        failed["remedy"]["label"]
            .as_str()
            .expect("label")
            .contains("10.0 GB to download"),
        "{failed}"
    );
    apply_until_downloading(&app).await;
    let job = format!("download-{}", AWQ.0);
    let (_, jobs) = send(&app, "GET", "/api/jobs", None).await;
    assert!(
        jobs.as_array()
            .expect("jobs")
            .iter()
            .any(|j| j["id"] == job.as_str()),
        "{jobs}"
    );
    // The hub's file is far smaller than the checkpoint: once downloaded, the start's own
    // check refuses it, and the engine says so instead of starting.
    let refused = wait_for_fix(
        &app,
        "The checkpoint is downloaded, but the start was refused:",
    )
    .await;
    let fix = refused["failure"]["fix"].as_str().expect("fix");
    assert!(fix.contains("incomplete"), "the size check's reason: {fix}");
    assert_eq!(refused["download_job"], Value::Null, "{refused}");

    // Stop while it downloads: the download is cancelled, the fix is offered again, and the
    // failure says what it said before.
    std::fs::remove_dir_all(&awq_cache).expect("remove the partial AWQ download");
    held.store(true, Ordering::SeqCst);
    apply_until_downloading(&app).await;
    let (status, stopped) = send(&app, "POST", &format!("/api/engines/{MODEL}/stop"), None).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{stopped}");
    assert_eq!(stopped["state"], "failed", "{stopped}");
    assert_eq!(stopped["download_job"], Value::Null, "{stopped}");
    assert_eq!(
        stopped["remedy"]["change"]["set"], "checkpoint",
        "offered again: {stopped}"
    );
    let fix = stopped["failure"]["fix"].as_str().expect("fix");
    assert!(fix.starts_with("CUDA ran out of memory"), "{stopped}");

    // Applied again at once (the stopped download may still be ending): it waits for a
    // download of its own. Meanwhile another start of it is refused, and a removal ends
    // the wait too.
    apply_until_downloading(&app).await;
    let bf16 = json!({ "model": MODEL, "variant": "bf16", "context": 8192 });
    let (_, refused) = send(&app, "POST", "/api/engines", Some(bf16.clone())).await;
    assert_eq!(refused["code"], "engine_exists", "{refused}");
    let (status, _) = send(&app, "POST", &format!("/api/engines/{MODEL}/remove"), None).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let (_, engines) = send(&app, "GET", "/api/engines", None).await;
    assert_eq!(engines, json!([]));
    wait_for_job(&app, &job, "cancelled").await;

    // A download that brings the whole checkpoint: the engine starts with it by itself.
    // (The hub serves one small file; the rest of the checkpoint is put beside it first.)
    held.store(false, Ordering::SeqCst);
    let (status, body) = send(&app, "POST", "/api/engines", Some(bf16)).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{body}");
    let failed = wait_for_state(&app, MODEL, "failed").await;
    let snapshot = awq_cache.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snapshot).expect("snapshot");
    std::fs::write(snapshot.join("config.json"), "{}").expect("config");
    std::fs::write(snapshot.join("tokenizer.json"), "{}").expect("tokenizer");
    let rest = std::fs::File::create(snapshot.join("model-rest.safetensors")).expect("rest");
    rest.set_len(AWQ.1 - HUB_FILE as u64).expect("sparse rest");
    apply_until_downloading(&app).await;
    let started = wait_for_new_state(&app, "failed", &failed).await;
    let command = started["command_line"].as_str().expect("command line");
    assert!(
        command.contains(&format!(
            "models--TheBloke--deepseek-coder-33B-instruct-AWQ/snapshots/{COMMIT}"
        )),
        "{command}"
    );
    wait_for_job(&app, &job, "done").await;
}

/// Waits (up to 10 s) until job `id` is in `state`.
async fn wait_for_job(app: &Router, id: &str, state: &str) {
    let mut last = Value::Null;
    for _ in 0..200 {
        let (_, jobs) = send(app, "GET", "/api/jobs", None).await;
        last = jobs.clone();
        if jobs
            .as_array()
            .is_some_and(|all| all.iter().any(|j| j["id"] == id && j["state"] == state))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} never became {state}: {last}");
}
