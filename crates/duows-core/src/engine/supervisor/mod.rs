//! Runs engines: start, readiness, restarts with backoff, stop; states published as events.
//!
//! Readiness follows how the engines behave: while the process lives, "connection
//! refused" (or a 503) means loading; then the plan's health path answers 200 (vLLM's
//! `/health`; `/v1/models` for llama-cpp-python's server, which has no `/health`);
//! then a real completion request must succeed. Only then is the engine `ready`. A failure
//! is classified from the engine's last log lines. An engine that dies after it was ready
//! is restarted with exponential backoff up to a cap; one that fails to start for a known
//! reason (out of memory, wrong flags, missing program) is not retried: retrying cannot help.
//!
//! - `status`: what an engine's state is and how it is shown ([`EngineStatus`]), the
//!   restart and readiness timing ([`SupervisionPolicy`]), and why a call was refused.
//! - `restart`: the rule that decides, after a failure, between giving up and restarting
//!   after a backoff; a pure function.
//! - `probe`: readiness and health checks over HTTP.
//! - `run`: one supervised engine's life: prepare, launch, wait for ready, watch, restart.
//! - `registry`: the [`Supervisor`], the engines by name and the calls on them.

mod probe;
mod registry;
mod restart;
mod run;
mod status;

pub use registry::Supervisor;
pub use status::{
    now_ms, EngineEndpoint, EngineState, EngineStatus, SupervisionPolicy, SupervisorError,
};
