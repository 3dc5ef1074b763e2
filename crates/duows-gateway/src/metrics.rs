//! Prometheus metrics, kept in atomics and written out by hand: counting a request costs a
//! read lock and a few atomic adds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use crate::errors::ErrorCode;

/// Bucket bounds (seconds) of request latency and time to first byte.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];
/// Bucket bounds (seconds) of the time the gateway itself adds.
const OVERHEAD_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

/// Requests by HTTP status, for one model name: one counter per status 100..=599.
struct StatusCounts(Box<[AtomicU64]>);

impl StatusCounts {
    fn new() -> Self {
        Self((100..600).map(|_| AtomicU64::new(0)).collect())
    }

    fn add(&self, status: u16) {
        let i = usize::from(status.clamp(100, 599) - 100);
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// A histogram with fixed buckets.
struct Histogram {
    bounds: &'static [f64],
    /// Per-bucket (not cumulative) counts; the last one is `+Inf`.
    counts: Box<[AtomicU64]>,
    sum_ns: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        let i = self
            .bounds
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_ns
            .fetch_add(value.as_nanos() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut total = 0;
        for (i, count) in self.counts.iter().enumerate() {
            total += count.load(Ordering::Relaxed);
            match self.bounds.get(i) {
                Some(bound) => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {total}");
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
                }
            }
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {total}");
    }
}

/// Every metric of one gateway.
pub(crate) struct Metrics {
    requests: RwLock<HashMap<String, StatusCounts>>,
    errors: Box<[AtomicU64]>,
    latency: Histogram,
    ttfb: Histogram,
    overhead: Histogram,
    in_flight: AtomicI64,
    log_dropped: AtomicU64,
}

/// The model label of requests that named no model we know.
pub(crate) const UNKNOWN_MODEL: &str = "unknown";

impl Metrics {
    pub fn new() -> Self {
        Self {
            requests: RwLock::new(HashMap::new()),
            errors: ErrorCode::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            latency: Histogram::new(LATENCY_BUCKETS),
            ttfb: Histogram::new(LATENCY_BUCKETS),
            overhead: Histogram::new(OVERHEAD_BUCKETS),
            in_flight: AtomicI64::new(0),
            log_dropped: AtomicU64::new(0),
        }
    }

    /// Counts a finished request. `model` must be a routed name (bounded), or
    /// [`UNKNOWN_MODEL`].
    pub fn request(&self, model: &str, status: u16, latency: Duration) {
        self.latency.observe(latency);
        {
            let map = self.requests.read().unwrap_or_else(|e| e.into_inner());
            if let Some(counts) = map.get(model) {
                counts.add(status);
                return;
            }
        }
        let mut map = self.requests.write().unwrap_or_else(|e| e.into_inner());
        map.entry(model.to_owned())
            .or_insert_with(StatusCounts::new)
            .add(status);
    }

    pub fn error(&self, code: ErrorCode) {
        self.errors[code.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn ttfb(&self, value: Duration) {
        self.ttfb.observe(value);
    }

    pub fn overhead(&self, value: Duration) {
        self.overhead.observe(value);
    }

    pub fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn ended(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn log_dropped(&self) {
        self.log_dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        out.push_str(
            "# HELP duows_gateway_requests_total Requests answered, by model and HTTP status.\n\
             # TYPE duows_gateway_requests_total counter\n",
        );
        {
            let map = self.requests.read().unwrap_or_else(|e| e.into_inner());
            let mut models: Vec<_> = map.iter().collect();
            models.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (model, counts) in models {
                for (i, count) in counts.0.iter().enumerate() {
                    let n = count.load(Ordering::Relaxed);
                    if n > 0 {
                        let _ = writeln!(
                            out,
                            "duows_gateway_requests_total{{model=\"{}\",status=\"{}\"}} {n}",
                            escape_label(model),
                            i + 100
                        );
                    }
                }
            }
        }
        out.push_str(
            "# HELP duows_gateway_errors_total Errors the gateway produced, by code.\n\
             # TYPE duows_gateway_errors_total counter\n",
        );
        for code in ErrorCode::ALL {
            let n = self.errors[code.index()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "duows_gateway_errors_total{{code=\"{}\"}} {n}",
                code.as_str()
            );
        }
        self.latency.render(
            &mut out,
            "duows_gateway_request_duration_seconds",
            "Time from receiving a request to the end of its answer.",
        );
        self.ttfb.render(
            &mut out,
            "duows_gateway_time_to_first_byte_seconds",
            "Time from forwarding a request to the first byte of the upstream answer.",
        );
        self.overhead.render(
            &mut out,
            "duows_gateway_overhead_seconds",
            "Time the gateway adds: total time minus time spent waiting on the upstream.",
        );
        let _ = writeln!(
            out,
            "# HELP duows_gateway_requests_in_flight Requests being answered now.\n\
             # TYPE duows_gateway_requests_in_flight gauge\n\
             duows_gateway_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP duows_gateway_request_log_dropped_total Request-log lines dropped because the writer fell behind.\n\
             # TYPE duows_gateway_request_log_dropped_total counter\n\
             duows_gateway_request_log_dropped_total {}",
            self.log_dropped.load(Ordering::Relaxed)
        );
        out
    }
}

/// Escapes a Prometheus label value.
pub(crate) fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::new();
        m.request("duo-chat", 200, Duration::from_millis(3));
        m.request("duo-chat", 200, Duration::from_millis(30));
        m.request("we\"ird", 404, Duration::from_micros(10));
        m.error(ErrorCode::ModelNotFound);
        m.overhead(Duration::from_micros(80));
        m.started();
        let text = m.render();
        assert!(text.contains(r#"duows_gateway_requests_total{model="duo-chat",status="200"} 2"#));
        assert!(text.contains(r#"duows_gateway_requests_total{model="we\"ird",status="404"} 1"#));
        assert!(text.contains(r#"duows_gateway_errors_total{code="model_not_found"} 1"#));
        assert!(text.contains(r#"duows_gateway_request_duration_seconds_bucket{le="0.005"} 2"#));
        assert!(text.contains(r#"duows_gateway_request_duration_seconds_bucket{le="+Inf"} 3"#));
        assert!(text.contains(r#"duows_gateway_overhead_seconds_bucket{le="0.0001"} 1"#));
        assert!(text.contains(r#"duows_gateway_overhead_seconds_bucket{le="0.00005"} 0"#));
        assert!(text.contains("duows_gateway_requests_in_flight 1"));
    }
}
