//! The replicas behind one deployment: several upstreams serving the same model (engines of
//! this app on other nodes, external endpoints). Each replica's [`ReplicaHealth`] outlives
//! route-table swaps (the [`ReplicaRegistry`] keeps it by deployment and address): the
//! requests outstanding on it, its counters, and whether it is in or out.
//!
//! Selection ([`choose`]): the ready replica with the fewest requests outstanding. Ties go
//! round-robin from a cursor per deployment, not at random: sequential traffic alternates
//! exactly, so every replica keeps being used (and a broken one is found at once), with no
//! random numbers on the request path. A deployment with one replica skips all of it.
//!
//! Health: a replica that fails before any byte of answer (connection refused or reset, or
//! a 502/503 from it) is taken out and probed with `GET <base>/models` after a backoff that
//! doubles up to a limit; the first probe it answers with success brings it back, and so
//! does any answer a request gets from it meanwhile. A replica that is out still takes a request when no other is ready:
//! the request is the freshest check there is.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderValue;

use crate::metrics::escape_label;

/// The most replicas one deployment uses (the retry bookkeeping is a 64-bit mask).
pub(crate) const MAX_REPLICAS: usize = 64;

/// How long a probe may take before it counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One replica's state and counters, shared by every route table that routes to it.
#[derive(Debug)]
pub(crate) struct ReplicaHealth {
    /// The deployment it serves.
    pub deployment: Arc<str>,
    /// Its base URL (the metrics' and the log's name for it).
    pub base_url: Arc<str>,
    outstanding: AtomicU32,
    requests: AtomicU64,
    errors: AtomicU64,
    retried: AtomicU64,
    /// Taken out after a failure, until a probe (or an answer) brings it back.
    out: AtomicBool,
    /// Whether a probe task runs for it.
    probing: AtomicBool,
    /// No longer in the route table: its probe stops.
    retired: AtomicBool,
}

impl ReplicaHealth {
    fn new(deployment: &str, base_url: &str) -> Self {
        Self {
            deployment: Arc::from(deployment),
            base_url: Arc::from(base_url),
            outstanding: AtomicU32::new(0),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            out: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            retired: AtomicBool::new(false),
        }
    }

    /// Whether it takes requests (it is not out after a failure).
    pub fn is_in(&self) -> bool {
        !self.out.load(Ordering::Relaxed)
    }

    /// Requests sent to it and not yet answered to the end.
    pub fn outstanding(&self) -> u32 {
        self.outstanding.load(Ordering::Relaxed)
    }

    /// A request goes to it: counted, and outstanding until the lease is dropped.
    pub fn lease(self: &Arc<Self>) -> ReplicaLease {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.outstanding.fetch_add(1, Ordering::Relaxed);
        ReplicaLease(self.clone())
    }

    /// A request to it failed (no answer, a 5xx, an answer that broke off).
    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A request that failed on it was sent on to another replica.
    pub fn retried(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    /// It answered: back in at once if it was out.
    pub fn answered(&self) {
        if self.out.load(Ordering::Relaxed) {
            self.out.store(false, Ordering::Relaxed);
        }
    }

    /// Its state now.
    pub fn status(&self) -> ReplicaStatus {
        ReplicaStatus {
            deployment: self.deployment.to_string(),
            base_url: self.base_url.to_string(),
            up: self.is_in(),
            outstanding: self.outstanding(),
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
        }
    }
}

/// One request's hold on a replica: it counts as outstanding there until this is dropped.
#[derive(Debug)]
pub(crate) struct ReplicaLease(Arc<ReplicaHealth>);

impl ReplicaLease {
    pub fn health(&self) -> &ReplicaHealth {
        &self.0
    }
}

impl Drop for ReplicaLease {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A replica's state and counters since the gateway started (or since it joined the route
/// table), as the metrics and the dashboard show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// The deployment it serves.
    pub deployment: String,
    /// Its base URL.
    pub base_url: String,
    /// Whether it takes requests; `false` while it is out after a failure, being probed.
    pub up: bool,
    /// Requests being answered by it now.
    pub outstanding: u32,
    /// Requests sent to it (each attempt of a retried request counts where it went).
    pub requests: u64,
    /// Requests that failed on it: no answer, a 5xx, or an answer that broke off.
    pub errors: u64,
    /// Requests that failed on it before any byte of answer and went on to another replica.
    pub retried: u64,
}

/// Every replica's health, by deployment and base URL, across route-table swaps.
#[derive(Debug, Default)]
pub(crate) struct ReplicaRegistry {
    all: Mutex<HashMap<(String, String), Arc<ReplicaHealth>>>,
}

impl ReplicaRegistry {
    /// The health of `base_url` serving `deployment`, new if it was not known.
    pub fn get(&self, deployment: &str, base_url: &str) -> Arc<ReplicaHealth> {
        let mut all = self.all.lock().unwrap_or_else(|e| e.into_inner());
        all.entry((deployment.to_owned(), base_url.to_owned()))
            .or_insert_with(|| Arc::new(ReplicaHealth::new(deployment, base_url)))
            .clone()
    }

