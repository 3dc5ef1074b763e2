//! Choosing a replica (least outstanding, round-robin ties, out only as a last resort) and
//! bringing one back by probing a real HTTP server on loopback.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU16;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use super::*;

/// Replicas as (in, outstanding).
fn pick(states: &[(bool, u32)], cursor: &AtomicUsize, tried: u64) -> Option<usize> {
    choose(states.len(), cursor, tried, |i| states[i])
}

#[test]
fn the_least_loaded_ready_replica_is_chosen() {
    let cursor = AtomicUsize::new(0);
    assert_eq!(
        pick(&[(true, 3), (true, 1), (true, 2)], &cursor, 0),
        Some(1)
    );
    // A replica that is out is passed over even when idle.
    assert_eq!(
        pick(&[(true, 3), (false, 0), (true, 2)], &cursor, 0),
        Some(2)
    );
    // Already tried: never again for this request.
    assert_eq!(
        pick(&[(true, 3), (true, 1), (true, 2)], &cursor, 0b010),
        Some(2)
    );
}

#[test]
fn equal_loads_take_turns() {
    let cursor = AtomicUsize::new(0);
    let idle = [(true, 0); 3];
    let picks: Vec<usize> = (0..6)
        .map(|_| pick(&idle, &cursor, 0).expect("one"))
        .collect();
    assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
    // Ties among the least loaded only.
    let cursor = AtomicUsize::new(0);
    let states = [(true, 1), (true, 0), (true, 0)];
    let picks: Vec<usize> = (0..4)
        .map(|_| pick(&states, &cursor, 0).expect("one"))
        .collect();
    assert_eq!(picks, [1, 1, 2, 1]);
}

#[test]
fn a_replica_that_is_out_serves_only_a_first_attempt_with_nothing_else() {
    let cursor = AtomicUsize::new(0);
    let all_out = [(false, 4), (false, 2)];
    assert_eq!(pick(&all_out, &cursor, 0), Some(1), "better than refusing");
    assert_eq!(
        pick(&all_out, &cursor, 0b10),
        None,
        "a retry needs one that is up"
    );
    assert_eq!(pick(&[(true, 0), (false, 0)], &cursor, 0b01), None);
    // One replica: no choice to make, and no retry.
    assert_eq!(pick(&[(false, 9)], &cursor, 0), Some(0));
    assert_eq!(pick(&[(true, 0)], &cursor, 0b1), None);
    assert_eq!(pick(&[], &cursor, 0), None);
}

#[test]
fn a_lease_counts_a_request_as_outstanding_until_dropped() {
    let health = Arc::new(ReplicaHealth::new("d", "http://a/v1"));
    let first = health.lease();
    let second = health.lease();
    assert_eq!(health.outstanding(), 2);
    drop(first);
    second.health().error();
    health.retried();
    let status = health.status();
    assert_eq!(
        (
            status.requests,
            status.outstanding,
            status.errors,
            status.retried
        ),
        (2, 1, 1, 1)
    );
    let mut text = String::new();
    render(&mut text, &[status]);
    assert!(text.contains(r#"duows_gateway_replica_up{deployment="d",replica="http://a/v1"} 1"#));
    assert!(text
        .contains(r#"duows_gateway_replica_errors_total{deployment="d",replica="http://a/v1"} 1"#));
    assert!(text.contains("# TYPE duows_gateway_replica_outstanding gauge"));
    drop(second);
    assert_eq!(health.outstanding(), 0);
}

/// A `/v1/models` that answers with the status held in `status`.
async fn models_server(status: Arc<AtomicU16>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().route(
        "/v1/models",
        get(move || {
            let status = status.clone();
            async move { StatusCode::from_u16(status.load(Ordering::SeqCst)).expect("status") }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

fn probe_of(addr: SocketAddr) -> Probe {
    Probe {
        client: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
        url: reqwest::Url::parse(&format!("http://{addr}/v1/models")).expect("url"),
        auth: None,
        first: Duration::from_millis(20),
        max: Duration::from_millis(80),
    }
}

async fn until(limit: Duration, check: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    check()
}

#[tokio::test]
async fn a_replica_taken_out_comes_back_when_its_probe_is_answered() {
    let status = Arc::new(AtomicU16::new(503));
    let addr = models_server(status.clone()).await;
    let health = Arc::new(ReplicaHealth::new("d", &format!("http://{addr}/v1")));
    take_out(&health, probe_of(addr));
    assert!(!health.is_in());
    // 503 to the probes: it stays out, probed again and again.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!health.is_in(), "a server error does not bring it back");
    assert!(health.probing.load(Ordering::SeqCst));
    status.store(200, Ordering::SeqCst);
    assert!(
        until(Duration::from_secs(2), || health.is_in()).await,
        "the first answered probe brings it back"
    );
    assert!(
        until(Duration::from_secs(1), || !health
            .probing
            .load(Ordering::SeqCst))
        .await,
        "and the probe ends"
    );
    // An answer to a request brings it back too, without waiting for a probe.
    health.out.store(true, Ordering::SeqCst);
    health.answered();
    assert!(health.is_in());
}

#[tokio::test]
async fn a_replica_that_refuses_connections_stays_out_until_it_listens_again() {
    // A port nothing listens on: taken, then given back.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let health = Arc::new(ReplicaHealth::new("d", &format!("http://{addr}/v1")));
    take_out(&health, probe_of(addr));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!health.is_in(), "refused probes keep it out");
    let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind");
    let router = Router::new().route("/v1/models", get(|| async { "{}" }));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    assert!(until(Duration::from_secs(2), || health.is_in()).await);
}

#[tokio::test]
async fn a_replica_no_longer_routed_to_is_not_probed_any_more() {
    let status = Arc::new(AtomicU16::new(503));
    let addr = models_server(status).await;
    let registry = ReplicaRegistry::default();
    let health = registry.get("d", &format!("http://{addr}/v1"));
    take_out(&health, probe_of(addr));
    assert!(health.probing.load(Ordering::SeqCst));
    registry.keep_only(&[]);
    assert!(
        until(Duration::from_secs(1), || !health
            .probing
            .load(Ordering::SeqCst))
        .await,
        "the probe stops"
    );
    assert!(
        !Arc::ptr_eq(&health, &registry.get("d", &format!("http://{addr}/v1"))),
        "forgotten: a replica that returns to the table starts anew"
    );
}
