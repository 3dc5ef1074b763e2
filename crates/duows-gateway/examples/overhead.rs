//! Measures what the gateway adds, on demand:
//! `cargo run --release -p duows-gateway --example overhead -- [rate] [seconds]`.
//!
//! Starts an instant mock engine and a gateway in front of it, then sends requests at a fixed
//! rate (an open model: each request has a planned start, and its latency is counted from that
//! plan, so a slow server cannot slow the load down and hide its latency), first straight to
//! the engine, then through the gateway. Prints p50/p99/p99.9 of both and the difference.
//! A second run streams 64 chunks 20 ms apart and reports the added time to first byte and the
//! largest gap between chunks.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use duows_gateway::{Alias, Deployment, Gateway, GatewayConfig, KeyStore, Readiness, RouteTable};

const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}"#;
const REQUEST: &str = r#"{"model":"duo-chat","messages":[{"role":"system","content":"You are a helpful coding assistant."},{"role":"user","content":"Write a function that adds two numbers."}],"max_tokens":64,"temperature":0.2}"#;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

fn engine() -> Router {
    let instant = post(|| async { ([(header::CONTENT_TYPE, "application/json")], ANSWER) });
    let paced = post(|| async {
        let chunks = futures_util::stream::unfold(0u32, |i| async move {
            if i > 64 {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let data = if i == 64 {
                Bytes::from_static(b"data: [DONE]\n\n")
            } else {
                Bytes::from(format!("data: {{\"i\":{i}}}\n\n"))
            };
            Some((Ok::<_, std::io::Error>(data), i + 1))
        });
        (
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(chunks),
        )
            .into_response()
    });
    Router::new()
        .route("/v1/chat/completions", instant)
        .route("/paced/v1/chat/completions", paced)
}

/// Latencies (µs) of `rate` requests a second for `seconds`, counted from each planned start.
async fn open_load(client: &reqwest::Client, url: &str, rate: u32, seconds: u32) -> Vec<u64> {
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let planned = start + interval * i;
        tokio::time::sleep_until(planned.into()).await;
        let request = client.post(url).body(REQUEST).send();
        tasks.push(tokio::spawn(async move {
            let response = request.await.expect("send");
            assert!(response.status().is_success(), "{}", response.status());
            response.bytes().await.expect("body");
            planned.elapsed().as_micros() as u64
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out.sort_unstable();
    out
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// (time to first byte, largest gap between chunks) of one paced stream, in µs.
async fn paced(client: &reqwest::Client, url: &str) -> (u64, u64) {
    let start = Instant::now();
    let mut response = client
        .post(url)
        .body(REQUEST.replace("duo-chat", "paced"))
        .send()
        .await
        .expect("send");
    let mut last = None::<Instant>;
    let mut first = 0;
    let mut gap = 0;
    while let Some(_chunk) = response.chunk().await.expect("chunk") {
        let now = Instant::now();
        match last {
            None => first = (now - start).as_micros() as u64,
            Some(prev) => gap = gap.max((now - prev).as_micros() as u64),
        }
        last = Some(now);
    }
    (first, gap)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rate: u32 = args.next().map_or(2000, |a| a.parse().expect("rate"));
    let seconds: u32 = args.next().map_or(5, |a| a.parse().expect("seconds"));

    let engine = serve(engine()).await;
    let dir = std::env::temp_dir().join(format!("duows-overhead-{}", std::process::id()));
    let keys = KeyStore::open(dir.join("keys.json")).expect("keys");
    let gateway = Gateway::new(GatewayConfig::default(), keys);
    let deployment = |name: &str, base: String| Deployment {
        name: name.into(),
        served_model: "m".into(),
        base_url: base,
        api_key: None,
        readiness: Readiness::Ready,
        listing: None,
        replicas: Vec::new(),
    };
    gateway.set_routes(RouteTable {
        deployments: vec![
            deployment("m", format!("http://{engine}/v1")),
            deployment("paced", format!("http://{engine}/paced/v1")),
        ],
        aliases: vec![Alias {
            name: "duo-chat".into(),
            target: Some("m".into()),
        }],
    });
    let gw = serve(gateway.router()).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1024)
        .build()
        .expect("client");
    let direct_url = format!("http://{engine}/v1/chat/completions");
    let gateway_url = format!("http://{gw}/v1/chat/completions");

    // Warm both connection pools.
    open_load(&client, &direct_url, rate, 1).await;
    open_load(&client, &gateway_url, rate, 1).await;
    let direct = open_load(&client, &direct_url, rate, seconds).await;
    let through = open_load(&client, &gateway_url, rate, seconds).await;
    println!("{rate} req/s for {seconds} s, latency in µs (open model)");
    println!("{:>10} {:>8} {:>8} {:>8}", "", "p50", "p99", "p99.9");
    for (name, v) in [("direct", &direct), ("gateway", &through)] {
        println!(
            "{name:>10} {:>8} {:>8} {:>8}",
            pct(v, 0.5),
            pct(v, 0.99),
            pct(v, 0.999)
        );
    }
    println!(
        "{:>10} {:>8} {:>8} {:>8}",
        "added",
        pct(&through, 0.5) as i64 - pct(&direct, 0.5) as i64,
        pct(&through, 0.99) as i64 - pct(&direct, 0.99) as i64,
        pct(&through, 0.999) as i64 - pct(&direct, 0.999) as i64
    );

    let (d_first, d_gap) = paced(
        &client,
        &format!("http://{engine}/paced/v1/chat/completions"),
    )
    .await;
    let (g_first, g_gap) = paced(&client, &gateway_url).await;
    println!("paced stream (64 chunks, 20 ms apart), µs: first byte direct {d_first} / gateway {g_first}; largest gap direct {d_gap} / gateway {g_gap}");
    let _ = std::fs::remove_dir_all(dir);
    print!(
        "{}",
        gateway
            .metrics_text()
            .lines()
            .filter(|l| l.starts_with("duows_gateway_overhead_seconds_bucket"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
}
