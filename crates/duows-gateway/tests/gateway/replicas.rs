//! A deployment with several replicas: requests spread by load, a replica that fails before
//! answering taken out (the request going to another) and brought back by its probe, never a
//! second try once the client got a byte, and one replica killed under load.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use duows_gateway::{GatewayConfig, Replica, RouteTable, Secret, LOG_FILE};

use crate::common::{client, eventually, gateway, recorder, serve, table, Recorder};
use crate::mocks::{self, chunk_events, read_chunks, text_of, End};

const BODY: &str = r#"{"model":"duo-chat","messages":[{"role":"user","content":"hi"}]}"#;

/// `duo-chat` → `qwen`, served at `a` and at `b` (with a key of its own).
fn pair(a: SocketAddr, b: SocketAddr) -> RouteTable {
    let mut table = table(a);
    table.deployments[0].replicas = vec![Replica {
        base_url: format!("http://{b}/v1"),
        api_key: Some(Secret::new("replica-key")),
    }];
    table
}

/// Quick probes, so a test sees a replica come back within a moment.
fn quick_probes() -> GatewayConfig {
    GatewayConfig {
        replica_backoff: Duration::from_millis(50),
        replica_backoff_max: Duration::from_millis(200),
        ..GatewayConfig::default()
    }
}

fn count(rec: &Recorder) -> usize {
    rec.requests.lock().expect("lock").len()
}

