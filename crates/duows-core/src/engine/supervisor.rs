//! Runs engines: start, readiness, restarts with backoff, stop; states published as events.
//!
//! Readiness follows how the engines behave: while the process lives, "connection
//! refused" (or a 503) means loading; then the plan's health path answers 200 (vLLM's
//! `/health`; `/v1/models` for llama-cpp-python's server, which has no `/health`);
//! then a real completion request must succeed. Only then is the engine `ready`. A failure
//! is classified from the engine's last log lines. An engine that dies after it was ready
//! is restarted with exponential backoff up to a cap; one that fails to start for a known
//! reason (out of memory, wrong flags, missing program) is not retried: retrying cannot help.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::classify::{classify, cpu_fallback_warning, fix_for, Failure, FailureKind};
use super::log::EngineLog;
use super::plan::{EngineKind, LaunchPlan, PrepareStep, Secret};
use super::process::{stop_group, EngineLauncher, LaunchError};

/// Where an engine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineState {
    /// Not running.
    Stopped,
    /// Its software is being installed.
    Installing,
    /// Its weights are being downloaded.
    Downloading,
    /// The process runs and loads the model.
    Starting,
    /// Answered a real completion; serving.
    Ready,
    /// Stopped by a failure it will not retry.
    Failed,
    /// Waiting before the next start after a failure.
    BackingOff,
    /// Being stopped.
    Stopping,
}

/// The last lines a failure is classified from: a vLLM traceback with its worker
/// processes' output easily runs past a hundred lines after the line that names the cause.
const CLASSIFY_LINES: usize = 200;

/// A ready engine's health is checked every this many polls.
const HEALTH_EVERY: u32 = 10;

/// What the UI and `duows engine status` show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineStatus {
    /// The engine's name (its served model name).
    pub name: String,
    /// vLLM or llama.cpp.
    pub kind: EngineKind,
    /// State.
    pub state: EngineState,
    /// Process id while it runs.
    pub pid: Option<u32>,
    /// OpenAI-compatible base URL.
    pub base_url: String,
    /// Restarts after failures so far.
    pub restarts: u32,
    /// When the state last changed (ms since the epoch).
    pub since_ms: u64,
    /// The last failure, classified.
    pub failure: Option<Failure>,
    /// When the next start is due, while backing off (ms since the epoch).
    pub next_start_ms: Option<u64>,
    /// The command line (key hidden).
    pub command_line: String,
    /// The log file.
    pub log_path: PathBuf,
    /// Problems of a running engine that do not stop it (e.g. llama.cpp fell back to the CPU).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Restart and readiness timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupervisionPolicy {
    /// First backoff; doubles on each restart.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_cap: Duration,
    /// Restarts before giving up.
    pub max_restarts: u32,
    /// How often readiness and health are checked.
    pub poll: Duration,
    /// How long loading may take before the start counts as failed.
    pub start_timeout: Duration,
    /// How long a stop waits after SIGTERM before SIGKILL.
    pub stop_grace: Duration,
}

impl SupervisionPolicy {
    /// Defaults per engine: vLLM may load a large model for many minutes.
    pub fn for_engine(kind: EngineKind) -> Self {
        Self {
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(300),
            max_restarts: 5,
            poll: Duration::from_millis(500),
            start_timeout: match kind {
                EngineKind::Vllm => Duration::from_secs(45 * 60),
                EngineKind::LlamaCpp => Duration::from_secs(5 * 60),
            },
            stop_grace: Duration::from_secs(15),
        }
    }

    /// The wait before restart number `n` (1-based): `base × 2^(n−1)`, capped.
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_cap)
    }
}

/// Why a supervisor call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    /// An engine of that name runs already.
    #[error("an engine named `{0}` is already running; stop it first or pick another name")]
    NameTaken(String),
    /// No engine of that name.
    #[error("no engine named `{0}`")]
    Unknown(String),
    /// The engine still runs; only a stopped or failed one can be removed.
    #[error("the engine `{0}` is still running; stop it before removing it")]
    StillRunning(String),
}

struct Handle {
    status: watch::Receiver<EngineStatus>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    log: Arc<EngineLog>,
    api_key: Secret,
}

/// What the gateway needs to route to an engine: its status and the key it requires.
#[derive(Debug, Clone)]
pub struct EngineEndpoint {
    /// The engine's status (name = served model name, base URL, state).
    pub status: EngineStatus,
    /// The key the engine requires; only the gateway sends it.
    pub api_key: Secret,
}

