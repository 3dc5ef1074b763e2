//! The dashboard calls: what it shows besides the live samples (the processes on each GPU
//! with this app's engines named and their planned memory, each engine's serving figures,
//! the gateway's traffic per alias), and the log viewer's search. Thin: the core reads and
//! derives; this maps arguments and picks the folders.

use duows_core::dashboard::{
    gateway_traffic, gpu_processes, process_group, with_live_replicas, EngineServing,
    GatewayTraffic, GpuProcesses, LiveReplica, ScrapeTarget,
};
use duows_core::log_search::{search_logs, LogQuery, LogSearch, MAX_LINES};
use duows_gateway::ReplicaStatus;
use serde::{Deserialize, Serialize};

use crate::{ApiError, ApiState, ErrorCode};

/// What `dashboard` returns.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DashboardView {
    /// When it was read (ms since the epoch, the server's clock).
    pub read_at_ms: u64,
    /// Each GPU's processes and engines, from the newest sample.
    pub gpus: Vec<GpuProcesses>,
    /// Each engine's serving figures.
    pub engines: Vec<EngineServing>,
    /// The gateway's traffic over the window; `None` when this program runs no gateway.
    pub gateway: Option<GatewayTraffic>,
}

/// Body of `logs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct LogsParams {
    /// Log ids to read (`app:duows`, `gateway`, `engine:<name>`); none or empty: every log.
    #[serde(default)]
    pub sources: Option<Vec<String>>,
    /// Text a line must hold (any case).
    #[serde(default)]
    pub search: Option<String>,
    /// Only the lines of this request (its correlation id, as the client sent or got it).
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Lines at most (default 500, at most 2000).
    #[serde(default)]
    pub lines: Option<usize>,
}

/// `dashboard`: the processes, engines and gateway traffic of the last `minutes` (1–60,
/// default 5; the gateway's figures cover that window).
pub async fn dashboard(state: &ApiState, minutes: Option<u32>) -> Result<DashboardView, ApiError> {
    let minutes = minutes.unwrap_or(5);
    if !(1..=60).contains(&minutes) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "minutes must be between 1 and 60",
        )
        .with_field("minutes"));
    }
    let sample = state.sampler().latest();
    let endpoints = state
        .existing_supervisor()
        .map(|s| s.endpoints())
        .unwrap_or_default();
    let statuses: Vec<_> = endpoints.iter().map(|e| e.status.clone()).collect();
    let targets: Vec<ScrapeTarget> = endpoints
        .into_iter()
        .map(|e| ScrapeTarget {
            name: e.status.name,
            kind: e.status.kind,
            state: e.status.state,
            base_url: e.status.base_url,
            api_key: Some(e.api_key),
        })
        .collect();
    let now_ms = duows_base::clock::now_ms();
    let engines = state.inner.engine_scraper.read(&targets, now_ms).await;
    let gpus = {
        let gpus = sample.gpus.clone();
        super::blocking(move || Ok(gpu_processes(&gpus, &statuses, &process_group))).await?
    };
    let gateway = match state.gateway() {
        Some(handle) => {
            let live = several_replicas(handle.gateway.replicas());
            let log = state
                .data_dir()
                .logs_dir()
                .join("gateway")
                .join("requests.jsonl");
            let window_s = u64::from(minutes) * 60;
            let mut traffic = super::blocking(move || {
                gateway_traffic(&log, now_ms, window_s).map_err(|e| {
                    ApiError::internal(format!("the gateway's request log could not be read: {e}"))
                })
            })
            .await?;
            traffic.replicas = with_live_replicas(traffic.replicas, &live);
            Some(traffic)
        }
        None => None,
    };
    Ok(DashboardView {
        read_at_ms: now_ms,
        gpus,
        engines,
        gateway,
    })
}

/// The replicas of the deployments that have more than one, as the dashboard lists them.
fn several_replicas(statuses: Vec<ReplicaStatus>) -> Vec<LiveReplica> {
    let count = |name: &str| statuses.iter().filter(|s| s.deployment == name).count();
    statuses
        .iter()
        .filter(|s| count(&s.deployment) > 1)
        .map(|s| LiveReplica {
            deployment: s.deployment.clone(),
            replica: s.base_url.clone(),
            up: s.up,
            outstanding: s.outstanding,
            retried: s.retried,
        })
        .collect()
}

/// `logs`: the logs there are, and their newest lines that match.
pub async fn logs(state: &ApiState, params: LogsParams) -> Result<LogSearch, ApiError> {
    let lines = params.lines.unwrap_or(500);
    if lines == 0 || lines > MAX_LINES {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("lines must be between 1 and {MAX_LINES}"),
        )
        .with_field("lines"));
    }
    let query = LogQuery {
        sources: params.sources.unwrap_or_default(),
        search: params.search,
        correlation_id: params.correlation_id,
        limit: lines,
    };
    let dir = state.data_dir().logs_dir();
    super::blocking(move || Ok(search_logs(&dir, &query))).await
}
