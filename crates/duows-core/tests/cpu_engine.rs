//! The supervisor with a real inference server on the CPU: llama-cpp-python's server
//! (installed from PyPI by `scripts/cpu-engine.sh`) serving a tiny random-weight GGUF that
//! the test builds itself (`tests/engine/make_tiny_gguf.py`).
//!
//! `scripts/test.sh` sets `DUOWS_CPU_ENGINE_PYTHON` and `DUOWS_REQUIRE_CPU_ENGINE=1`, so
//! there a missing engine fails the run; a plain `cargo test` without the engine skips
//! these tests and says so.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use duows_core::engine::{
    llama_cpp_plan, EngineState, EngineStatus, FailureKind, LaunchPlan, LlamaCppOptions,
    PlanOptions, ProcessLauncher, Secret, SupervisionPolicy, Supervisor,
};
use serde_json::{json, Value};
use tokio::sync::watch;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The engine's Python, or `None` (skip) where it is not installed and not required.
fn engine_python() -> Option<PathBuf> {
    let python = std::env::var_os("DUOWS_CPU_ENGINE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/cpu-engine/bin/python"));
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("DUOWS_REQUIRE_CPU_ENGINE").as_deref() != Ok("1"),
        "the CPU engine is required but {} does not exist: run scripts/cpu-engine.sh",
        python.display()
    );
    eprintln!(
        "skipped: no CPU engine at {} (run scripts/cpu-engine.sh)",
        python.display()
    );
    None
}

