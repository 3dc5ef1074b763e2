//! Open-model load against the instant upstream: fixed-rate non-streaming completions,
//! latency from each planned start to the last byte of the answer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::Uri;

use crate::client;
use crate::memory::PeakSampler;
use crate::schedule;
use crate::stats::Sorted;

/// What one run sends.
pub struct Plan {
    pub url: Uri,
    pub model: String,
    /// Requests per second.
    pub rate: f64,
    /// Sent at the same rate before measuring, to open connections and warm caches.
    pub warmup: Duration,
    /// The measured window.
    pub window: Duration,
    /// A request not answered within this counts as an error.
    pub timeout: Duration,
    /// Arrivals while this many are unanswered are counted as errors and not sent.
    pub max_in_flight: usize,
    /// A process (tree) whose peak resident memory is reported.
    pub watch: Option<u32>,
    /// A file to write every measured request to (a `# window_start_unix_us=` line, then
    /// `planned_ms,latency_us,ok,lag_us,id` lines), for looking at latency over time. Each request then carries `x-request-id:
    /// lg-<n>` (`id`), so a slow one can be found in the gateway's request log.
    pub samples: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy)]
enum Failure {
    Status,
    Transport,
    Timeout,
    Dropped,
}

struct Record {
    /// Arrival number (the `lg-<n>` request id with `--samples`).
    id: u64,
    planned: Instant,
    /// Planned start to the end of the answer.
    latency_us: u64,
    /// Planned start to the moment the request was handed to the client.
    lag_us: u64,
    done: Instant,
    failure: Option<Failure>,
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
    let body = client::chat_body(&plan.model, false);
    let records = Arc::new(Mutex::new(Vec::with_capacity(
        (plan.rate * plan.window.as_secs_f64()) as usize + 16,
    )));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let memory = PeakSampler::start(plan.watch);
    let mut window_start = None;
    let mut next_id = 0u64;

    schedule::arrivals(plan.rate, plan.warmup, plan.window, |planned, measured| {
        if measured && window_start.is_none() {
            window_start = Some(planned);
        }
        let id = next_id;
        next_id += 1;
        if in_flight.load(Ordering::Relaxed) >= plan.max_in_flight {
            if measured {
                records.lock().expect("records").push(Record {
                    id,
                    planned,
                    latency_us: 0,
                    lag_us: 0,
                    done: planned,
                    failure: Some(Failure::Dropped),
                });
            }
            return;
        }
        in_flight.fetch_add(1, Ordering::Relaxed);
        let mut request = client::post(&plan.url, &body);
        if plan.samples.is_some() {
            client::with_request_id(&mut request, id);
        }
        let (http, records, in_flight, timeout) = (
            http.clone(),
            records.clone(),
            in_flight.clone(),
            plan.timeout,
        );
        handle.spawn(async move {
            let lag_us = planned.elapsed().as_micros() as u64;
            let exchange = async {
                let response = http
                    .request(request)
                    .await
                    .map_err(|_| Failure::Transport)?;
                let ok = response.status().is_success();
                response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|_| Failure::Transport)?;
                if ok {
                    Ok(())
                } else {
                    Err(Failure::Status)
                }
            };
            let failure = match tokio::time::timeout(timeout, exchange).await {
                Ok(Ok(())) => None,
                Ok(Err(failure)) => Some(failure),
                Err(_) => Some(Failure::Timeout),
            };
            let done = Instant::now();
            if measured {
                records.lock().expect("records").push(Record {
                    id,
                    planned,
                    latency_us: (done - planned).as_micros() as u64,
                    lag_us,
                    done,
                    failure,
                });
            }
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    });

    // Wait for the stragglers (each is bounded by the timeout).
    let deadline = Instant::now() + plan.timeout + Duration::from_secs(1);
    while in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let rss_peak = memory.finish();
    let records = std::mem::take(&mut *records.lock().expect("records"));
    runtime.shutdown_background();
    if let (Some(path), Some(start)) = (&plan.samples, window_start) {
        write_samples(path, &records, start);
    }
    summarize(plan, &records, window_start, rss_peak)
}

fn write_samples(path: &std::path::Path, records: &[Record], start: Instant) {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| r.planned);
    // The window's start on the wall clock, to line samples up with scheduler traces
    // (`waits.py`) and the gateway's request log.
    let unix_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
        .saturating_sub(start.elapsed().as_micros());
    let header = format!("# window_start_unix_us={unix_us}\n");
    let text: String = std::iter::once(header)
        .chain(sorted.iter().map(|r| {
            format!(
                "{:.3},{},{},{},lg-{}\n",
                (r.planned - start).as_secs_f64() * 1000.0,
                r.latency_us,
                u8::from(r.failure.is_none()),
                r.lag_us,
                r.id
            )
        }))
        .collect();
    if let Err(e) = std::fs::write(path, text) {
        eprintln!("cannot write {}: {e}", path.display());
    }
}

fn summarize(
    plan: &Plan,
    records: &[Record],
    window_start: Option<Instant>,
    rss_peak: u64,
) -> String {
    let count = |kind: fn(&Failure) -> bool| {
        records
            .iter()
            .filter(|r| r.failure.as_ref().is_some_and(kind))
            .count()
    };
    let ok: Vec<&Record> = records.iter().filter(|r| r.failure.is_none()).collect();
    // Achieved rate: answers over the window, stretched if the last answers came late.
    let last = ok.iter().map(|r| r.done).max();
    let elapsed = match (window_start, last) {
        (Some(start), Some(last)) => (last - start).as_secs_f64().max(plan.window.as_secs_f64()),
        _ => plan.window.as_secs_f64(),
    };
    let latency = Sorted::new(ok.iter().map(|r| r.latency_us).collect());
    let lag = Sorted::new(ok.iter().map(|r| r.lag_us).collect());
    format!(
        "{{\"mode\":\"instant\",\"url\":\"{}\",\"rate\":{},\"window_s\":{},\"planned\":{},\"ok\":{},\"errors\":{},\"err_status\":{},\"err_transport\":{},\"err_timeout\":{},\"err_dropped\":{},\"achieved\":{:.1},{},\"lag_p50_us\":{},\"lag_p99_us\":{},\"rss_peak_kib\":{}}}",
        plan.url,
        plan.rate,
        plan.window.as_secs_f64(),
        records.len(),
        ok.len(),
        records.len() - ok.len(),
        count(|f| matches!(f, Failure::Status)),
        count(|f| matches!(f, Failure::Transport)),
        count(|f| matches!(f, Failure::Timeout)),
        count(|f| matches!(f, Failure::Dropped)),
        ok.len() as f64 / elapsed,
        latency.json_fields("lat"),
        lag.pct(0.5),
        lag.pct(0.99),
        rss_peak
    )
}