/// Runs any number of engines (on different GPUs or ports).
pub struct Supervisor {
    launcher: Arc<dyn EngineLauncher>,
    logs_dir: PathBuf,
    client: reqwest::Client,
    engines: Mutex<HashMap<String, Handle>>,
    /// Counts every change of any engine's status, and every engine added or removed.
    changes: Arc<watch::Sender<u64>>,
}

/// Milliseconds since the epoch, the clock of `EngineStatus` times.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl Supervisor {
    /// A supervisor that starts engines through `launcher` and logs under `logs_dir`.
    pub fn new(launcher: Arc<dyn EngineLauncher>, logs_dir: PathBuf) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            launcher,
            logs_dir,
            client,
            engines: Mutex::new(HashMap::new()),
            changes: Arc::new(watch::channel(0).0),
        }
    }

    /// A channel whose value changes whenever any engine's status changes or an engine is
    /// added or removed: what the gateway's routes and the live views follow.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn engines(&self) -> std::sync::MutexGuard<'_, HashMap<String, Handle>> {
        self.engines.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts supervising `plan`; returns the status channel.
    pub fn start(
        &self,
        plan: LaunchPlan,
        policy: SupervisionPolicy,
    ) -> Result<watch::Receiver<EngineStatus>, SupervisorError> {
        let name = plan.served_name.clone();
        let mut engines = self.engines();
        if let Some(existing) = engines.get(&name) {
            let state = existing.status.borrow().state;
            if !matches!(state, EngineState::Stopped | EngineState::Failed) {
                return Err(SupervisorError::NameTaken(name));
            }
        }
        let log = Arc::new(EngineLog::open(
            self.logs_dir.join(format!("{name}.log")),
            10 << 20,
            3,
        ));
        let status = EngineStatus {
            name: name.clone(),
            kind: plan.kind,
            state: EngineState::Starting,
            pid: None,
            base_url: plan.base_url(),
            restarts: 0,
            since_ms: now_ms(),
            failure: None,
            next_start_ms: None,
            command_line: plan.command_line(),
            log_path: log.path().to_path_buf(),
            warnings: Vec::new(),
        };
        let api_key = plan.api_key.clone();
        let (status_tx, status_rx) = watch::channel(status);
        let (stop_tx, stop_rx) = watch::channel(false);
        let run = Run {
            plan,
            policy,
            launcher: Arc::clone(&self.launcher),
            client: self.client.clone(),
            log: Arc::clone(&log),
            status: status_tx,
            stop: stop_rx,
            changes: Arc::clone(&self.changes),
        };
        let task = tokio::spawn(run.supervise());
        engines.insert(
            name,
            Handle {
                status: status_rx.clone(),
                stop: stop_tx,
                task,
                log,
                api_key,
            },
        );
        drop(engines);
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        Ok(status_rx)
    }

    /// Forgets a stopped or failed engine (its log file stays).
    pub fn remove(&self, name: &str) -> Result<EngineStatus, SupervisorError> {
        let mut engines = self.engines();
        let handle = engines
            .get(name)
            .ok_or_else(|| SupervisorError::Unknown(name.to_owned()))?;
        let last = handle.status.borrow().clone();
        if !matches!(last.state, EngineState::Stopped | EngineState::Failed) {
            return Err(SupervisorError::StillRunning(name.to_owned()));
        }
        engines.remove(name);
        drop(engines);
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        Ok(last)
    }

    /// Stops an engine (TERM to its process group, then KILL) and waits until it is gone.
    pub async fn stop(&self, name: &str) -> Result<EngineStatus, SupervisorError> {
        let (task, status) = {
            let mut engines = self.engines();
            let handle = engines
                .get_mut(name)
                .ok_or_else(|| SupervisorError::Unknown(name.to_owned()))?;
            let _ = handle.stop.send(true);
            let task = std::mem::replace(&mut handle.task, tokio::spawn(async {}));
            (task, handle.status.clone())
        };
        let _ = task.await;
        let last = status.borrow().clone();
        Ok(last)
    }

    /// Stops every engine.
    pub async fn stop_all(&self) {
        let names: Vec<String> = self.engines().keys().cloned().collect();
        for name in names {
            let _ = self.stop(&name).await;
        }
    }

    /// Every engine's status.
    pub fn statuses(&self) -> Vec<EngineStatus> {
        let mut all: Vec<EngineStatus> = self
            .engines()
            .values()
            .map(|h| h.status.borrow().clone())
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Every engine with its key, for the gateway's route table.
    pub fn endpoints(&self) -> Vec<EngineEndpoint> {
        let mut all: Vec<EngineEndpoint> = self
            .engines()
            .values()
            .map(|h| EngineEndpoint {
                status: h.status.borrow().clone(),
                api_key: h.api_key.clone(),
            })
            .collect();
        all.sort_by(|a, b| a.status.name.cmp(&b.status.name));
        all
    }

    /// One engine's status channel.
    pub fn watch(&self, name: &str) -> Result<watch::Receiver<EngineStatus>, SupervisorError> {
        self.engines()
            .get(name)
            .map(|h| h.status.clone())
            .ok_or_else(|| SupervisorError::Unknown(name.to_owned()))
    }

    /// The last `n` log lines of an engine.
    pub fn logs(&self, name: &str, n: usize) -> Result<Vec<String>, SupervisorError> {
        self.engines()
            .get(name)
            .map(|h| h.log.tail(n))
            .ok_or_else(|| SupervisorError::Unknown(name.to_owned()))
    }
}

