//! Open-model load against the paced streaming upstream: streams start at a fixed rate; for
//! each, the time to first byte (from its planned start) and the arrival time of every
//! content chunk, from which the gaps between chunks are taken.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::Uri;

use crate::client::{self, HttpClient};
use crate::memory::PeakSampler;
use crate::schedule;
use crate::stats::Sorted;

/// The text every content chunk of the mock carries (`chunk-<i> `).
const MARKER: &[u8] = b"chunk-";

/// What one run sends.
pub struct Plan {
    pub url: Uri,
    pub model: String,
    /// Streams started per second.
    pub rate: f64,
    pub warmup: Duration,
    pub window: Duration,
    /// Content chunks a complete stream carries.
    pub chunks: usize,
    pub timeout: Duration,
    pub watch: Option<u32>,
}

/// One stream as the client saw it.
struct Stream {
    ttfb_us: u64,
    /// Arrival of each content chunk, µs after the planned start.
    chunk_us: Vec<u64>,
    done: bool,
}

/// Runs the plan and returns one JSON object describing it.
pub fn run(plan: &Plan) -> String {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let handle = runtime.handle().clone();
    let http = client::pooled();
    let body = client::chat_body(&plan.model, true);
    let streams = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let memory = PeakSampler::start(plan.watch);

    schedule::arrivals(plan.rate, plan.warmup, plan.window, |planned, measured| {
        in_flight.fetch_add(1, Ordering::Relaxed);
        let (http, url, body) = (http.clone(), plan.url.clone(), body.clone());
        let (streams, failed, in_flight, timeout) = (
            streams.clone(),
            failed.clone(),
            in_flight.clone(),
            plan.timeout,
        );
        handle.spawn(async move {
            let outcome = tokio::time::timeout(timeout, follow(http, url, body, planned)).await;
            if measured {
                match outcome {
                    Ok(Some(stream)) => streams.lock().expect("streams").push(stream),
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    });

    let deadline = Instant::now() + plan.timeout + Duration::from_secs(1);
    while in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let rss_peak = memory.finish();
    let streams = std::mem::take(&mut *streams.lock().expect("streams"));
    runtime.shutdown_background();
    summarize(plan, &streams, failed.load(Ordering::Relaxed), rss_peak)
}

/// Reads one stream to its end; `None` if it could not be sent or broke off.
async fn follow(
    http: HttpClient,
    url: Uri,
    body: bytes::Bytes,
    planned: Instant,
) -> Option<Stream> {
    let response = http.request(client::post(&url, &body)).await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut body = response.into_body();
    let mut stream = Stream {
        ttfb_us: 0,
        chunk_us: Vec::with_capacity(64),
        done: false,
    };
    // The last few bytes of the previous frame, so a marker split across frames still counts.
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.ok()?.into_data() else {
            continue;
        };
        let at = planned.elapsed().as_micros() as u64;
        if first {
            stream.ttfb_us = at;
            first = false;
        }
        carry.extend_from_slice(&data);
        let markers = count(&carry, MARKER);
        stream.chunk_us.extend(std::iter::repeat_n(at, markers));
        stream.done |= count(&carry, b"[DONE]") > 0;
        let keep = carry.len().saturating_sub(MARKER.len() - 1);
        carry.drain(..keep);
    }
    Some(stream)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn summarize(plan: &Plan, streams: &[Stream], failed: usize, rss_peak: u64) -> String {
    let complete: Vec<&Stream> = streams
        .iter()
        .filter(|s| s.done && s.chunk_us.len() == plan.chunks)
        .collect();
    let ttfb = Sorted::new(complete.iter().map(|s| s.ttfb_us).collect());
    let gaps = Sorted::new(
        complete
            .iter()
            .flat_map(|s| s.chunk_us.windows(2).map(|w| w[1] - w[0]))
            .collect(),
    );
    let last = Sorted::new(
        complete
            .iter()
            .filter_map(|s| s.chunk_us.last().copied())
            .collect(),
    );
    format!(
        "{{\"mode\":\"paced\",\"url\":\"{}\",\"rate\":{},\"window_s\":{},\"streams\":{},\"complete\":{},\"errors\":{},{},{},{},\"rss_peak_kib\":{}}}",
        plan.url,
        plan.rate,
        plan.window.as_secs_f64(),
        streams.len() + failed,
        complete.len(),
        streams.len() + failed - complete.len(),
        ttfb.json_fields("ttfb"),
        gaps.json_fields("gap"),
        last.json_fields("last"),
        rss_peak
    )
}
