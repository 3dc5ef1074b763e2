//! One supervised engine's life: prepare its files, launch it, wait until it answers a
//! completion, watch its health, and after a failure ask the restart rule whether to back
//! off and start again. A failure is classified from the engine's last log lines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::probe::{healthy, probe_ready, Probe};
use super::restart::{next_step, NextStep};
use super::status::{now_ms, EngineState, EngineStatus, SupervisionPolicy};
use crate::engine::classify::{classify, cpu_fallback_warning, fix_for, Failure, FailureKind};
use crate::engine::log::EngineLog;
use crate::engine::plan::{EngineKind, LaunchPlan, PrepareStep};
use crate::engine::process::{stop_group, EngineLauncher, LaunchError, LineSink};
use crate::engine::remedy::remedy_for;

/// The last lines a failure is classified from: a vLLM traceback with its worker
/// processes' output easily runs past a hundred lines after the line that names the cause.
const CLASSIFY_LINES: usize = 200;

/// A ready engine's health is checked every this many polls.
const HEALTH_EVERY: u32 = 10;

/// How one attempt ended.
enum Outcome {
    /// Asked to stop.
    Stopped,
    /// Failed; `was_ready` tells whether it had served.
    Failed { failure: Failure, was_ready: bool },
}

/// One supervised engine.
pub(super) struct Run {
    /// What to run.
    pub(super) plan: LaunchPlan,
    /// Restart and readiness timing.
    pub(super) policy: SupervisionPolicy,
    /// Starts the process.
    pub(super) launcher: Arc<dyn EngineLauncher>,
    /// For readiness and health checks.
    pub(super) client: reqwest::Client,
    /// The engine's log.
    pub(super) log: Arc<EngineLog>,
    /// The engine's status, for everyone who watches it.
    pub(super) status: watch::Sender<EngineStatus>,
    /// Becomes true when the engine is to stop.
    pub(super) stop: watch::Receiver<bool>,
    /// The supervisor's change counter.
    pub(super) changes: Arc<watch::Sender<u64>>,
    /// A failure from outside that ends the engine (set before `stop`).
    pub(super) abort: Arc<std::sync::Mutex<Option<Failure>>>,
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

    /// Runs the engine until it is stopped or fails for good.
    pub(super) async fn supervise(mut self) {
        let mut restarts = 0u32;
        loop {
            let outcome = self.attempt().await;
            let (failure, was_ready) = match outcome {
                Outcome::Stopped => {
                    let abort = self.abort.lock().unwrap_or_else(|p| p.into_inner()).take();
                    if let Some(failure) = &abort {
                        self.log
                            .line(&format!("[duows] engine failed: {}", failure.evidence));
                    }
                    self.set(|s| {
                        s.state = if abort.is_some() {
                            EngineState::Failed
                        } else {
                            EngineState::Stopped
                        };
                        s.failure = abort.or(s.failure.take());
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
            let wait = match next_step(&failure.kind, was_ready, restarts, &self.policy) {
                NextStep::Fail => {
                    let remedy = remedy_for(&failure, &self.plan.args);
                    self.set(|s| {
                        s.state = EngineState::Failed;
                        s.pid = None;
                        s.remedy = remedy;
                        s.failure = Some(failure);
                        s.next_start_ms = None;
                    });
                    return;
                }
                NextStep::RestartAfter(wait) => wait,
            };
            restarts += 1;
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
        let sink: LineSink = Arc::new(move |line: &str| log.line(line));
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
                match probe_ready(&self.client, &self.plan).await {
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
            } else if healthy(&self.client, &self.plan).await {
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
