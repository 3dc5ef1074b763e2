//! Engine error answers: clean OpenAI errors reach the client as sent; tracebacks, install
//! paths and shapeless errors are replaced by a clean error with the same status and the
//! request id, and the engine's whole answer is written to the request log.

use std::time::Duration;

use axum::http::StatusCode;
use duows_gateway::{GatewayConfig, LOG_FILE};

use crate::common::{client, eventually, gateway, json, recorder, serve, table};
use crate::mocks;

/// What llama-cpp-python answers when a request makes it fail.
const TRACEBACK: &str = r#"{"error":{"message":"Traceback (most recent call last):\n  File \"/home/ann/.local/share/duows/engines/llama-cpp/lib/python3.12/site-packages/llama_cpp/llama.py\", line 1210, in _create_completion\n    if len(prompt_tokens) >= self._n_ctx:\nTypeError: object of type 'NoneType' has no len()","type":"internal_server_error","param":null,"code":null}}"#;

const CHAT: &str = r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#;
const STREAM: &str =
    r#"{"model":"duo-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;

fn log_lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(LOG_FILE))
        .unwrap_or_default()
        .lines()
        .map(|l| json(l.as_bytes()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracebacks_are_logged_not_passed_on() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let engine = serve(mocks::failing(
        recorder(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "application/json",
        TRACEBACK,
    ))
    .await;
    let config = GatewayConfig {
        request_log_dir: Some(log_dir.path().to_owned()),
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    for (id, body) in [("tb-plain", CHAT), ("tb-stream", STREAM)] {
        let response = client()
            .post(gw.at("/v1/chat/completions"))
            .header("x-request-id", id)
            .body(body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 500, "{id}");
        assert_eq!(response.headers()["x-request-id"], id);
        let text = response.text().await.expect("body");
        assert!(!text.contains("Traceback"), "{text}");
        assert!(
            !text.contains("/home/") && !text.contains("site-packages"),
            "{text}"
        );
        let error = json(text.as_bytes());
        assert_eq!(error["error"]["code"], "upstream_error");
        assert_eq!(error["error"]["type"], "server_error");
        let message = error["error"]["message"].as_str().expect("message");
        assert!(
            message.starts_with("TypeError: object of type 'NoneType'"),
            "{message}"
        );
        assert!(message.contains(id), "the request id is named: {message}");
    }
    assert!(
        eventually(Duration::from_secs(5), || log_lines(log_dir.path()).len()
            >= 2)
        .await,
        "two lines written"
    );
    for line in log_lines(log_dir.path()) {
        assert_eq!(line["status"], 500, "{line}");
        assert_eq!(line["error"], "upstream_error", "{line}");
        let logged = line["upstream_error"].as_str().expect("logged");
        // Prompts are not logged by default, and an engine's error may quote them.
        assert!(
            logged.starts_with("TypeError: object of type 'NoneType'"),
            "{logged}"
        );
        assert!(!logged.contains("site-packages"), "{logged}");
        assert!(line["request_id"].as_str().expect("id").starts_with("tb-"));
    }

    // With prompts logged, the engine's whole answer is kept for the operator.
    let log_dir = tempfile::tempdir().expect("temp dir");
    let config = GatewayConfig {
        request_log_dir: Some(log_dir.path().to_owned()),
        log_bodies: true,
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("x-request-id", "tb-whole")
        .body(CHAT)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 500);
    assert!(
        eventually(Duration::from_secs(5), || !log_lines(log_dir.path())
            .is_empty())
        .await,
        "a line written"
    );
    let line = &log_lines(log_dir.path())[0];
    assert_eq!(
        line["upstream_error"], TRACEBACK,
        "the whole answer is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_shapeless_errors_become_openai_errors() {
    for (status, content_type, body, says) in [
        (StatusCode::BAD_REQUEST, "text/plain", "", "400 Bad Request"),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "application/json",
            r#"{"detail":[{"loc":["body","top_p"],"msg":"Input should be a valid number","type":"float_parsing"}]}"#,
            "top_p: Input should be a valid number",
        ),
        (
            StatusCode::BAD_GATEWAY,
            "text/html",
            "<html>oops</html>",
            "502 Bad Gateway",
        ),
    ] {
        let engine = serve(mocks::failing(recorder(), status, content_type, body)).await;
        let gw = gateway(GatewayConfig::default(), table(engine)).await;
        let response = client()
            .post(gw.at("/v1/chat/completions"))
            .body(CHAT)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), status);
        assert!(response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/json"));
        let error = json(&response.bytes().await.expect("body"));
        let message = error["error"]["message"].as_str().expect("message");
        assert!(message.contains(says), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_engine_errors_keep_their_message() {
    let vllm = r#"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 9000 tokens (1000 in the messages, 8000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}"#;
    let engine = serve(mocks::failing(
        recorder(),
        StatusCode::BAD_REQUEST,
        "application/json",
        vllm,
    ))
    .await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    for body in [CHAT, STREAM] {
        let response = client()
            .post(gw.at("/v1/chat/completions"))
            .body(body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400);
        assert_eq!(response.text().await.expect("body"), vllm, "byte for byte");
    }
}
