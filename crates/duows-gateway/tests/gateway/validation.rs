//! Requests with invalid OpenAI parameters are answered 400 by the gateway, naming the
//! parameter, and never reach the engine; unknown parameters still pass untouched.

use duows_gateway::GatewayConfig;

use crate::common::{client, gateway, json, recorder, serve, table};
use crate::mocks;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_parameters_are_refused_before_the_engine() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let user = r#""messages":[{"role":"user","content":"hi"}]"#;
    let cases = [
        (
            "/v1/chat/completions",
            format!(r#"{{"model":"duo-chat",{user},"max_tokens":-5}}"#),
            "max_tokens",
            "max_tokens must be an integer of at least 1, got -5",
        ),
        (
            "/v1/chat/completions",
            format!(r#"{{"model":"duo-chat",{user},"stream":true,"max_tokens":-5}}"#),
            "max_tokens",
            "got -5",
        ),
        (
            "/v1/chat/completions",
            format!(r#"{{"model":"duo-chat",{user},"top_p":5}}"#),
            "top_p",
            "got 5",
        ),
        (
            "/v1/chat/completions",
            format!(r#"{{"model":"duo-chat",{user},"stop":5}}"#),
            "stop",
            "got 5",
        ),
        (
            "/v1/chat/completions",
            r#"{"model":"duo-chat","messages":[{"role":"user","content":"2+2?"},{"role":"tool","content":null,"tool_call_id":"c1"}]}"#.to_owned(),
            "messages[1].content",
            "content",
        ),
        (
            "/v1/completions",
            r#"{"model":"duo-chat","prompt":null}"#.to_owned(),
            "prompt",
            "needs a `prompt`",
        ),
        (
            "/v1/completions",
            r#"{"model":"duo-chat","prompt":"x","max_tokens":-5}"#.to_owned(),
            "max_tokens",
            "got -5",
        ),
    ];
    for (path, body, param, says) in &cases {
        let response = client()
            .post(gw.at(path))
            .body(body.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400, "{body}");
        assert!(response.headers().contains_key("x-request-id"));
        let error = json(&response.bytes().await.expect("body"));
        assert_eq!(error["error"]["type"], "invalid_request_error", "{error}");
        assert_eq!(error["error"]["param"], *param, "{error}");
        let message = error["error"]["message"].as_str().expect("message");
        assert!(message.contains(says), "{body}: {message}");
        assert!(error["error"]["code"].is_string(), "{error}");
    }
    assert!(
        rec.requests.lock().expect("lock").is_empty(),
        "the engine received an invalid request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_requests_with_extensions_pass_byte_for_byte() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let sent = r#"{"model":"duo-chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"caf\u00e9?"}],"max_tokens":16,"top_p":0.9,"stop":["a","b","c","d","e"],"top_k":-1,"guided_json":{"type":"object"},"chat_template_kwargs":{"enable_thinking":false},"x":1e400}"#;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(sent)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(
        std::str::from_utf8(&rec.last().body).expect("utf-8"),
        sent.replace("\"duo-chat\"", "\"Qwen/Qwen3-8B\"")
    );
}