fn tiny_gguf(python: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("tiny.gguf");
    let status = std::process::Command::new(python)
        .arg(repo().join("tests/engine/make_tiny_gguf.py"))
        .arg(&out)
        .status()
        .expect("run make_tiny_gguf.py");
    assert!(status.success(), "make_tiny_gguf.py failed");
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn plan(python: &Path, gguf: &Path, dir: &Path, port: u16, gpu_layers: u32) -> LaunchPlan {
    let llama = LlamaCppOptions {
        python: python.to_path_buf(),
        gguf: gguf.to_path_buf(),
        context: 256,
        gpu_layers,
    };
    let options = PlanOptions {
        program: python.to_path_buf(),
        model_dir: None,
        hf_home: dir.join("hf"),
        served_name: Some("tiny".into()),
        port,
        run_dir: dir.join("run"),
        api_key: Secret::random().expect("key"),
    };
    llama_cpp_plan(&llama, &options).expect("plan")
}

fn fast_policy() -> SupervisionPolicy {
    SupervisionPolicy {
        backoff_base: Duration::from_millis(300),
        backoff_cap: Duration::from_secs(2),
        max_restarts: 3,
        poll: Duration::from_millis(100),
        start_timeout: Duration::from_secs(60),
        stop_grace: Duration::from_secs(10),
    }
}

/// Waits until `done(status)`, recording every state seen.
async fn wait_for(
    rx: &mut watch::Receiver<EngineStatus>,
    seen: &mut Vec<EngineState>,
    what: &str,
    done: impl Fn(&EngineStatus) -> bool,
) -> EngineStatus {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        {
            let status = rx.borrow_and_update().clone();
            if seen.last() != Some(&status.state) {
                seen.push(status.state);
            }
            if done(&status) {
                return status;
            }
            assert!(
                !matches!(status.state, EngineState::Failed) || what.contains("fail"),
                "engine failed while waiting for {what}: {:?}",
                status.failure
            );
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "timed out waiting for {what}; states seen: {seen:?}"
        );
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
}

fn process_alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would show state Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_ready_complete_kill_restart_stop() {
    let Some(python) = engine_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let gguf = tiny_gguf(&python, dir.path());
    let port = free_port();
    let plan = plan(&python, &gguf, dir.path(), port, 0);
    let key = plan.api_key.expose().to_owned();
    let base = plan.base_url();
    let supervisor = Supervisor::new(
        Arc::new(ProcessLauncher::new().expect("launcher")),
        dir.path().join("logs"),
    );
    let mut rx = supervisor.start(plan, fast_policy()).expect("start");
    let mut seen = Vec::new();

    let ready = wait_for(&mut rx, &mut seen, "ready", |s| {
        s.state == EngineState::Ready
    })
    .await;
    assert_eq!(seen.first(), Some(&EngineState::Starting), "{seen:?}");
    assert!(ready.warnings.is_empty(), "{:?}", ready.warnings);
    let first_pid = ready.pid.expect("pid");
    assert!(
        !ready.command_line.contains(&key),
        "key never in the command line"
    );
    let cmdline = std::fs::read(format!("/proc/{first_pid}/cmdline")).expect("cmdline");
    assert!(
        !String::from_utf8_lossy(&cmdline).contains(&key),
        "key never in argv"
    );

    // A real chat completion through the engine's OpenAI API.
    let client = reqwest::Client::new();
    let request = json!({
        "model": "tiny",
        "messages": [{"role": "user", "content": "Write a haiku about GPUs."}],
        "max_tokens": 8,
        "temperature": 0,
    });
    let answer: Value = client
        .post(format!("{base}/chat/completions"))
        .bearer_auth(&key)
        .json(&request)
        .send()
        .await
        .expect("completion")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["usage"]["completion_tokens"], 8, "{answer}");
    assert_eq!(answer["choices"][0]["finish_reason"], "length", "{answer}");
    let refused = client
        .post(format!("{base}/chat/completions"))
        .json(&request)
        .send()
        .await
        .expect("reply");
    assert_eq!(
        refused.status().as_u16(),
        401,
        "the engine requires its key"
    );

    // The engine dies: the supervisor sees it, backs off, and starts it again.
    let killed = std::process::Command::new("kill")
        .args(["-9", &first_pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let back = wait_for(&mut rx, &mut seen, "a restart", |s| {
        s.state == EngineState::Ready && s.pid.is_some_and(|p| p != first_pid)
    })
    .await;
    assert!(seen.contains(&EngineState::BackingOff), "{seen:?}");
    assert_eq!(back.restarts, 1);
    let failure = back.failure.clone();
    assert!(failure.is_none(), "cleared once ready again: {failure:?}");
    let logs = supervisor.logs("tiny", 400).expect("logs");
    assert!(
        logs.iter().any(|l| l.contains("killed by signal 9")),
        "the failure is logged"
    );
    assert!(
        logs.iter().any(|l| l.contains("Uvicorn running on")),
        "engine output is captured"
    );

    // Stop leaves no process and nothing on the port.
    let second_pid = back.pid.expect("pid");
    let stopped = supervisor.stop("tiny").await.expect("stop");
    assert_eq!(stopped.state, EngineState::Stopped);
    assert!(!process_alive(second_pid), "engine process left behind");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port still answers"
    );
    assert!(!process_alive(first_pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_model_fails_once_with_its_cause() {
    let Some(python) = engine_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let gguf = dir.path().join("broken.gguf");
    std::fs::write(&gguf, b"not a gguf file at all").expect("write");
    let supervisor = Supervisor::new(
        Arc::new(ProcessLauncher::new().expect("launcher")),
        dir.path().join("logs"),
    );
    let mut rx = supervisor
        .start(
            plan(&python, &gguf, dir.path(), free_port(), 0),
            fast_policy(),
        )
        .expect("start");
    let mut seen = Vec::new();
    let failed = wait_for(&mut rx, &mut seen, "a failure", |s| {
        s.state == EngineState::Failed
    })
    .await;
    let failure = failed.failure.expect("classified");
    assert_eq!(
        failure.kind,
        FailureKind::ModelFileUnreadable,
        "{failure:?}"
    );
    assert!(failure.fix.contains("download it again"));
    assert_eq!(failed.restarts, 0, "a known start failure is not retried");
    assert!(!seen.contains(&EngineState::BackingOff));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_named() {
    let Some(python) = engine_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let gguf = tiny_gguf(&python, dir.path());
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let supervisor = Supervisor::new(
        Arc::new(ProcessLauncher::new().expect("launcher")),
        dir.path().join("logs"),
    );
    let mut rx = supervisor
        .start(plan(&python, &gguf, dir.path(), port, 0), fast_policy())
        .expect("start");
    let failed = wait_for(&mut rx, &mut Vec::new(), "a failure", |s| {
        s.state == EngineState::Failed
    })
    .await;
    assert_eq!(
        failed.failure.expect("classified").kind,
        FailureKind::PortInUse
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_program_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let gguf = dir.path().join("x.gguf");
    let missing = dir.path().join("no-such-python");
    let supervisor = Supervisor::new(
        Arc::new(ProcessLauncher::new().expect("launcher")),
        dir.path().join("logs"),
    );
    let mut rx = supervisor
        .start(
            plan(&missing, &gguf, dir.path(), free_port(), 0),
            fast_policy(),
        )
        .expect("start");
    let failed = wait_for(&mut rx, &mut Vec::new(), "a failure", |s| {
        s.state == EngineState::Failed
    })
    .await;
    let failure = failed.failure.expect("classified");
    assert_eq!(failure.kind, FailureKind::ExecutableMissing);
    assert!(failure.evidence.contains("no-such-python"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_fallback_to_the_cpu_is_reported() {
    let Some(python) = engine_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let gguf = tiny_gguf(&python, dir.path());
    // This machine's llama.cpp has no GPU: asked for GPU layers, it still runs on the CPU.
    let plan = plan(&python, &gguf, dir.path(), free_port(), 2);
    let supervisor = Supervisor::new(
        Arc::new(ProcessLauncher::new().expect("launcher")),
        dir.path().join("logs"),
    );
    let mut rx = supervisor.start(plan, fast_policy()).expect("start");
    let ready = wait_for(&mut rx, &mut Vec::new(), "ready", |s| {
        s.state == EngineState::Ready
    })
    .await;
    assert_eq!(ready.warnings.len(), 1, "{:?}", ready.warnings);
    assert!(
        ready.warnings[0].contains("runs on the CPU"),
        "{:?}",
        ready.warnings
    );
    supervisor.stop("tiny").await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_from_outside_fails_a_ready_engine_with_its_reason_and_stops_it() {
    let Some(python) = engine_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let gguf = tiny_gguf(&python, dir.path());
    let plan = plan(&python, &gguf, dir.path(), free_port(), 0);
    let supervisor = Supervisor::new(
        Arc::new(ProcessLauncher::new().expect("launcher")),
        dir.path().join("logs"),
    );
    let mut rx = supervisor.start(plan, fast_policy()).expect("start");
    let ready = wait_for(&mut rx, &mut Vec::new(), "ready", |s| {
        s.state == EngineState::Ready
    })
    .await;
    let pid = ready.pid.expect("pid");
    let failure = duows_core::engine::Failure {
        kind: FailureKind::Exited,
        evidence: "node `node-b` stopped answering (last seen 10 s ago)".into(),
        fix: "check the node".into(),
    };
    let failed = supervisor.fail("tiny", failure).await.expect("fail");
    assert_eq!(failed.state, EngineState::Failed);
    assert_eq!(
        failed.failure.expect("failure").evidence,
        "node `node-b` stopped answering (last seen 10 s ago)"
    );
    assert!(!process_alive(pid), "the engine's process is gone");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        supervisor.statuses()[0].state,
        EngineState::Failed,
        "not restarted"
    );
}