    /// Forgets every replica not in `current` (their probes stop; requests in flight keep
    /// their lease).
    pub fn keep_only(&self, current: &[&Arc<ReplicaHealth>]) {
        let mut all = self.all.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|_, health| {
            let keep = current.iter().any(|c| Arc::ptr_eq(c, health));
            if !keep {
                health.retired.store(true, Ordering::Relaxed);
            }
            keep
        });
    }
}

/// The replica to send to among `n`, or `None`. `state(i)` says whether replica `i` is in
/// and how many requests it has outstanding; `tried` marks (bit `i`) those already tried for
/// this request. The first attempt (`tried == 0`) falls back to a replica that is out when
/// none is in; a retry goes only to a replica that is in.
pub(crate) fn choose(
    n: usize,
    cursor: &AtomicUsize,
    tried: u64,
    state: impl Fn(usize) -> (bool, u32),
) -> Option<usize> {
    if n <= 1 {
        return (n == 1 && tried & 1 == 0).then_some(0);
    }
    let n = n.min(MAX_REPLICAS);
    let start = cursor.fetch_add(1, Ordering::Relaxed);
    let mut ready: Option<(usize, u32)> = None;
    let mut out: Option<(usize, u32)> = None;
    for k in 0..n {
        let i = start.wrapping_add(k) % n;
        if tried & (1 << i) != 0 {
            continue;
        }
        let (is_in, outstanding) = state(i);
        let best = if is_in { &mut ready } else { &mut out };
        // Strictly fewer: of equals, the first from the cursor wins (round-robin).
        if best.is_none_or(|(_, o)| outstanding < o) {
            *best = Some((i, outstanding));
        }
    }
    ready
        .or(if tried == 0 { out } else { None })
        .map(|(i, _)| i)
}

/// How a replica taken out is probed.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub client: reqwest::Client,
    /// `<base>/models`.
    pub url: reqwest::Url,
    pub auth: Option<HeaderValue>,
    /// The wait before the first probe, doubled after each failed one up to `max`.
    pub first: Duration,
    pub max: Duration,
}

/// Takes `health` out and makes sure a probe runs to bring it back.
pub(crate) fn take_out(health: &Arc<ReplicaHealth>, probe: Probe) {
    if !health.out.swap(true, Ordering::AcqRel) {
        tracing::warn!(
            deployment = %health.deployment,
            replica = %health.base_url,
            "a replica failed before answering; it takes no requests until it answers a probe"
        );
    }
    if !health.probing.swap(true, Ordering::AcqRel) {
        tokio::spawn(run_probe(health.clone(), probe));
    }
}

async fn run_probe(health: Arc<ReplicaHealth>, probe: Probe) {
    loop {
        let mut wait = probe.first;
        while !health.is_in() && !health.retired.load(Ordering::Relaxed) {
            tokio::time::sleep(wait).await;
            if health.is_in() || health.retired.load(Ordering::Relaxed) {
                break;
            }
            if answers(&probe).await {
                health.out.store(false, Ordering::Release);
                tracing::info!(
                    deployment = %health.deployment,
                    replica = %health.base_url,
                    "a replica answered its probe; it takes requests again"
                );
                break;
            }
            wait = (wait * 2).min(probe.max);
        }
        health.probing.store(false, Ordering::Release);
        // A take-out that came as this probe ended found it still running: probe again.
        let again = !health.is_in()
            && !health.retired.load(Ordering::Relaxed)
            && !health.probing.swap(true, Ordering::AcqRel);
        if !again {
            return;
        }
    }
}

/// Whether the replica answers `GET <base>/models` with success (serving again, and taking
/// its key).
async fn answers(probe: &Probe) -> bool {
    let mut request = probe.client.get(probe.url.clone()).timeout(PROBE_TIMEOUT);
    if let Some(auth) = &probe.auth {
        request = request.header(AUTHORIZATION, auth.clone());
    }
    match request.send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

/// The replicas' Prometheus series: up, outstanding, requests, errors, retries.
pub(crate) fn render(out: &mut String, replicas: &[ReplicaStatus]) {
    type Value = fn(&ReplicaStatus) -> u64;
    let series: [(&str, &str, &str, Value); 5] = [
        (
            "duows_gateway_replica_up",
            "gauge",
            "Whether a replica takes requests (0: out after failing before answering, probed until it answers).",
            |r| u64::from(r.up),
        ),
        (
            "duows_gateway_replica_outstanding",
            "gauge",
            "Requests being answered by a replica now.",
            |r| u64::from(r.outstanding),
        ),
        (
            "duows_gateway_replica_requests_total",
            "counter",
            "Requests sent to a replica (each attempt where it went).",
            |r| r.requests,
        ),
        (
            "duows_gateway_replica_errors_total",
            "counter",
            "Requests that failed on a replica: no answer, a 5xx, or an answer that broke off.",
            |r| r.errors,
        ),
        (
            "duows_gateway_replica_retries_total",
            "counter",
            "Requests that failed on a replica before any byte of answer and went to another.",
            |r| r.retried,
        ),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for r in replicas {
            let _ = writeln!(
                out,
                "{name}{{deployment=\"{}\",replica=\"{}\"}} {}",
                escape_label(&r.deployment),
                escape_label(&r.base_url),
                value(r)
            );
        }
    }
}

#[cfg(test)]
#[path = "replicas_tests.rs"]
mod tests;
