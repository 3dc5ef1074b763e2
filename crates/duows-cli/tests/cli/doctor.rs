//! `duows doctor`: without a server it still checks the driver and says how to start the
//! server (exit 1); against a running server it prints each step with its fix.

use crate::common::{duows, home, serve, stdout};

#[test]
fn without_a_server_the_doctor_says_how_to_start_one() {
    let home = home();
    let output = duows(
        &home,
        &["doctor", "--server", "http://127.0.0.1:9", "--json"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed step fails the command"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    let lines = report["lines"].as_array().expect("lines");
    assert_eq!(lines[0]["area"], "driver");
    let server = lines
        .iter()
        .find(|l| l["area"] == "server")
        .expect("server line");
    assert_eq!(server["status"], "fail");
    assert!(server["fix"]
        .as_str()
        .is_some_and(|f| f.contains("duows serve")));
}

#[test]
fn against_a_running_server_each_step_has_its_fix() {
    let served = serve(&["--port", "0", "--gpus", "1xA100-80GB"], 2);
    let home = home();
    let server = format!("http://127.0.0.1:{}", served.port);
    let output = duows(&home, &["doctor", "--server", &server]);
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "only warnings and skips: {text}"
    );
    assert!(
        text.contains("WARN  NVIDIA driver and NVML: Described hardware"),
        "{text}"
    );
    assert!(
        text.contains("WARN  Gateway request: no Duo feature is routed"),
        "{text}"
    );
    assert!(text.contains("→ Route the features"), "{text}");
    assert!(text.contains("skip  GitLab"), "{text}");
    assert!(
        text.lines().last().is_some_and(|l| l.contains("0 failed")),
        "{text}"
    );
}

#[test]
fn with_a_gitlab_address_the_doctor_checks_gitlab_too() {
    let home = home();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_duows"))
        .args(["doctor", "--server", "http://127.0.0.1:9", "--json"])
        .args([
            "--gitlab-url",
            "http://127.0.0.1:9",
            "--address",
            "gpu-1:8000",
        ])
        .env("DUOWS_HOME", home.path())
        .env("GITLAB_TOKEN", "glpat-never-shown")
        .output()
        .expect("run duows");
    let text = stdout(&output);
    assert!(
        !text.contains("glpat-never-shown"),
        "the token is never printed"
    );
    let report: serde_json::Value = serde_json::from_str(&text).expect("json");
    let gitlab = report["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["area"] == "gitlab").cloned())
        .expect("a GitLab line");
    assert_eq!(gitlab["status"], "fail", "{gitlab}");
    assert!(
        gitlab["detail"]
            .as_str()
            .is_some_and(|d| d.contains("127.0.0.1:9")),
        "{gitlab}"
    );
}

#[test]
fn the_configuration_moves_between_machines_without_secrets() {
    let first = home();
    assert!(duows(
        &first,
        &[
            "deployments",
            "add",
            "--name",
            "remote",
            "--endpoint",
            "http://10.0.0.5:8000/v1",
            "--served-model",
            "m",
            "--api-key-env",
            "REMOTE_KEY"
        ]
    )
    .status
    .success());
    let file = first.path().join("export.json");
    let output = duows(
        &first,
        &["config", "export", "--out", file.to_str().expect("path")],
    );
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("not included: REMOTE_KEY"));
    let second = home();
    let output = duows(&second, &["config", "import", file.to_str().expect("path")]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("1 deployments"),
        "{}",
        stdout(&output)
    );
    let listed = stdout(&duows(&second, &["deployments", "list"]));
    assert!(listed.contains("remote"), "{listed}");
}
