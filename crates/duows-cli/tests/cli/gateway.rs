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

fn run_with_key(home: &tempfile::TempDir, args: &[&str], key: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_duows"))
        .args(args)
        .env("DUOWS_HOME", home.path())
        .env("DUOWS_DEPLOYMENT_KEY", key)
        .env("DUOWS_SECRET_STORE", "file")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run duows")
}

#[test]
fn bedrock_and_azure_deployments_keys_in_the_secret_store_rated_and_disabled_features() {
    let home = home();
    let text = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // GitLab's rule, with the corrected value to give.
    let bad = duows(
        &home,
        &[
            "deployments",
            "add",
            "--name",
            "claude",
            "--platform",
            "bedrock",
            "--region",
            "us-east-1",
            "--model",
            "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("fix: --model \"us.anthropic.claude-3-5-sonnet-20240620-v1:0\""),
        "{}",
        text(&bad)
    );
    let missing_v1 = duows(
        &home,
        &[
            "deployments",
            "add",
            "--name",
            "gpu-2",
            "--endpoint",
            "http://gpu-2:8000",
            "--model",
            "m",
        ],
    );
    assert!(
        text(&missing_v1).contains("fix: --endpoint \"http://gpu-2:8000/v1\""),
        "{}",
        text(&missing_v1)
    );
    let claude = duows(
        &home,
        &[
            "deployments",
            "add",
            "--name",
            "claude",
            "--platform",
            "bedrock",
            "--region",
            "us-east-1",
            "--model",
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        ],
    );
    assert!(claude.status.success(), "{}", text(&claude));
    assert!(text(&claude).contains("bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"));
    assert!(
        text(&claude).contains("family CLAUDE_3"),
        "{}",
        text(&claude)
    );

    // A key is read from the environment or a prompt, kept in the secret store (a 0600 file
    // here), and never written to the settings or printed.
    let key = "azure-key-0123456789abcdef";
    let azure = run_with_key(
        &home,
        &[
            "deployments",
            "add",
            "--name",
            "team-gpt",
            "--platform",
            "azure",
            "--endpoint",
            "https://team.openai.azure.com",
            "--model",
            "gpt-4o",
            "--store-key",
        ],
        key,
    );
    assert!(azure.status.success(), "{}", text(&azure));
    assert!(!text(&azure).contains(key));
    let settings = std::fs::read_to_string(home.path().join("settings.json")).expect("settings");
    assert!(
        !settings.contains(key) && settings.contains("\"api_key_stored\": true"),
        "{settings}"
    );
    let secrets = std::fs::read_to_string(home.path().join("secrets.json")).expect("secrets");
    assert!(secrets.contains(key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("secrets.json"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let listed = run_with_key(&home, &["deployments", "list"], "");
    let listed = text(&listed);
    assert!(
        listed.contains("secret store") && listed.contains("azure/gpt-4o"),
        "{listed}"
    );
    assert!(
        listed.contains("readable only by you") && !listed.contains(key),
        "{listed}"
    );
    // Bedrock takes no key: refused, and nothing is stored.
    let refused = run_with_key(&home, &["deployments", "key", "claude"], "some-key");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("deployments.api_key"),
        "{}",
        text(&refused)
    );
    let secrets = std::fs::read_to_string(home.path().join("secrets.json")).expect("secrets");
    assert!(!secrets.contains("some-key"));
    // Bedrock is not checked from here: GitLab's connection check does.
    let test = duows(&home, &["deployments", "test", "claude"]);
    assert!(
        test.status.success() && text(&test).contains("GitLab's connection check"),
        "{}",
        text(&test)
    );

    // Every feature Claude is rated for, at once; a feature turned off stays off.
    assert!(duows(&home, &["features", "disable", "duo_chat_fix_code"])
        .status
        .success());
    let rated = duows(&home, &["features", "rated", "claude"]);
    assert!(rated.status.success(), "{}", text(&rated));
    let routes = text(&duows(&home, &["features", "list"]));
    let row = |feature: &str| {
        routes
            .lines()
            .find(|l| l.starts_with(&format!("{feature} ")))
            .unwrap_or_else(|| panic!("{feature} in {routes}"))
            .to_owned()
    };
    assert!(row("duo_chat").contains("claude"), "{routes}");
    assert!(row("duo_chat").contains("bedrock/us.anthropic"), "{routes}");
    assert!(row("duo_chat_fix_code").contains("disabled"), "{routes}");
    assert!(
        row("duo_chat_troubleshoot_job").contains("claude (from duo_chat)"),
        "beta: borrowed, not routed"
    );
    assert!(duows(&home, &["deployments", "remove", "team-gpt"])
        .status
        .success());
    let secrets = std::fs::read_to_string(home.path().join("secrets.json")).expect("secrets");
    assert!(!secrets.contains(key), "its stored key goes with it");
}
