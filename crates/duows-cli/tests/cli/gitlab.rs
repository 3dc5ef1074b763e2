//! `duows gitlab`: the steps by hand from the data folder's routes, inputs refused naming the
//! option, and the token only ever from the environment or a prompt. (The GraphQL flow is
//! tested against a test GitLab in duows-core.)

use std::process::{Command, Output, Stdio};

use crate::common::{duows, home, stdout};

/// Runs `duows args` with `home` as its data folder, `token` as `GITLAB_TOKEN` (or none) and
/// no terminal.
fn gitlab(home: &tempfile::TempDir, token: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_duows"));
    command
        .arg("gitlab")
        .args(args)
        .env("DUOWS_HOME", home.path())
        .env_remove("GITLAB_TOKEN")
        .env_remove("DUOWS_GATEWAY_KEY")
        .stdin(Stdio::null());
    if let Some(token) = token {
        command.env("GITLAB_TOKEN", token);
    }
    command.output().expect("run duows")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("address").port()
    )
}

#[test]
fn the_steps_to_type_by_hand_are_written_to_a_file() {
    let home = home();
    assert!(duows(
        &home,
        &["features", "set", "duo_chat", "mistral-7b-instruct-v0.3"]
    )
    .status
    .success());
    let file = home.path().join("steps.txt");
    let out = gitlab(
        &home,
        None,
        &[
            "steps",
            "--address",
            "gpu-box.example.com",
            "--gitlab",
            "18.6",
            "--out",
            &file.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Wrote the steps"));
    let text = std::fs::read_to_string(&file).expect("steps file");
    assert!(text.contains("duo-workstation-duo-chat"), "{text}");
    assert!(
        text.contains("http://gpu-box.example.com:8000/v1"),
        "{text}"
    );
    assert!(text.contains("custom_openai/duo-chat"), "{text}");
    assert!(text.contains("Mistral (MISTRAL)"), "{text}");
    let printed = gitlab(&home, None, &["steps", "--address", "gpu-box.example.com"]);
    assert_eq!(stdout(&printed), text, "the same text on stdout");
}

#[test]
fn inputs_and_the_token_are_checked_naming_the_option() {
    let home = home();
    let url = closed_url();
    let out = gitlab(
        &home,
        Some("glpat-secret"),
        &["plan", "--url", &url, "--address", "localhost:8000"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--address: `localhost`"),
        "{}",
        stderr(&out)
    );

    let out = gitlab(
        &home,
        None,
        &["plan", "--url", &url, "--address", "gpu-box"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("set GITLAB_TOKEN"),
        "{}",
        stderr(&out)
    );

    let out = gitlab(
        &home,
        Some("glpat-secret"),
        &[
            "plan",
            "--url",
            &url,
            "--address",
            "gpu-box",
            "--token",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "no --token option");

    let out = gitlab(
        &home,
        Some("glpat-secret"),
        &["plan", "--url", &url, "--address", "gpu-box"],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("cannot be reached"), "{text}");
    assert!(!text.contains("glpat-secret"), "{text}");
}