/// A loopback port nothing listens on.
fn refused_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// Sends a chat request over one shared connection pool; the status, or why none came.
async fn chat(url: String, body: String) -> Result<u16, String> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let response = CLIENT
        .get_or_init(client)
        .post(url)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|e| e.to_string())?;
    Ok(status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_replicas_take_turns_each_with_its_own_key() {
    let (ra, rb) = (recorder(), recorder());
    let a = serve(mocks::answering(ra.clone())).await;
    let b = serve(mocks::answering(rb.clone())).await;
    let gw = gateway(GatewayConfig::default(), pair(a, b)).await;
    for _ in 0..10 {
        assert_eq!(
            chat(gw.at("/v1/chat/completions"), BODY.into()).await,
            Ok(200)
        );
    }
    assert_eq!(
        (count(&ra), count(&rb)),
        (5, 5),
        "sequential requests alternate"
    );
    assert_eq!(ra.last().headers["authorization"], "Bearer engine-key");
    assert_eq!(rb.last().headers["authorization"], "Bearer replica-key");
    let replicas = gw.gateway.replicas();
    assert_eq!(replicas.len(), 2);
    assert!(replicas
        .iter()
        .all(|r| r.up && r.requests == 5 && r.outstanding == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_goes_to_the_replica_with_the_fewest_outstanding() {
    let (ra, rb) = (recorder(), recorder());
    let a = serve(mocks::slow(ra.clone(), Duration::from_secs(3))).await;
    let b = serve(mocks::answering(rb.clone())).await;
    let gw = gateway(GatewayConfig::default(), pair(a, b)).await;
    // Both idle: the first request goes to the first replica, and stays there.
    let held = tokio::spawn(chat(gw.at("/v1/chat/completions"), BODY.into()));
    assert!(eventually(Duration::from_secs(2), || count(&ra) == 1).await);
    assert_eq!(gw.gateway.replicas()[0].outstanding, 1);
    for _ in 0..6 {
        assert_eq!(
            chat(gw.at("/v1/chat/completions"), BODY.into()).await,
            Ok(200)
        );
    }
    assert_eq!(
        (count(&ra), count(&rb)),
        (1, 6),
        "the busy replica is passed over"
    );
    assert_eq!(held.await.expect("held request"), Ok(200));
    assert_eq!(gw.gateway.replicas()[0].outstanding, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_replica_is_taken_out_and_comes_back_when_it_listens_again() {
    let dead = refused_port();
    let rb = recorder();
    let b = serve(mocks::answering(rb.clone())).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = GatewayConfig {
        request_log_dir: Some(dir.path().to_owned()),
        ..quick_probes()
    };
    let gw = gateway(config, pair(dead, b)).await;
    for _ in 0..8 {
        assert_eq!(
            chat(gw.at("/v1/chat/completions"), BODY.into()).await,
            Ok(200)
        );
    }
    assert_eq!(
        count(&rb),
        8,
        "every request was answered by the live replica"
    );
    let replicas = gw.gateway.replicas();
    let (down, live) = (&replicas[0], &replicas[1]);
    assert!(!down.up);
    assert_eq!(
        (down.requests, down.errors, down.retried),
        (1, 1, 1),
        "tried once, then left out: {down:?}"
    );
    assert_eq!((live.requests, live.errors), (8, 0));
    let metrics = gw.gateway.metrics_text();
    let label = format!("deployment=\"qwen\",replica=\"http://{dead}/v1\"");
    assert!(
        metrics.contains(&format!("duows_gateway_replica_up{{{label}}} 0")),
        "{metrics}"
    );
    assert!(metrics.contains(&format!("duows_gateway_replica_retries_total{{{label}}} 1")));
    // The log names the replica that answered and how many were tried.
    let log = dir.path().join(LOG_FILE);
    assert!(
        eventually(Duration::from_secs(2), || std::fs::read_to_string(&log)
            .is_ok_and(|t| t.lines().count() == 8))
        .await
    );
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .expect("log")
            .lines()
            .next()
            .expect("line"),
    )
    .expect("JSON");
    assert_eq!(first["attempts"], 2);
    assert_eq!(first["replica"], format!("http://{b}/v1"));
    assert_eq!(first["status"], 200);

    // It listens again: its probe brings it back, and it takes its turn.
    let ra = recorder();
    let listener = tokio::net::TcpListener::bind(dead).await.expect("rebind");
    let router = mocks::answering(ra.clone()).route("/v1/models", get(|| async { "{}" }));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    assert!(eventually(Duration::from_secs(3), || gw.gateway.replicas()[0].up).await);
    for _ in 0..4 {
        assert_eq!(
            chat(gw.at("/v1/chat/completions"), BODY.into()).await,
            Ok(200)
        );
    }
    assert_eq!(count(&ra), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_sends_the_request_to_another_replica() {
    let (ra, rb) = (recorder(), recorder());
    let a = serve(mocks::failing(
        ra.clone(),
        StatusCode::SERVICE_UNAVAILABLE,
        "application/json",
        r#"{"error":"overloaded"}"#,
    ))
    .await;
    let b = serve(mocks::answering(rb.clone())).await;
    let gw = gateway(GatewayConfig::default(), pair(a, b)).await;
    for _ in 0..5 {
        assert_eq!(
            chat(gw.at("/v1/chat/completions"), BODY.into()).await,
            Ok(200)
        );
    }
    assert_eq!((count(&ra), count(&rb)), (1, 5), "out after its 503");
    // With no other replica left, the 503 reaches the client as it was.
    let lone = gateway(GatewayConfig::default(), table(a)).await;
    assert_eq!(
        chat(lone.at("/v1/chat/completions"), BODY.into()).await,
        Ok(503)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_breaks_off_is_never_sent_again() {
    let (ra, rb) = (recorder(), recorder());
    let a = serve(mocks::streaming(
        ra.clone(),
        chunk_events(2),
        Duration::from_millis(20),
        End::Die,
    ))
    .await;
    let b = serve(mocks::answering(rb.clone())).await;
    let gw = gateway(GatewayConfig::default(), pair(a, b)).await;
    let response = client()
        .post(gw.at("/v1/chat/completions"))
        .body(r#"{"model":"duo-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let text = text_of(&read_chunks(response).await);
    assert!(
        text.contains("upstream_failed") && !text.contains("[DONE]"),
        "{text}"
    );
    assert_eq!(count(&rb), 0, "bytes had reached the client: no second try");
    let replicas = gw.gateway.replicas();
    assert_eq!(replicas[0].errors, 1);
    assert!(
        replicas[0].up,
        "it answered: a broken answer does not take it out"
    );
}

/// The requests a marking upstream received and answered, by their `req-N` marker.
#[derive(Default)]
struct Marks {
    received: Mutex<HashSet<String>>,
    answered: Mutex<HashSet<String>>,
}

/// Answers every completion after `delay`, noting its marker when it arrives and when it is
/// answered; serves `/v1/models` for the probes.
fn marking(marks: Arc<Marks>, delay: Duration) -> Router {
    async fn complete(
        State((marks, delay)): State<(Arc<Marks>, Duration)>,
        body: Bytes,
    ) -> impl IntoResponse {
        let text = String::from_utf8_lossy(&body);
        let mark = text
            .find("req-")
            .map(|at| {
                text[at..]
                    .chars()
                    .take_while(|c| *c != '"')
                    .collect::<String>()
            })
            .unwrap_or_default();
        marks.received.lock().expect("lock").insert(mark.clone());
        tokio::time::sleep(delay).await;
        marks.answered.lock().expect("lock").insert(mark);
        ([(header::CONTENT_TYPE, "application/json")], mocks::ANSWER)
    }
    Router::new()
        .route("/v1/chat/completions", post(complete))
        .route("/v1/models", get(|| async { "{}" }))
        .with_state((marks, delay))
}

/// An upstream in a runtime of its own, so that killing it closes every connection it has,
/// as a process that dies would.
struct Killable {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Killable {
    fn start(addr: SocketAddr, router: Router) -> Self {
        let listener = std::net::TcpListener::bind(addr).expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::select! {
                    _ = axum::serve(listener, router) => {}
                    _ = stopped => {}
                }
            });
            // Drops every connection's task: their sockets close mid-request.
            runtime.shutdown_background();
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn kill(mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            thread.join().expect("upstream thread");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_under_load_fails_no_request_that_never_reached_it() {
    let (marks_a, marks_b) = (Arc::new(Marks::default()), Arc::new(Marks::default()));
    let a_addr = refused_port();
    let a = Killable::start(a_addr, marking(marks_a.clone(), Duration::from_millis(30)));
    let b = serve(marking(marks_b.clone(), Duration::from_millis(30))).await;
    let gw = gateway(quick_probes(), pair(a_addr, b)).await;
    let url = gw.at("/v1/chat/completions");

    // 300 requests, one every 5 ms; replica `a` is killed after the first 100.
    let mut sent = Vec::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(5));
    let mut a = Some(a);
    for i in 0..300 {
        ticks.tick().await;
        if i == 100 {
            let a = a.take().expect("running");
            tokio::task::spawn_blocking(move || a.kill())
                .await
                .expect("killed");
        }
        let body =
            format!(r#"{{"model":"duo-chat","messages":[{{"role":"user","content":"req-{i}"}}]}}"#);
        sent.push((format!("req-{i}"), tokio::spawn(chat(url.clone(), body))));
    }
    let mut failed = Vec::new();
    for (mark, request) in sent {
        match request.await.expect("request task") {
            Ok(200) => {}
            other => failed.push((mark, other)),
        }
    }
    let received = marks_a.received.lock().expect("lock").clone();
    let answered = marks_a.answered.lock().expect("lock").clone();
    let cut_off: HashSet<&String> = received.difference(&answered).collect();
    eprintln!(
        "killed under load: {} of 300 failed; `a` received {}, answered {}, was cut off in {}",
        failed.len(),
        received.len(),
        answered.len(),
        cut_off.len()
    );
    let never_reached: Vec<_> = failed
        .iter()
        .filter(|(m, _)| !received.contains(m))
        .collect();
    assert!(
        never_reached.is_empty(),
        "failed without reaching `a`: {never_reached:?}"
    );
    // Those cut off on `a` had no byte of answer yet: they were sent to `b` too.
    assert!(failed.is_empty(), "{failed:?}");
    assert!(received.len() >= 30, "`a` took its share before the kill");
    let status = &gw.gateway.replicas()[0];
    assert!(!status.up, "the killed replica is out: {status:?}");
    assert!(status.retried >= 1);

    // It comes back on the same address: probed in, it takes requests again.
    let a = Killable::start(a_addr, marking(marks_a.clone(), Duration::ZERO));
    assert!(eventually(Duration::from_secs(3), || gw.gateway.replicas()[0].up).await);
    let before = marks_a.received.lock().expect("lock").len();
    for i in 0..4 {
        let body = format!(
            r#"{{"model":"duo-chat","messages":[{{"role":"user","content":"req-again-{i}"}}]}}"#
        );
        assert_eq!(chat(url.clone(), body).await, Ok(200));
    }
    assert!(marks_a.received.lock().expect("lock").len() > before);
    tokio::task::spawn_blocking(move || a.kill())
        .await
        .expect("stopped");
}
