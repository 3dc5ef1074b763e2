//! `duows` as users and scripts run it: the real binary, a temporary data folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/hardware")
        .join(name)
        .display()
        .to_string()
}

fn duows(home: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duows"))
        .args(args)
        .env("DUOWS_HOME", home.path())
        .output()
        .expect("run duows")
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp home")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn hardware_json_of_a_spec() {
    let home = home();
    let out = duows(&home, &["hardware", "--gpus", "2xA100-80GB", "--json"]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let gpus = report["gpus"].as_array().expect("gpus");
    assert_eq!(gpus.len(), 2);
    for gpu in gpus {
        let gb = gpu["memory_total_bytes"].as_f64().expect("bytes") / 1e9;
        assert!((80.0..90.0).contains(&gb), "{gb} GB");
        assert!(gpu["name"].as_str().expect("name").contains("A100"));
    }
}

#[test]
fn hardware_json_of_every_fixture_matches_its_file() {
    for (file, count) in [
        ("rtx4090-24gb.json", 1),
        ("l4-24gb.json", 1),
        ("a100-40gb.json", 1),
        ("2xa100-80gb-nvlink.json", 2),
        ("8xh100-80gb.json", 8),
        ("laptop-rtx3060-6gb.json", 1),
        ("a100-40gb-mig.json", 1),
    ] {
        let out = duows(&home(), &["hardware", "--json", "--gpus", &fixture(file)]);
        assert!(out.status.success(), "{file}");
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(
            report["gpus"].as_array().expect("gpus").len(),
            count,
            "{file}"
        );
        assert_eq!(report["driver"]["status"], "described");
    }
}

#[test]
fn hardware_table_of_a_fixture() {
    let out = duows(
        &home(),
        &["hardware", "--gpus", &fixture("8xh100-80gb.json")],
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("GPU  NAME"), "{text}");
    assert_eq!(text.matches("NVIDIA H100 80GB HBM3").count(), 8, "{text}");
    assert!(text.contains("79.1 GiB"));
    assert!(
        text.contains("0,1,2,3,4,5,6"),
        "NVLink peers of GPU 7: {text}"
    );
    assert!(text.contains("System") && text.contains("CPU"));
}

#[test]
fn hardware_without_a_driver_says_so_and_succeeds() {
    let home = home();
    let out = duows(&home, &["hardware"]);
    assert!(out.status.success(), "exit 0 without a driver");
    let json = duows(&home, &["hardware", "--json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    if report["driver"]["status"] == "ok" {
        // A machine with an NVIDIA driver: the real probe answered.
        assert!(report["driver"]["driver_version"].is_string());
        return;
    }
    assert_eq!(report["driver"]["status"], "not_found");
    assert!(
        stdout(&out).contains("No NVIDIA driver found"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("What to do: Install the NVIDIA driver"));
    assert!(report["gpus"].as_array().expect("gpus").is_empty());
    assert!(
        report["system"]["memory_total_bytes"]
            .as_u64()
            .expect("ram")
            > 0
    );
    assert!(
        !home.path().join("settings.json").exists(),
        "reading writes nothing"
    );
}

#[test]
fn a_bad_spec_is_a_clear_error() {
    let out = duows(&home(), &["hardware", "--gpus", "3xFOO"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--gpus") && err.contains("unknown GPU model `FOO`"),
        "{err}"
    );
    let out = duows(&home(), &["hardware", "--gpus", "/nonexistent/box.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the hardware description"));
}

#[test]
fn version_and_help() {
    let out = duows(&home(), &["--version"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("duows {}", env!("CARGO_PKG_VERSION"))
    );
    let out = duows(&home(), &["--help"]);
    let help = stdout(&out);
    assert!(
        help.contains("Examples:") && help.contains("duows serve"),
        "{help}"
    );
    let out = duows(&home(), &["serve", "--help"]);
    assert!(stdout(&out).contains("--gpus <SPEC|FILE>"));
}

/// A running `duows serve`, killed on drop.
struct Served {
    child: Child,
    port: u16,
    lines: Vec<String>,
    _home: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str], wanted_lines: usize) -> Served {
    let home = home();
    let mut child = Command::new(env!("CARGO_BIN_EXE_duows"))
        .arg("serve")
        .args(["--gateway-port", "0"])
        .args(args)
        .env("DUOWS_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start duows serve");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while lines.len() < wanted_lines && Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        lines.push(line.trim_end().to_owned());
    }
    let port = lines
        .iter()
        .find_map(|l| l.strip_prefix("duows: listening on http://"))
        .and_then(|addr| addr.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no listening line in {lines:?}"));
    Served {
        child,
        port,
        lines,
        _home: home,
    }
}

/// One HTTP/1.1 request over a plain socket: (status, body).
fn request(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut text = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        text.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response[9..12].parse().expect("status");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_answers_the_api_and_refuses_a_foreign_host() {
    let served = serve(&["--port", "0", "--gpus", "2xA100-80GB"], 1);
    let (status, body) = request(served.port, "/api/hardware", &[]);
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["gpus"].as_array().expect("gpus").len(), 2);
    let (status, body) = request(served.port, "/api/hardware", &[("Host", "evil.example")]);
    assert_eq!(status, 403);
    assert!(body.contains("forbidden_host"));
    let (status, _) = request(served.port, "/", &[]);
    assert!(
        status == 200 || status == 503,
        "the UI, or a page saying it was not built"
    );
}

#[test]
fn serve_off_loopback_prints_a_token_once_and_requires_it() {
    let served = serve(&["--host", "0.0.0.0", "--port", "0", "--gpus", "1xL4"], 3);
    let token = served
        .lines
        .iter()
        .find_map(|l| l.split_once("#token=").map(|(_, t)| t.to_owned()))
        .unwrap_or_else(|| panic!("no token line in {:?}", served.lines));
    assert_eq!(
        served.lines.iter().filter(|l| l.contains(&token)).count(),
        1,
        "printed once"
    );
    let (status, _) = request(served.port, "/api/hardware", &[]);
    assert_eq!(status, 401);
    let bearer = format!("Bearer {token}");
    let (status, _) = request(served.port, "/api/hardware", &[("Authorization", &bearer)]);
    assert_eq!(status, 200);
}

#[test]
fn serve_reports_a_port_in_use() {
    let first = serve(&["--port", "0", "--gpus", "none"], 1);
    let port = first.port.to_string();
    let out = duows(
        &home(),
        &[
            "serve",
            "--port",
            &port,
            "--gateway-port",
            "0",
            "--gpus",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen on") && err.contains("--port 0"),
        "{err}"
    );
}

#[test]
fn serve_stops_promptly_on_sigterm_with_a_stream_open() {
    let mut served = serve(&["--port", "0", "--gpus", "1xL4"], 1);
    // A browser tab keeps the sample stream open.
    let mut stream = TcpStream::connect(("127.0.0.1", served.port)).expect("connect");
    let head = format!(
        "GET /api/samples/stream HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        served.port
    );
    stream.write_all(head.as_bytes()).expect("send");
    let mut first = [0u8; 64];
    stream.read_exact(&mut first).expect("stream started");
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    loop {
        if let Some(status) = served.child.try_wait().expect("wait") {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_of(args: &[&str]) -> Value {
    let out = duows(&home(), args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn model_in<'a>(rec: &'a Value, id: &str) -> &'a Value {
    rec["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["model"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

#[test]
fn recommend_on_one_a100_40gb() {
    let rec = json_of(&["recommend", "--gpus", "1xA100-40GB", "--json"]);
    let mistral = model_in(&rec, "mistral-7b-instruct-v0.3");
    assert_eq!(mistral["fits"], true);
    assert_eq!(mistral["tensor_parallel_size"], 1);
    assert_eq!(model_in(&rec, "mixtral-8x22b-instruct-v0.1")["fits"], false);
    let text = stdout(&duows(&home(), &["recommend", "--gpus", "1xA100-40GB"]));
    assert!(
        text.contains("Mistral 7B Instruct v0.3") && text.contains("Best per Duo feature"),
        "{text}"
    );
}

#[test]
fn recommend_on_eight_a100_80gb_fits_mixtral_8x22b() {
    let rec = json_of(&["recommend", "--gpus", "8xA100-80GB", "--json"]);
    let mixtral = model_in(&rec, "mixtral-8x22b-instruct-v0.1");
    assert_eq!(mixtral["fits"], true);
    assert!(mixtral["tensor_parallel_size"].as_u64().expect("tp") >= 4);
}

#[test]
fn fit_gpt_oss_120b_on_one_h100() {
    let fit = json_of(&[
        "fit",
        "--model",
        "gpt-oss-120b",
        "--gpus",
        "1xH100-80GB",
        "--context",
        "32768",
        "--json",
    ]);
    assert_eq!(fit["fits"], true);
    assert_eq!(fit["max_model_len"], 32768);
    // The fraction vLLM reports ("Maximum concurrency for 32,768 tokens per request: 10.xx"),
    // not rounded down.
    let concurrency = fit["concurrency"].as_f64().expect("concurrency");
    assert!(
        (9.0..12.0).contains(&concurrency) && concurrency.fract() != 0.0,
        "about 10, got {concurrency}"
    );
    let text = stdout(&duows(
        &home(),
        &[
            "fit",
            "--model",
            "openai/gpt-oss-120b",
            "--gpus",
            "1xH100-80GB",
        ],
    ));
    assert!(
        text.contains("--max-model-len 32768") && text.contains("KV cache"),
        "{text}"
    );
}

#[test]
fn fit_errors_name_the_flag() {
    let out = duows(
        &home(),
        &[
            "fit",
            "--model",
            "gpt-oss-20b",
            "--gpus",
            "1xL4",
            "--context",
            "999999",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--context:"));
    let out = duows(&home(), &["fit", "--model", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--model:"));
}

#[test]
fn recommend_without_a_gpu_says_what_is_needed() {
    let rec = json_of(&["recommend", "--gpus", "none", "--json"]);
    let advice = rec["advice"].as_array().expect("advice");
    assert!(advice.iter().any(|a| a
        .as_str()
        .is_some_and(|a| a.contains("needs a GPU with at least"))));
}

#[test]
fn without_a_gpu_the_table_and_the_advice_give_one_size() {
    let text = stdout(&duows(&home(), &["recommend", "--gpus", "none"]));
    let row = text
        .lines()
        .find(|l| l.starts_with("CodeGemma 2B"))
        .unwrap_or_else(|| panic!("no CodeGemma 2B row in {text}"));
    let needs = row
        .split("needs ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no size in {row}"));
    assert!(needs.ends_with(" GiB"), "{row}");
    assert!(
        text.contains(&format!(
            "CodeGemma 2B, needs a GPU with at least {needs} of memory"
        )),
        "the advice and the table disagree ({needs}): {text}"
    );
    assert!(!text.contains(" GB"), "one unit: {text}");
}

#[test]
fn fit_text_agrees_with_itself() {
    let text = stdout(&duows(
        &home(),
        &["fit", "--model", "codegemma-2b", "--gpus", "none"],
    ));
    assert_eq!(text.matches("To make it fit").count(), 1, "{text}");
    assert!(!text.contains(" GB"), "one unit: {text}");
    for (model, gpus) in [
        ("gpt-oss-120b", "1xH100-80GB"),
        ("mistral-7b-instruct-v0.3", "1xA100-40GB"),
    ] {
        let text = stdout(&duows(&home(), &["fit", "--model", model, "--gpus", gpus]));
        assert!(
            !text.contains(" 1 requests") && !text.contains(" 1 concurrent requests"),
            "{text}"
        );
        assert!(
            text.contains("× the full context; vLLM admits up to"),
            "{text}"
        );
    }
}

#[test]
fn catalog_lists_the_version_and_models() {
    let text = stdout(&duows(&home(), &["catalog"]));
    assert!(text.starts_with("Model catalog "), "{text}");
    assert!(text.contains("gpt-oss-120b") && text.contains("mistral-7b-instruct-v0.3"));
}

#[test]
fn engine_plan_prints_gitlabs_flags_with_the_key_hidden() {
    let out = duows(
        &home(),
        &[
            "engine",
            "plan",
            "--model",
            "mistral-7b-instruct-v0.3",
            "--gpus",
            "1xA100-40GB",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for expected in [
        "VLLM_API_KEY=<hidden>",
        "vllm serve mistralai/Mistral-7B-Instruct-v0.3",
        "--host 127.0.0.1",
        "--served-model-name mistral-7b-instruct-v0.3",
        "--tensor-parallel-size 1",
        "--tokenizer_mode mistral --load_format mistral --config_format mistral --tokenizer mistralai/Mistral-7B-Instruct-v0.3",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in {text}");
    }
    let plan = json_of(&[
        "engine",
        "plan",
        "--model",
        "mistral-7b-instruct-v0.3",
        "--gpus",
        "1xA100-40GB",
        "--json",
    ]);
    let key = plan["plan"]["api_key"].as_str().expect("key field");
    assert_eq!(key, "<hidden>");
    let env = plan["plan"]["env"].as_array().expect("env");
    assert!(env
        .iter()
        .any(|v| v["name"] == "VLLM_API_KEY" && v["value"] == "<hidden>"));
    assert!(plan["plan"]["args"]
        .as_array()
        .expect("args")
        .iter()
        .all(|a| a != "<hidden>"));
}

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

/// `duows serve` with extra environment.
fn serve_with_env(args: &[&str], env: &[(&str, &Path)]) -> Served {
    let home = home();
    let mut command = Command::new(env!("CARGO_BIN_EXE_duows"));
    command
        .arg("serve")
        .args(["--gateway-port", "0"])
        .args(args)
        .env("DUOWS_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start duows serve");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Served {
        child,
        port,
        lines: vec![line],
        _home: home,
    }
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

#[test]
fn engine_plan_uses_a_checked_local_folder_offline() {
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().join("Mistral-7B-Instruct-v0.3");
    std::fs::create_dir(&folder).expect("mkdir");
    let folder_arg = folder.display().to_string();
    let plan = |home: &tempfile::TempDir| {
        duows(
            home,
            &[
                "engine",
                "plan",
                "--model",
                "mistral-7b-instruct-v0.3",
                "--gpus",
                "1xA100-40GB",
                "--model-dir",
                &folder_arg,
            ],
        )
    };
    let home = home();
    let refused = plan(&home);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--model-dir:"),
        "names the flag"
    );
    std::fs::write(folder.join("config.json"), "{}").expect("config");
    std::fs::write(folder.join("tokenizer.json"), "{}").expect("tokenizer");
    // A sparse file of the catalog's exact size stands in for the weights.
    let weights = std::fs::File::create(folder.join("consolidated.safetensors")).expect("weights");
    weights.set_len(14_496_047_104).expect("sparse");
    let out = plan(&home);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("HF_HUB_OFFLINE=1"), "{text}");
    assert!(text.contains(&format!("vllm serve {folder_arg}")), "{text}");
    assert!(
        text.contains(&format!("--tokenizer {folder_arg}")),
        "{text}"
    );
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

#[test]
fn the_gateway_refuses_the_network_without_a_key_and_names_a_taken_port() {
    let out = duows(
        &home(),
        &[
            "serve",
            "--port",
            "0",
            "--gateway-host",
            "0.0.0.0",
            "--gateway-port",
            "0",
            "--gpus",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("duows keys create"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = duows(
        &home(),
        &[
            "serve",
            "--port",
            "0",
            "--gateway-port",
            &port,
            "--gpus",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--gateway-port"), "{err}");
}

#[test]
fn keys_features_and_deployments_edit_the_data_folder() {
    let home = home();
    let out = duows(&home, &["keys", "create", "--name", "gitlab"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = stdout.lines().last().expect("key line");
    assert!(key.starts_with("dwk_") && !key.contains(' '), "{stdout}");
    let listed = String::from_utf8_lossy(&duows(&home, &["keys", "list"]).stdout).into_owned();
    assert!(
        listed.contains("gitlab") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(key), "the key is shown once only");
    let file = std::fs::read_to_string(home.path().join("gateway-keys.json")).expect("keys");
    assert!(!file.contains(key));
    assert!(duows(&home, &["keys", "revoke", "gitlab"]).status.success());
    let listed = String::from_utf8_lossy(&duows(&home, &["keys", "list"]).stdout).into_owned();
    assert!(listed.contains("revoked"), "{listed}");

    let bad = duows(
        &home,
        &[
            "deployments",
            "add",
            "--name",
            "gpu-2",
            "--endpoint",
            "http://gpu-2:8000/api",
            "--served-model",
            "m",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("deployments.endpoint"));
    let good = duows(
        &home,
        &[
            "deployments",
            "add",
            "--name",
            "gpu-2",
            "--endpoint",
            "http://gpu-2:8000/v1",
            "--served-model",
            "m",
        ],
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(duows(&home, &["features", "set", "duo_chat", "gpu-2"])
        .status
        .success());
    let routes = String::from_utf8_lossy(&duows(&home, &["features", "list"]).stdout).into_owned();
    let explain = routes
        .lines()
        .find(|l| l.starts_with("duo_chat_explain_code"))
        .expect("row");
    assert!(explain.contains("gpu-2 (from duo_chat)"), "{explain}");
    assert!(
        explain.contains("custom_openai/duo-chat-explain-code"),
        "{explain}"
    );
    let unknown = duows(&home, &["features", "set", "duo_coffee", "gpu-2"]);
    assert_eq!(unknown.status.code(), Some(2));
}
