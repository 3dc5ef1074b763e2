//! Engines that break: mid-stream deaths and silences end the stream with an error event
//! (never `[DONE]`); an engine that never starts answering gets a 504.

use std::time::{Duration, Instant};

use duows_gateway::GatewayConfig;

use crate::common::{client, error_code, gateway, json, recorder, serve, table};
use crate::mocks::{self, chunk_events, read_chunks, text_of, End};

const STREAM_BODY: &str =
    r#"{"model":"duo-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;

/// The JSON of the last `data:` event of a stream.
fn last_event(text: &str) -> serde_json::Value {
    let data = text
        .split("\n\n")
        .filter_map(|event| event.trim().strip_prefix("data: "))
        .last()
        .expect("an event");
    json(data.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_dying_mid_stream_ends_with_an_error_event_and_no_done() {
    let engine = serve(mocks::streaming(
        recorder(),
        chunk_events(2),
        Duration::from_millis(20),
        End::Die,
    ))
    .await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(STREAM_BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let text = text_of(&read_chunks(response).await);
    assert!(text.contains("\"i\":1"), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    assert!(text.ends_with("\n\n"), "{text}");
    let error = last_event(&text);
    assert_eq!(error["error"]["code"], "upstream_failed");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("`qwen`"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_engine_times_out_between_chunks_not_over_the_whole_answer() {
    // Chunks 150 ms apart pass an idle limit of 400 ms even though the whole answer takes
    // longer than that; then the engine falls silent and the limit ends the stream.
    let engine = serve(mocks::streaming(
        recorder(),
        chunk_events(4),
        Duration::from_millis(150),
        End::Hang,
    ))
    .await;
    let config = GatewayConfig {
        idle_timeout: Duration::from_millis(400),
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    let started = Instant::now();
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(STREAM_BODY)
        .send()
        .await
        .expect("send");
    let text = text_of(&read_chunks(response).await);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "ended after the silence"
    );
    assert!(text.contains("\"usage\""), "every chunk arrived: {text}");
    assert!(!text.contains("[DONE]"), "{text}");
    assert_eq!(last_event(&text)["error"]["code"], "upstream_idle_timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_never_starts_answering_gets_a_504() {
    let engine = serve(mocks::slow(recorder(), Duration::from_secs(5))).await;
    let config = GatewayConfig {
        ttfb_timeout: Duration::from_millis(300),
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    let started = Instant::now();
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        error_code(&response.bytes().await.expect("body")),
        "upstream_timeout"
    );
}