/// How one attempt ended.
enum Outcome {
    /// Asked to stop.
    Stopped,
    /// Failed; `was_ready` tells whether it had served.
    Failed { failure: Failure, was_ready: bool },
}

/// One supervised engine.
struct Run {
    plan: LaunchPlan,
    policy: SupervisionPolicy,
    launcher: Arc<dyn EngineLauncher>,
    client: reqwest::Client,
    log: Arc<EngineLog>,
    status: watch::Sender<EngineStatus>,
    stop: watch::Receiver<bool>,
    changes: Arc<watch::Sender<u64>>,
}

impl Run {
    /// The layers a llama.cpp plan asks to put on the GPU (`--n_gpu_layers N`).
    fn requested_gpu_layers(&self) -> Option<u32> {
        if self.plan.kind != EngineKind::LlamaCpp {
            return None;
        }
        let args = &self.plan.args;
        let at = args.iter().position(|a| a == "--n_gpu_layers")?;
        args.get(at + 1)?.parse().ok()
    }

    fn set(&self, change: impl FnOnce(&mut EngineStatus)) {
        self.status.send_modify(|status| {
            let before = status.state;
            change(status);
            if status.state != before {
                status.since_ms = now_ms();
            }
        });
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    async fn supervise(mut self) {
        let mut restarts = 0u32;
        loop {
            let outcome = self.attempt().await;
            let (failure, was_ready) = match outcome {
                Outcome::Stopped => {
                    self.set(|s| {
                        s.state = EngineState::Stopped;
                        s.pid = None;
                        s.next_start_ms = None;
                    });
                    return;
                }
                Outcome::Failed { failure, was_ready } => (failure, was_ready),
            };
            self.log.line(&format!(
                "[duows] engine failed: {} — {}",
                failure.evidence, failure.fix
            ));
            // A start that fails for a known reason fails the same way again.
            let permanent = !was_ready && failure.kind != FailureKind::Exited;
            if permanent || restarts >= self.policy.max_restarts {
                self.set(|s| {
                    s.state = EngineState::Failed;
                    s.pid = None;
                    s.failure = Some(failure);
                    s.next_start_ms = None;
                });
                return;
            }
            restarts += 1;
            let wait = self.policy.backoff(restarts);
            self.set(|s| {
                s.state = EngineState::BackingOff;
                s.pid = None;
                s.failure = Some(failure);
                s.restarts = restarts;
                s.next_start_ms = Some(now_ms() + wait.as_millis() as u64);
            });
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = self.stop.wait_for(|stop| *stop) => {}
            }
            if self.stopping() {
                self.set(|s| {
                    s.state = EngineState::Stopped;
                    s.next_start_ms = None;
                });
                return;
            }
        }
    }

