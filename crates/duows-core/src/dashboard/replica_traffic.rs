//! The gateway's traffic per replica, for deployments with several: each replica's requests,
//! errors and latency over the window (from the request log's `replica` field), beside what
//! the running gateway says of it now (in or out, requests outstanding, failures since it
//! started). A replica with no request in the window is still listed from the gateway's
//! state, so one that is out shows even when nothing reaches it.

use std::collections::BTreeMap;

use serde::Serialize;

/// One replica's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ReplicaTraffic {
    /// The deployment it serves.
    pub deployment: String,
    /// Its base URL.
    pub replica: String,
    /// Whether it takes requests now; `false` while it is out after failing before
    /// answering (probed until it answers); `None` when the gateway does not route to it.
    pub up: Option<bool>,
    /// Requests being answered by it now.
    pub outstanding: Option<u32>,
    /// Requests it answered in the window.
    pub requests: u64,
    /// Requests per second over the window.
    pub requests_per_second: f64,
    /// Requests it answered with an error (HTTP 4xx or 5xx) in the window.
    pub errors: u64,
    /// Requests that failed on it before any byte of answer and went on to another replica,
    /// since the gateway started.
    pub retried_total: Option<u64>,
    /// Median latency, in ms.
    pub latency_p50_ms: Option<f64>,
    /// 99th-percentile latency, in ms.
    pub latency_p99_ms: Option<f64>,
}

/// What the running gateway says of a replica now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveReplica {
    /// The deployment it serves.
    pub deployment: String,
    /// Its base URL.
    pub replica: String,
    /// Whether it takes requests.
    pub up: bool,
    /// Requests being answered by it now.
    pub outstanding: u32,
    /// Requests that failed on it before answering and went on to another, since the start.
    pub retried: u64,
}

/// Errors and latencies (ms) per (deployment, replica), gathered from the log's lines.
pub(super) type ByReplica = BTreeMap<(String, String), (u64, Vec<f64>)>;

/// The figures of each replica seen in the log.
pub(super) fn replica_figures(
    by_replica: ByReplica,
    window_s: u64,
    rank: fn(&[f64], f64) -> Option<f64>,
) -> Vec<ReplicaTraffic> {
    by_replica
        .into_iter()
        .map(|((deployment, replica), (errors, mut latencies))| {
            latencies.sort_by(f64::total_cmp);
            ReplicaTraffic {
                deployment,
                replica,
                up: None,
                outstanding: None,
                requests: latencies.len() as u64,
                requests_per_second: latencies.len() as f64 / window_s.max(1) as f64,
                errors,
                retried_total: None,
                latency_p50_ms: rank(&latencies, 0.5),
                latency_p99_ms: rank(&latencies, 0.99),
            }
        })
        .collect()
}

/// `from_log` with the gateway's state of each replica of a deployment with several
/// (`live`), in the gateway's order; replicas the gateway no longer routes to come last.
pub fn with_live_replicas(
    from_log: Vec<ReplicaTraffic>,
    live: &[LiveReplica],
) -> Vec<ReplicaTraffic> {
    let mut rest = from_log;
    let mut merged = Vec::with_capacity(live.len() + rest.len());
    for now in live {
        let at = rest
            .iter()
            .position(|r| r.deployment == now.deployment && r.replica == now.replica);
        let row = match at {
            Some(at) => rest.remove(at),
            None => ReplicaTraffic {
                deployment: now.deployment.clone(),
                replica: now.replica.clone(),
                up: None,
                outstanding: None,
                requests: 0,
                requests_per_second: 0.0,
                errors: 0,
                retried_total: None,
                latency_p50_ms: None,
                latency_p99_ms: None,
            },
        };
        merged.push(ReplicaTraffic {
            up: Some(now.up),
            outstanding: Some(now.outstanding),
            retried_total: Some(now.retried),
            ..row
        });
    }
    merged.extend(rest);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(replica: &str, up: bool) -> LiveReplica {
        LiveReplica {
            deployment: "gpu".into(),
            replica: replica.into(),
            up,
            outstanding: 2,
            retried: 7,
        }
    }

    #[test]
    fn the_gateways_state_joins_the_logs_figures_in_the_gateways_order() {
        let mut by_replica = ByReplica::new();
        by_replica.insert(("gpu".into(), "http://b/v1".into()), (1, vec![30.0, 10.0]));
        by_replica.insert(("gpu".into(), "http://gone/v1".into()), (0, vec![5.0]));
        let from_log = replica_figures(by_replica, 10, |sorted, _| sorted.first().copied());
        let rows = with_live_replicas(
            from_log,
            &[live("http://a/v1", false), live("http://b/v1", true)],
        );
        let names: Vec<&str> = rows.iter().map(|r| r.replica.as_str()).collect();
        assert_eq!(names, ["http://a/v1", "http://b/v1", "http://gone/v1"]);
        assert_eq!(
            (rows[0].up, rows[0].requests, rows[0].retried_total),
            (Some(false), 0, Some(7)),
            "out, and listed though nothing reached it"
        );
        assert_eq!((rows[1].requests, rows[1].errors), (2, 1));
        assert_eq!(rows[1].latency_p50_ms, Some(10.0));
        assert!((rows[1].requests_per_second - 0.2).abs() < 1e-9);
        assert_eq!((rows[2].up, rows[2].outstanding), (None, None));
    }
}
