//! Streamed answers arrive chunk by chunk, survive routing changes, and stop the engine's
//! work when the client leaves.

use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::time::Duration;

use duows_gateway::{GatewayConfig, RouteTable};

use crate::common::{client, eventually, gateway, recorder, serve, table};
use crate::mocks::{self, chunk_events, read_chunks, text_of, End};

const STREAM_BODY: &str =
    r#"{"model":"duo-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_as_they_are_sent() {
    let rec = recorder();
    let events = chunk_events(4); // 5 events in all, the last with usage
    let engine = serve(mocks::streaming(
        rec.clone(),
        events,
        Duration::from_millis(100),
        End::Done,
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
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/event-stream"));
    let chunks = read_chunks(response).await;
    let sent = rec.sent();
    assert_eq!(sent.len(), 5);
    let first_seen = chunks
        .iter()
        .find(|(_, c)| c.windows(6).any(|w| w == b"\"i\":0}"))
        .map(|(at, _)| *at)
        .expect("the first event arrived");
    assert!(
        first_seen < sent[2],
        "the first event arrived before the third was sent"
    );
    assert!(
        first_seen < sent[4],
        "the first event arrived before the last was sent"
    );
    assert!(
        chunks.len() >= 4,
        "not gathered into one piece: {} reads",
        chunks.len()
    );
    let text = text_of(&chunks);
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert_eq!(text.matches("data: ").count(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_routes_does_not_break_a_running_stream() {
    let rec = recorder();
    let engine = serve(mocks::streaming(
        rec.clone(),
        chunk_events(4),
        Duration::from_millis(100),
        End::Done,
    ))
    .await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let mut response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(STREAM_BODY)
        .send()
        .await
        .expect("send");
    let first = response
        .chunk()
        .await
        .expect("read")
        .expect("a first chunk");
    assert!(first.starts_with(b"data: "));
    // The model goes away while its answer is still streaming.
    gw.gateway.set_routes(RouteTable::default());
    assert!(gw.gateway.routes().deployments.is_empty());
    let refused = client()
        .post(gw.at("/v1/chat/completions"))
        .body(STREAM_BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 404);
    let rest = read_chunks(response).await;
    let text = text_of(&rest);
    assert!(text.contains("\"i\":3"), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_cancels_the_engine_request() {
    let rec = recorder();
    let events: Vec<String> = (0..200).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
    let engine = serve(mocks::streaming(
        rec.clone(),
        events,
        Duration::from_millis(50),
        End::Done,
    ))
    .await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let addr = gw.url.trim_start_matches("http://").to_owned();
    let reader = std::thread::spawn(move || {
        let mut socket = std::net::TcpStream::connect(&addr).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        write!(
            socket,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{STREAM_BODY}",
            STREAM_BODY.len()
        )
        .expect("write");
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while !seen.windows(6).any(|w| w == b"data: ") {
            let n = socket.read(&mut buffer).expect("read");
            assert!(n > 0, "the gateway closed the connection");
            seen.extend_from_slice(&buffer[..n]);
        }
        // Leave mid-answer.
        drop(socket);
        String::from_utf8_lossy(&seen).into_owned()
    });
    let head = tokio::task::spawn_blocking(move || reader.join().expect("reader"))
        .await
        .expect("join");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        eventually(Duration::from_secs(5), || rec
            .dropped
            .load(Ordering::SeqCst))
        .await,
        "the engine's answer stream was dropped"
    );
    assert!(
        rec.sent().len() < 100,
        "the engine stopped long before the end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_before_the_first_byte_cancels_the_engine_request() {
    use std::sync::Arc;

    /// Sets the flag when the engine's handler is dropped while still armed.
    struct Watch(Arc<crate::common::Recorder>, bool);
    impl Drop for Watch {
        fn drop(&mut self) {
            if self.1 {
                self.0.dropped.store(true, Ordering::SeqCst);
            }
        }
    }
    let rec = recorder();
    let router =
        axum::Router::new()
            .route(
                "/v1/chat/completions",
                axum::routing::post(
                    |axum::extract::State(rec): axum::extract::State<
                        Arc<crate::common::Recorder>,
                    >| async move {
                        let mut watch = Watch(rec, true);
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        watch.1 = false;
                        "late"
                    },
                ),
            )
            .with_state(rec.clone());
    let engine = serve(router).await;
    let gw = gateway(GatewayConfig::default(), table(engine)).await;
    let request = client()
        .post(gw.at("/v1/chat/completions"))
        .body(STREAM_BODY)
        .send();
    // Give up after 300 ms, during the engine's "prefill".
    assert!(tokio::time::timeout(Duration::from_millis(300), request)
        .await
        .is_err());
    assert!(
        eventually(Duration::from_secs(5), || rec
            .dropped
            .load(Ordering::SeqCst))
        .await,
        "the engine's handler was cancelled"
    );
}
