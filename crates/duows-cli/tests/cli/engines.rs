//! Engines through a running server: a CPU engine started, listed, logged and stopped with the
//! server, and vLLM starts refused with what to do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{serve_with_env, stdout};

/// The CPU engine's Python (see crates/duows-core/tests/cpu_engine.rs), or skip.
fn engine_python() -> Option<PathBuf> {
    let python = std::env::var_os("DUOWS_CPU_ENGINE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/cpu-engine/bin/python")
        });
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("DUOWS_REQUIRE_CPU_ENGINE").as_deref() != Ok("1"),
        "the CPU engine is required: run scripts/cpu-engine.sh"
    );
    eprintln!("skipped: no CPU engine (run scripts/cpu-engine.sh)");
    None
}

#[test]
fn engine_start_status_logs_stop_through_the_server() {
    let Some(python) = engine_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let gguf = dir.path().join("tiny.gguf");
    let made = Command::new(&python)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/engine/make_tiny_gguf.py"))
        .arg(&gguf)
        .output()
        .expect("make gguf");
    assert!(made.status.success());
    let mut served = serve_with_env(
        &["--port", "0", "--gpus", "none"],
        &[("DUOWS_LLAMA_CPP_PYTHON", &python)],
    );
    let server = format!("http://127.0.0.1:{}", served.port);
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_duows"))
            .args(args)
            .args(["--server", &server])
            .output()
            .expect("duows")
    };
    let gguf_arg = gguf.display().to_string();
    let out = cli(&[
        "engine", "start", "--gguf", &gguf_arg, "--name", "tiny", "--wait", "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(started[0]["state"], "ready");
    let pid = started[0]["pid"].as_u64().expect("pid") as u32;

    let status: Value =
        serde_json::from_slice(&cli(&["engine", "status", "--json"]).stdout).expect("json");
    assert_eq!(status[0]["name"], "tiny");
    let logs = stdout(&cli(&["engine", "logs", "tiny", "--lines", "400"]));
    assert!(logs.contains("[duows] ready"), "{logs}");
    let again = cli(&["engine", "start", "--gguf", &gguf_arg, "--name", "tiny"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already running"));

    // Stopping the server stops its engines.
    let killed = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while served.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "server still running");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "engine {pid} outlived the server"
    );
}

#[test]
fn a_vllm_start_without_vllm_or_a_gpu_is_refused_with_what_to_do() {
    let missing = Path::new("/nonexistent/bin/vllm");
    let served = serve_with_env(
        &["--port", "0", "--gpus", "1xL4"],
        &[("DUOWS_VLLM", missing)],
    );
    let server = format!("http://127.0.0.1:{}", served.port);
    let out = Command::new(env!("CARGO_BIN_EXE_duows"))
        .args([
            "engine",
            "start",
            "--model",
            "gpt-oss-20b",
            "--wait",
            "--json",
            "--server",
            &server,
        ])
        .output()
        .expect("duows");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for reason in [
        "/nonexistent/bin/vllm does not run",
        "duows engine install vllm",
        "not downloaded",
        "the hardware is described (1xL4)",
    ] {
        assert!(stderr.contains(reason), "{reason}: {stderr}");
    }
    let status = Command::new(env!("CARGO_BIN_EXE_duows"))
        .args(["engine", "status", "--json", "--server", &server])
        .output()
        .expect("duows");
    let engines: Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(engines, serde_json::json!([]), "nothing was started");
}

#[cfg(unix)]
#[test]
fn a_vllm_older_than_the_model_needs_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let fake = dir.path().join("vllm");
    std::fs::write(&fake, "#!/bin/sh\necho 0.5.0\n").expect("write");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let served = serve_with_env(&["--port", "0", "--gpus", "1xL4"], &[("DUOWS_VLLM", &fake)]);
    let server = format!("http://127.0.0.1:{}", served.port);
    let out = Command::new(env!("CARGO_BIN_EXE_duows"))
        .args([
            "engine",
            "start",
            "--model",
            "gpt-oss-20b",
            "--server",
            &server,
        ])
        .output()
        .expect("duows");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("vLLM 0.5.0") && err.contains("older than 0.18.0"),
        "{err}"
    );
}
