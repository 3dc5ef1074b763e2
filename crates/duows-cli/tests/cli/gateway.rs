//! The gateway's configuration from the command line: keys, deployments and feature routes
//! edit the data folder.

use crate::common::{duows, home};

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

/// A one-request-at-a-time HTTP server answering every request with `body` (200).
fn models_server(body: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(4) {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

#[test]
fn deployments_test_asks_the_endpoint_for_its_models_now() {
    let home = home();
    let port = models_server(r#"{"object":"list","data":[{"id":"mistral"}]}"#);
    let endpoint = format!("http://127.0.0.1:{port}/v1");
    for (name, model) in [("here", "mistral"), ("wrong-model", "llama")] {
        let added = duows(
            &home,
            &[
                "deployments",
                "add",
                "--name",
                name,
                "--endpoint",
                &endpoint,
                "--served-model",
                model,
            ],
        );
        assert!(added.status.success());
    }
    let ok = duows(&home, &["deployments", "test", "here"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("serves mistral"));
    let missing = duows(&home, &["deployments", "test", "wrong-model"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout)
        .contains("does not serve llama; it serves: mistral"));
    let unknown = duows(&home, &["deployments", "test", "nowhere"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no external deployment `nowhere`"));
}
