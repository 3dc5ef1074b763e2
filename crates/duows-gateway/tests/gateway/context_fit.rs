//! GitLab's Duo Chat asks for `max_tokens: 8192` whatever the engine: against an engine with
//! a 4,096-token context (a mock that answers exactly as vLLM does) the gateway lowers the
//! request to what fits, the client gets the answer, and the request log says what changed.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use duows_gateway::{GatewayConfig, LOG_FILE};

use crate::common::{client, eventually, gateway, json, recorder, serve, table, Recorder};
use crate::mocks;

/// Prompt tokens the mock engine counts for every request.
const PROMPT_TOKENS: u64 = 105;
/// The mock engine's context.
const CONTEXT: u64 = 4096;

/// An engine with a 4,096-token context: refuses an answer longer than what is left with
/// vLLM's own 400, otherwise answers (streamed or not).
fn vllm_with_short_context(seen: Arc<Recorder>) -> Router {
    Router::new().route(
        "/v1/chat/completions",
        post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                seen.record("/v1/chat/completions", &headers, &body);
                let request: serde_json::Value = serde_json::from_slice(&body).expect("json");
                let asked = request["max_tokens"].as_u64().unwrap_or(16);
                if asked + PROMPT_TOKENS > CONTEXT {
                    let message = format!(
                        "'max_tokens' or 'max_completion_tokens' is too large: {asked}. This model's maximum context length is {CONTEXT} tokens and your request has {PROMPT_TOKENS} input tokens ({asked} > {CONTEXT} - {PROMPT_TOKENS}). None"
                    );
                    let error = serde_json::json!({"error": {"message": message, "type": "BadRequestError", "param": null, "code": 400}});
                    return (StatusCode::BAD_REQUEST, [("content-type", "application/json")], error.to_string()).into_response();
                }
                if request["stream"] == true {
                    let events = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Final Answer: ok\"}}]}\n\ndata: [DONE]\n\n";
                    return ([("content-type", "text/event-stream")], events).into_response();
                }
                let answer = serde_json::json!({"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("room for {asked}")}, "finish_reason": "stop"}], "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 3, "total_tokens": PROMPT_TOKENS + 3}});
                ([("content-type", "application/json")], answer.to_string()).into_response()
            }
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duo_chats_8192_tokens_fit_an_engine_of_4096() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let seen = recorder();
    let engine = serve(vllm_with_short_context(seen.clone())).await;
    let config = GatewayConfig {
        request_log_dir: Some(log_dir.path().to_owned()),
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    for stream in [false, true] {
        let body = serde_json::json!({
            "model": "duo-chat", "max_tokens": 8192, "temperature": 0.1, "stream": stream,
            "stop": ["Observation:"], "messages": [{"role": "user", "content": "hi"}]
        });
        let response = client()
            .post(gw.at("/v1/chat/completions"))
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "stream {stream}");
        let text = response.text().await.expect("body");
        if stream {
            assert!(
                text.contains("Final Answer: ok") && text.contains("[DONE]"),
                "{text}"
            );
        } else {
            assert_eq!(
                json(text.as_bytes())["choices"][0]["message"]["content"],
                "room for 3991"
            );
        }
        let retried: serde_json::Value = serde_json::from_slice(&seen.last().body).expect("json");
        assert_eq!(
            retried["max_tokens"],
            CONTEXT - PROMPT_TOKENS,
            "lowered to what fits"
        );
        assert_eq!(retried["stop"][0], "Observation:", "the rest is unchanged");
    }
    assert!(
        eventually(Duration::from_secs(5), || {
            std::fs::read_to_string(log_dir.path().join(LOG_FILE))
                .unwrap_or_default()
                .lines()
                .count()
                >= 2
        })
        .await
    );
    for line in std::fs::read_to_string(log_dir.path().join(LOG_FILE))
        .expect("log")
        .lines()
    {
        let line = json(line.as_bytes());
        assert_eq!(line["status"], 200, "{line}");
        assert_eq!(
            line["adjusted"], "max_tokens lowered from 8192 to 3991 to fit the engine's context",
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_longer_than_the_context_is_not_retried() {
    let seen = recorder();
    let message = "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens (5000 in the messages, 4000 in the completion). Please reduce the length of the messages or completion.";
    let error = serde_json::json!({"object": "error", "message": message, "type": "BadRequestError", "param": null, "code": 400});
    let engine = serve(mocks::failing(
        seen.clone(),
        StatusCode::BAD_REQUEST,
        "application/json",
        Box::leak(error.to_string().into_boxed_str()),
    ))
    .await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let body = r#"{"model":"duo-chat","max_tokens":4000,"messages":[{"role":"user","content":"a long prompt"}]}"#;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(
        response.status(),
        400,
        "the engine's answer reaches the client"
    );
    let text = response.text().await.expect("body");
    assert!(text.contains("5000 in the messages"), "{text}");
    assert_eq!(
        seen.requests.lock().expect("lock").len(),
        1,
        "never retried"
    );
}
