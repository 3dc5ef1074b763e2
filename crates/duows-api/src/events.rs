//! One live stream of what changes, for every view: GPU samples (1 Hz), the engines'
//! states, the jobs' progress and the gateway's routes and deployments. The browser gets
//! it as server-sent events (`GET /api/events`), the window through a Tauri channel; both
//! read [`subscribe`]. A new subscriber first gets the current state of each, then every
//! change as it happens: nothing polls.

use std::sync::Arc;
use std::time::Duration;

use duows_core::engine::EngineStatus;
use duows_core::jobs::{JobState, JobStatus};
use duows_core::sampler::Sample;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::calls::{self, GatewayInfo};
use crate::ApiState;

/// Job progress is sent at most this often (a download reports many times a second).
const JOB_EVERY: Duration = Duration::from_millis(250);

/// One event of the stream. Serialises as `{ "kind": "sample", "data": … }`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum ServerEvent {
    /// A new GPU and system sample.
    Sample(#[serde(serialize_with = "shared_sample")] Arc<Sample>),
    /// Every engine's status, after any of them changed.
    Engines(Vec<EngineStatus>),
    /// Every job's status, after any of them changed.
    Jobs(Vec<JobStatus>),
    /// The gateway's endpoint, routes and deployments, after any of them changed.
    Gateway(Box<GatewayInfo>),
}

impl ServerEvent {
    /// The event's name: `sample`, `engines`, `jobs` or `gateway`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sample(_) => "sample",
            Self::Engines(_) => "engines",
            Self::Jobs(_) => "jobs",
            Self::Gateway(_) => "gateway",
        }
    }

    /// The event's data as JSON.
    pub fn data_json(&self) -> serde_json::Result<String> {
        match self {
            Self::Sample(sample) => serde_json::to_string(sample.as_ref()),
            Self::Engines(engines) => serde_json::to_string(engines),
            Self::Jobs(jobs) => serde_json::to_string(jobs),
            Self::Gateway(info) => serde_json::to_string(info),
        }
    }
}

/// Serialises the sampler's shared sample without copying it.
fn shared_sample<S: serde::Serializer>(
    sample: &Arc<Sample>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    sample.as_ref().serialize(serializer)
}

/// A new subscription: the current state first, then every change, until the program
/// begins to stop or the receiver is dropped.
pub fn subscribe(state: &ApiState) -> mpsc::Receiver<ServerEvent> {
    let (tx, rx) = mpsc::channel(32);
    tokio::spawn(forward(state.clone(), tx));
    rx
}

async fn forward(state: ApiState, tx: mpsc::Sender<ServerEvent>) {
    let stopped = state.stopped();
    tokio::pin!(stopped);
    let mut samples = state.sampler().subscribe();
    let mut changes = state.changes();
    let mut job_changes = state.inner.jobs.changes();
    let mut engine_changes = state.existing_supervisor().map(|s| s.changes());
    let mut last_jobs = Instant::now() - JOB_EVERY;
    let mut ended_jobs = usize::MAX;
    let sample = Arc::clone(&samples.borrow_and_update());
    let first = [
        ServerEvent::Sample(sample),
        engines(&state),
        ServerEvent::Jobs(state.inner.jobs.list()),
        gateway(&state).await,
    ];
    for event in first {
        if tx.send(event).await.is_err() {
            return;
        }
    }
    loop {
        let engine_changed = async {
            let changed = match engine_changes.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => false,
            };
            if !changed {
                std::future::pending::<()>().await;
            }
        };
        let events = tokio::select! {
            () = &mut stopped => return,
            changed = samples.changed() => {
                if changed.is_err() {
                    return;
                }
                vec![ServerEvent::Sample(Arc::clone(&samples.borrow_and_update()))]
            }
            () = engine_changed => vec![engines(&state), gateway(&state).await],
            _ = changes.changed() => {
                // Settings saved, a deployment checked, or the supervisor made.
                if engine_changes.is_none() {
                    engine_changes = state.existing_supervisor().map(|s| s.changes());
                }
                vec![engines(&state), gateway(&state).await]
            }
            _ = job_changes.changed() => {
                tokio::time::sleep_until(last_jobs + JOB_EVERY).await;
                job_changes.borrow_and_update();
                last_jobs = Instant::now();
                let jobs = state.inner.jobs.list();
                let ended = jobs.iter().filter(|j| j.state != JobState::Running).count();
                let mut events = vec![ServerEvent::Jobs(jobs)];
                // An engine's "not installed" advice follows the installs: when a job
                // ends, the engines are sent again too.
                if ended != ended_jobs {
                    ended_jobs = ended;
                    events.push(engines(&state));
                }
                events
            }
        };
        for event in events {
            if tx.send(event).await.is_err() {
                return;
            }
        }
    }
}

fn engines(state: &ApiState) -> ServerEvent {
    ServerEvent::Engines(calls::engine_status(state).unwrap_or_default())
}

async fn gateway(state: &ApiState) -> ServerEvent {
    let info = calls::gateway_info(state).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "gateway state unavailable for the live stream");
        GatewayInfo::default()
    });
    ServerEvent::Gateway(Box::new(info))
}
