//! What the gateway tells: request ids end to end, the request log, and `/metrics`.

use std::time::Duration;

use duows_gateway::{GatewayConfig, LOG_FILE};

use crate::common::{client, eventually, gateway, json, recorder, serve, table};
use crate::mocks::{self, chunk_events, read_chunks, End};

const BODY: &str = r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#;

/// Whether a header value is a UUID in its usual hyphenated form.
fn is_uuid(value: &axum::http::HeaderValue) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ids_come_back_and_engines_get_a_fresh_uuid() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let mut upstream_ids = Vec::new();
    // GitLab's correlation ids are not UUIDs; llama.cpp's server refuses anything else
    // in `X-Request-Id`, and vLLM refuses a second request in flight with the same one.
    for (sent, gitlab) in [
        (
            "01HQ3K5Z8Y9X7W6V5T4S3R2Q1P",
            Some("01HQ3K5Z8Y9X7W6V5T4S3R2Q1P"),
        ),
        ("req-42", None),
        ("req-42", None),
        ("0b9e2f4c-1d2a-4c3b-9e8f-7a6b5c4d3e2f", Some("gl-789")),
    ] {
        let mut request = client()
            .post(gw.at("/v1/chat/completions"))
            .header("x-request-id", sent)
            .body(BODY);
        if let Some(gitlab) = gitlab {
            request = request.header("x-gitlab-correlation-id", gitlab);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["x-request-id"],
            sent,
            "the client's id comes back"
        );
        let seen = rec.last();
        let upstream = seen.headers["x-request-id"].clone();
        assert!(is_uuid(&upstream), "{sent}: the engine got {upstream:?}");
        assert_ne!(upstream, sent);
        match gitlab {
            Some(gitlab) => assert_eq!(seen.headers["x-gitlab-correlation-id"], gitlab),
            None => assert!(seen.headers.get("x-gitlab-correlation-id").is_none()),
        }
        upstream_ids.push(upstream);
    }
    upstream_ids.dedup();
    assert_eq!(upstream_ids.len(), 4, "one upstream id per request");

    // GitLab's id alone becomes the request id.
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("x-gitlab-correlation-id", "gl-only")
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["x-request-id"], "gl-only");
    assert!(is_uuid(&rec.last().headers["x-request-id"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_made_up_when_absent_even_for_errors() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(BODY)
        .send()
        .await
        .expect("send");
    let id = response.headers()["x-request-id"].clone();
    assert!(is_uuid(&id), "{id:?}");
    assert_eq!(rec.last().headers["x-request-id"], id, "one id end to end");
    assert!(rec.last().headers.get("x-gitlab-correlation-id").is_none());
    let error = client()
        .post(gw.at("/v1/chat/completions"))
        .body("not json")
        .send()
        .await
        .expect("send");
    assert_eq!(error.status(), 400);
    let other = &error.headers()["x-request-id"];
    assert!(is_uuid(other));
    assert_ne!(other, id);
}

/// The log lines written so far.
fn log_lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(LOG_FILE))
        .unwrap_or_default()
        .lines()
        .map(|l| json(l.as_bytes()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_has_counts_but_not_prompts() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let config = GatewayConfig {
        request_log_dir: Some(log_dir.path().to_owned()),
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    let (info, key) = gw.keys.create("ci", None).expect("create");
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .bearer_auth(key.expose())
        .header("x-request-id", "log-1")
        .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"SECRET-PROMPT-TEXT"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body");
    let unknown = client()
        .post(gw.at("/v1/chat/completions"))
        .bearer_auth(key.expose())
        .header("x-request-id", "log-2")
        .body(r#"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(unknown.status(), 404);
    let denied = client()
        .post(gw.at("/v1/chat/completions"))
        .header("x-request-id", "log-3")
        .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(denied.status(), 401);
    assert!(
        eventually(Duration::from_secs(5), || log_lines(log_dir.path()).len()
            >= 3)
        .await,
        "three lines written"
    );
    let text = std::fs::read_to_string(log_dir.path().join(LOG_FILE)).expect("log");
    assert!(
        !text.contains("SECRET-PROMPT-TEXT"),
        "prompts stay out: {text}"
    );
    assert!(!text.contains(key.expose()), "keys stay out");
    assert!(!text.contains("Hi"), "outputs stay out");
    let lines = log_lines(log_dir.path());
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|l| l["request_id"] == id)
            .unwrap_or_else(|| panic!("a line for {id}: {text}"))
            .clone()
    };
    let ok = by_id("log-1");
    assert_eq!(ok["model"], "duo-chat");
    assert_eq!(ok["alias"], "duo-chat");
    assert_eq!(ok["deployment"], "qwen");
    assert_eq!(ok["key_id"], info.id.as_str());
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["prompt_tokens"], 11);
    assert_eq!(ok["completion_tokens"], 4);
    assert!(ok["latency_ms"].as_f64().expect("latency") > 0.0);
    assert!(ok["ttfb_ms"].as_f64().expect("ttfb") > 0.0);
    assert!(ok["time"].as_str().expect("time").ends_with('Z'));
    assert!(ok.get("error").is_none());
    let upstream = ok["upstream_request_id"].as_str().expect("the engine's id");
    assert_eq!(upstream.len(), 36, "a UUID: {upstream}");
    let missing = by_id("log-2");
    assert!(
        missing.get("upstream_request_id").is_none(),
        "never sent upstream"
    );
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["error"], "model_not_found");
    assert_eq!(missing["model"], "nope");
    let refused = by_id("log-3");
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["error"], "missing_api_key");
    assert_eq!(refused["key_id"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_usage_is_logged_and_bodies_only_when_asked() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let engine = serve(mocks::streaming(
        recorder(),
        chunk_events(3),
        Duration::from_millis(10),
        End::Done,
    ))
    .await;
    let config = GatewayConfig {
        request_log_dir: Some(log_dir.path().to_owned()),
        log_bodies: true,
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("x-request-id", "stream-1")
        .body(r#"{"model":"qwen","stream":true,"messages":[{"role":"user","content":"LOGGED-PROMPT"}]}"#)
        .send()
        .await
        .expect("send");
    read_chunks(response).await;
    assert!(
        eventually(Duration::from_secs(5), || !log_lines(log_dir.path())
            .is_empty())
        .await,
        "a line written"
    );
    let line = log_lines(log_dir.path()).remove(0);
    assert_eq!(line["request_id"], "stream-1");
    assert_eq!(line["stream"], true);
    assert_eq!(line["prompt_tokens"], 21);
    assert_eq!(line["completion_tokens"], 5);
    assert_eq!(
        line["request_body"]["messages"][0]["content"],
        "LOGGED-PROMPT"
    );
    assert!(line["response_body"].as_str().expect("text").contains("t2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_errors_and_timings() {
    let engine = serve(mocks::answering(recorder())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    for _ in 0..3 {
        let response = client()
            .post(gw.at("/v1/chat/completions"))
            .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
            .send()
            .await
            .expect("send");
        response.bytes().await.expect("body");
    }
    client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    let response = client().get(gw.at("/metrics")).send().await.expect("send");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    let text = response.text().await.expect("text");
    for expected in [
        r#"duows_gateway_requests_total{model="duo-chat",status="200"} 3"#,
        r#"duows_gateway_requests_total{model="unknown",status="404"} 1"#,
        r#"duows_gateway_errors_total{code="model_not_found"} 1"#,
        "duows_gateway_request_duration_seconds_count 4",
        "duows_gateway_time_to_first_byte_seconds_count 3",
        "duows_gateway_overhead_seconds_count 3",
        r#"duows_gateway_overhead_seconds_bucket{le="0.0001"}"#,
        "duows_gateway_requests_in_flight 0",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert_eq!(
        gw.gateway.metrics_text().lines().count(),
        text.lines().count()
    );
}