    /// Prepares, starts, waits for readiness, then watches until failure or stop.
    async fn attempt(&mut self) -> Outcome {
        if let Err(failure) = prepare(&self.plan) {
            return Outcome::Failed {
                failure,
                was_ready: false,
            };
        }
        self.set(|s| {
            s.state = EngineState::Starting;
            s.next_start_ms = None;
        });
        let log = Arc::clone(&self.log);
        let sink: super::process::LineSink = Arc::new(move |line: &str| log.line(line));
        self.log
            .line(&format!("[duows] starting: {}", self.plan.command_line()));
        let mut process = match self.launcher.launch(&self.plan, sink) {
            Ok(process) => process,
            Err(error) => {
                let kind = match error {
                    LaunchError::ProgramMissing { .. } => FailureKind::ExecutableMissing,
                    _ => FailureKind::Exited,
                };
                return Outcome::Failed {
                    failure: Failure {
                        fix: fix_for(&kind),
                        kind,
                        evidence: error.to_string(),
                    },
                    was_ready: false,
                };
            }
        };
        let pid = process.pid();
        self.set(|s| s.pid = Some(pid));
        let started = Instant::now();
        let mut ready = false;
        let mut unhealthy = 0u32;
        let mut polls = 0u32;
        loop {
            polls = polls.wrapping_add(1);
            tokio::select! {
                () = tokio::time::sleep(self.policy.poll) => {}
                _ = self.stop.wait_for(|stop| *stop) => {}
            }
            if self.stopping() {
                self.set(|s| s.state = EngineState::Stopping);
                stop_group(process.as_mut(), self.policy.stop_grace).await;
                self.log.line("[duows] stopped");
                return Outcome::Stopped;
            }
            if let Some(exit) = process.exited() {
                // Let the output threads deliver the last lines before classifying.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Outcome::Failed {
                    failure: classify(&self.log.tail(CLASSIFY_LINES), &exit),
                    was_ready: ready,
                };
            }
            if !ready {
                match self.probe_ready().await {
                    Probe::Ready => {
                        ready = true;
                        self.log
                            .line("[duows] ready: answered a completion request");
                        let warnings: Vec<String> = self
                            .requested_gpu_layers()
                            .and_then(|n| cpu_fallback_warning(n, &self.log.tail(400)))
                            .into_iter()
                            .collect();
                        for warning in &warnings {
                            self.log.line(&format!("[duows] warning: {warning}"));
                        }
                        self.set(|s| {
                            s.state = EngineState::Ready;
                            s.failure = None;
                            s.warnings = warnings;
                        });
                    }
                    Probe::Loading => {
                        if started.elapsed() > self.policy.start_timeout {
                            stop_group(process.as_mut(), self.policy.stop_grace).await;
                            return Outcome::Failed {
                                failure: Failure {
                                    kind: FailureKind::Exited,
                                    evidence: format!(
                                        "not ready after {:?}",
                                        self.policy.start_timeout
                                    ),
                                    fix: "The engine did not finish loading in time: read its log."
                                        .into(),
                                },
                                was_ready: false,
                            };
                        }
                    }
                }
            } else if polls % HEALTH_EVERY != 0 {
                // A ready engine is checked every few polls: often enough to notice a hang,
                // rarely enough to stay out of its log.
            } else if self.healthy().await {
                unhealthy = 0;
            } else {
                unhealthy += 1;
                if unhealthy >= 3 {
                    stop_group(process.as_mut(), self.policy.stop_grace).await;
                    return Outcome::Failed {
                        failure: Failure {
                            kind: FailureKind::Exited,
                            evidence: "stopped answering /health".into(),
                            fix: "The engine hung: it was restarted.".into(),
                        },
                        was_ready: true,
                    };
                }
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.plan.host, self.plan.port)
    }

    async fn healthy(&self) -> bool {
        self.client
            .get(self.url(&self.plan.health_path))
            .bearer_auth(self.plan.api_key.expose())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Loading until `/health` is 200 and a one-token completion succeeds.
    async fn probe_ready(&self) -> Probe {
        if !self.healthy().await {
            return Probe::Loading;
        }
        let body = serde_json::json!({
            "model": self.plan.served_name,
            "prompt": "Hello",
            "max_tokens": 1,
            "temperature": 0,
        });
        let answer = self
            .client
            .post(self.url("/v1/completions"))
            .bearer_auth(self.plan.api_key.expose())
            .json(&body)
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => Probe::Ready,
            _ => Probe::Loading,
        }
    }
}

enum Probe {
    Loading,
    Ready,
}

/// Runs the plan's file steps.
fn prepare(plan: &LaunchPlan) -> Result<(), Failure> {
    let failed = |what: String, error: std::io::Error| Failure {
        kind: FailureKind::ModelFileUnreadable,
        evidence: format!("{what}: {error}"),
        fix: "A file the engine needs could not be prepared: check the model folder.".into(),
    };
    std::fs::create_dir_all(&plan.working_dir)
        .map_err(|e| failed(format!("create {}", plan.working_dir.display()), e))?;
    for step in &plan.prepare {
        match step {
            PrepareStep::Copy { from, to } => {
                if !to.exists() {
                    std::fs::copy(from, to).map_err(|e| {
                        failed(format!("copy {} to {}", from.display(), to.display()), e)
                    })?;
                }
            }
            PrepareStep::Write { path, contents } => {
                std::fs::write(path, contents)
                    .map_err(|e| failed(format!("write {}", path.display()), e))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = SupervisionPolicy::for_engine(EngineKind::Vllm);
        let waits: Vec<u64> = (1..=7).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![10, 20, 40, 80, 160, 300, 300]);
    }
}
