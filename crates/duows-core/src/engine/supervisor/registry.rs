//! The [`Supervisor`]: engines by name, each run by its own task; start, stop, remove,
//! and read their statuses, keys and logs. Every change bumps one counter that the
//! gateway's routes and the live views follow.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::run::Run;
use super::status::{
    now_ms, EngineEndpoint, EngineState, EngineStatus, SupervisionPolicy, SupervisorError,
};
use crate::engine::classify::Failure;
use crate::engine::log::EngineLog;
use crate::engine::plan::{LaunchPlan, Secret};
use crate::engine::process::EngineLauncher;

struct Handle {
    status: watch::Receiver<EngineStatus>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    log: Arc<EngineLog>,
    api_key: Secret,
    /// Set before a stop that is a failure from outside (a node of its cluster dropped).
    abort: Arc<Mutex<Option<Failure>>>,
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

    /// Tells the followers of [`Self::changes`] that what they show of an engine changed
    /// outside the supervisor (a start that waits for a download).
    pub fn notify_changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
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
            planned_memory: plan.planned_memory.clone(),
            warnings: Vec::new(),
            remedy: None,
            download_job: None,
        };
        let api_key = plan.api_key.clone();
        let (status_tx, status_rx) = watch::channel(status);
        let (stop_tx, stop_rx) = watch::channel(false);
        let abort = Arc::new(Mutex::new(None));
        let run = Run {
            abort: Arc::clone(&abort),
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
                abort,
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

    /// Stops an engine because something outside it failed (a node of its cluster
    /// dropped): it ends `failed` with `failure`, not `stopped`, and is not restarted.
    pub async fn fail(
        &self,
        name: &str,
        failure: Failure,
    ) -> Result<EngineStatus, SupervisorError> {
        {
            let engines = self.engines();
            let handle = engines
                .get(name)
                .ok_or_else(|| SupervisorError::Unknown(name.to_owned()))?;
            *handle.abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
        }
        self.stop(name).await
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
