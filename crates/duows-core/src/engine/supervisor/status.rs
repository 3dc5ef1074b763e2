//! An engine's state as the UI, the command line and the gateway see it, the timing the
//! supervisor follows, and why a supervisor call was refused.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::classify::Failure;
use crate::engine::plan::{EngineKind, PlannedMemory, Secret};
use crate::engine::remedy::Remedy;

/// Where an engine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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

/// What the UI and `duows engine status` show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
    /// The GPU memory the fit planned for it, to hold against what it really uses.
    #[serde(default)]
    pub planned_memory: Option<PlannedMemory>,
    /// Problems of a running engine that do not stop it (e.g. llama.cpp fell back to the CPU).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// For a failed start whose log names what would work: that change, one step away
    /// (`engine_apply_remedy`).
    #[serde(default)]
    pub remedy: Option<Remedy>,
    /// The download job it waits for (state `downloading`) before it starts again with
    /// another checkpoint.
    #[serde(default)]
    pub download_job: Option<String>,
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

/// What the gateway needs to route to an engine: its status and the key it requires.
#[derive(Debug, Clone)]
pub struct EngineEndpoint {
    /// The engine's status (name = served model name, base URL, state).
    pub status: EngineStatus,
    /// The key the engine requires; only the gateway sends it.
    pub api_key: Secret,
}

/// Milliseconds since the epoch, the clock of `EngineStatus` times.
pub fn now_ms() -> u64 {
    duows_base::clock::now_ms()
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
