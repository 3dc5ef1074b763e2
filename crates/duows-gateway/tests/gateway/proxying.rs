//! Requests reach the right engine with only `model` changed, and answers come back as the
//! engine sent them.

use duows_gateway::{GatewayConfig, Readiness, RouteTable};

use crate::common::{client, error_code, error_message, gateway, json, recorder, serve, table};
use crate::mocks::{self, ANSWER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streaming_answers_pass_through_byte_for_byte() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(response.bytes().await.expect("body"), ANSWER.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_errors_pass_through_with_their_status() {
    let rec = recorder();
    let engine = serve(mocks::refusing(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"qwen","max_tokens":999999,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    let body = response.bytes().await.expect("body");
    assert_eq!(json(&body)["message"], "max_tokens is too large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_model_is_rewritten_and_the_engine_key_is_used() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let (_, key) = gw.keys.create("client", None).expect("create key");
    let sent = "{ \"temperature\" : 0.70,\n\"model\":\"duo-chat\", \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \u{1F600}\"}],\"top_p\":1e-7,\"extra_body\":{\"x\":[1,2,{}]},\"big\":123456789012345678901234567890}";
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .bearer_auth(key.expose())
        .body(sent)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let seen = rec.last();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        std::str::from_utf8(&seen.body).expect("utf-8"),
        sent.replace("\"duo-chat\"", "\"Qwen/Qwen3-8B\"")
    );
    assert_eq!(seen.headers["authorization"], "Bearer engine-key");
    assert_eq!(seen.headers["content-type"], "application/json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolve_through_aliases_deployments_and_served_models() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    for (asked, path) in [
        ("duo-chat", "/v1/chat/completions"),
        ("qwen", "/v1/chat/completions"),
        ("Qwen/Qwen3-8B", "/v1/completions"),
    ] {
        let response = client()
            .post(gw.at(path))
            .body(format!(
                r#"{{"model":"{asked}","prompt":"x","messages":[{{"role":"user","content":"x"}}]}}"#
            ))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{asked}");
        let seen = rec.last();
        assert_eq!(seen.path, path);
        assert_eq!(json(&seen.body)["model"], "Qwen/Qwen3-8B", "{asked}");
    }
    let models = client()
        .get(gw.at("/v1/models"))
        .send()
        .await
        .expect("send");
    assert_eq!(models.status(), 200);
    let list = json(&models.bytes().await.expect("body"));
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        ["duo-chat", "qwen"],
        "unassigned aliases are not listed"
    );
    assert_eq!(list["data"][0]["object"], "model");
    let one = client()
        .get(gw.at("/v1/models/duo-chat"))
        .send()
        .await
        .expect("send");
    assert_eq!(json(&one.bytes().await.expect("body"))["id"], "duo-chat");
    let none = client()
        .get(gw.at("/v1/models/x/y"))
        .send()
        .await
        .expect("send");
    assert_eq!(none.status(), 404);
    assert_eq!(
        error_code(&none.bytes().await.expect("body")),
        "model_not_found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_models_and_empty_aliases_say_what_exists() {
    let engine = serve(mocks::answering(recorder())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 404);
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "model_not_found");
    assert_eq!(json(&body)["error"]["param"], "model");
    assert_eq!(json(&body)["error"]["type"], "invalid_request_error");
    let message = error_message(&body);
    assert!(
        message.contains("`gpt-4`") && message.contains("duo-chat, qwen"),
        "{message}"
    );

    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"duo-code","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 404);
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "model_not_assigned");
    assert!(error_message(&body).contains("no model assigned"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_that_are_not_ready_answer_503_with_retry_after() {
    let engine = serve(mocks::answering(recorder())).await;
    let mut routes = table(engine);
    routes.deployments[0].readiness = Readiness::NotReady {
        reason: "loading weights".into(),
        retry_after_s: 7,
    };
    let gw = gateway(GatewayConfig::default(), routes).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "7");
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "model_not_ready");
    assert!(error_message(&body).contains("loading weights"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_is_down_is_named_in_a_502() {
    // Bind a port and close it, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let gw = gateway(GatewayConfig::default(), table(addr)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 502);
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "upstream_unreachable");
    let message = error_message(&body);
    assert!(message.contains("`qwen`"), "{message}");
    assert!(!message.contains("engine-key"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_json_is_a_400_that_says_where() {
    let rec = recorder();
    let engine = serve(mocks::answering(rec.clone())).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body("{\n  \"model\": \"duo-chat\",\n  \"messages\": [\n}")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    let body = response.bytes().await.expect("body");
    assert_eq!(error_code(&body), "invalid_json");
    let message = error_message(&body);
    assert!(message.contains("line 4 column 1"), "{message}");
    assert!(rec.requests.lock().expect("lock").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_with_413() {
    let engine = serve(mocks::answering(recorder())).await;
    let config = GatewayConfig {
        max_body_bytes: 1024,
        ..GatewayConfig::default()
    };
    let gw = gateway(config, table(engine)).await;
    let big = format!(r#"{{"model":"duo-chat","prompt":"{}"}}"#, "x".repeat(4096));
    let response = client()
        .post(gw.at("/v1/completions"))
        .body(big.clone())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 413);
    assert_eq!(
        error_code(&response.bytes().await.expect("body")),
        "body_too_large"
    );
    // Without a declared length (chunked), the limit holds as well.
    let chunks = futures_util::stream::iter(
        big.into_bytes()
            .chunks(500)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let response = client()
        .post(gw.at("/v1/completions"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_answer_in_openai_shape() {
    let gw = gateway(GatewayConfig::default(), RouteTable::default()).await;
    let response = client()
        .get(gw.at("/v1/engines"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 404);
    assert_eq!(
        error_code(&response.bytes().await.expect("body")),
        "not_found"
    );
    let response = client()
        .get(gw.at("/v1/chat/completions"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 405);
    let health = client().get(gw.at("/health")).send().await.expect("send");
    assert_eq!(health.text().await.expect("text"), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_to_the_engine_are_reused() {
    use std::collections::HashSet;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use axum::extract::{ConnectInfo, State};

    let peers: Arc<Mutex<HashSet<SocketAddr>>> = Arc::default();
    let router = axum::Router::new()
        .route(
            "/v1/chat/completions",
            axum::routing::post(
                |State(peers): State<Arc<Mutex<HashSet<SocketAddr>>>>,
                 ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                    peers.lock().expect("lock").insert(peer);
                    ([("content-type", "application/json")], ANSWER)
                },
            ),
        )
        .with_state(peers.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let engine = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let client = client();
    for _ in 0..20 {
        let response = client
            .post(gw.at("/v1/chat/completions"))
            .body(r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#)
            .send()
            .await
            .expect("send");
        assert_eq!(response.bytes().await.expect("body"), ANSWER.as_bytes());
    }
    assert_eq!(
        peers.lock().expect("lock").len(),
        1,
        "one pooled connection"
    );
}
