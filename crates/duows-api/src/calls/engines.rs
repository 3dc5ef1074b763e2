//! The engine calls: the engines this program runs (start after the pre-start checks,
//! status, stop, logs, retry, remove). Engines live as long as the program that started them.

use duows_core::engine::{
    self, EngineState, EngineStatus, FailureKind, SupervisionPolicy, SupervisorError,
};

use super::launch::prepare_start;
use crate::{ApiError, ApiState, ErrorCode};

/// Parameters of `engine_start` and `engine_plan` (the core's launch request).
pub type EngineParams = duows_core::engine::launch::LaunchRequest;

/// `engine_plan`'s parameters.
pub type EnginePlanParams = EngineParams;
/// `engine_start`'s parameters.
pub type EngineStartParams = EngineParams;

/// `engine_start`: checks what the start needs (engine installed, weights complete, real
/// GPUs, memory), then starts and supervises the engine; answers at once with its first
/// status. A failed check refuses the start with every reason and its fix.
pub async fn engine_start(
    state: &ApiState,
    params: EngineParams,
) -> Result<EngineStatus, ApiError> {
    if params.gpus.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "an engine starts on this machine's GPUs; `gpus` is for plans only",
        )
        .with_field("gpus"));
    }
    let prepared = prepare_start(state, &params).await?;
    if let Some(refusal) = prepared.preflight.refusal() {
        return Err(ApiError::new(ErrorCode::PreflightFailed, refusal));
    }
    let plan = prepared.plan;
    let name = plan.served_name.clone();
    let policy = SupervisionPolicy::for_engine(plan.kind);
    let status = state
        .supervisor()?
        .start(plan, policy)
        .map_err(supervisor_error)?;
    state.remember_engine_params(&name, params);
    let first = status.borrow().clone();
    Ok(first)
}

/// `engine_retry`: starts a failed or stopped engine again with the parameters it was
/// started with (checked again first, so a finished install or download counts).
pub async fn engine_retry(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    let params = state.engine_params(name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownEngine,
            format!("no engine named `{name}`"),
        )
        .with_field("name")
    })?;
    engine_start(state, params).await
}

/// `engine_remove`: forgets a stopped or failed engine (its log file stays).
pub fn engine_remove(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    let removed = state.supervisor()?.remove(name).map_err(supervisor_error)?;
    state.forget_engine_params(name);
    Ok(removed)
}

/// `engine_status`: every engine this program runs.
pub fn engine_status(state: &ApiState) -> Result<Vec<EngineStatus>, ApiError> {
    let mut statuses = state.supervisor()?.statuses();
    for status in &mut statuses {
        refresh_failure(state, status);
    }
    Ok(statuses)
}

/// A failure that said "not installed" is out of date once the engine is installed: say
/// so, and that a retry will find it.
fn refresh_failure(state: &ApiState, status: &mut EngineStatus) {
    if status.state != EngineState::Failed {
        return;
    }
    let Some(failure) = status.failure.as_mut() else {
        return;
    };
    if failure.kind != FailureKind::ExecutableMissing {
        return;
    }
    let root = state.data_dir().root();
    let installed = match status.kind {
        engine::EngineKind::Vllm => engine::installed::locate_vllm(root).1 != "not found",
        engine::EngineKind::LlamaCpp => engine::installed::locate_llama_cpp_python(root).exists(),
    };
    if installed {
        failure.fix = "The engine is installed now: retry the start.".into();
    }
}

/// `engine_stop`: stops an engine and waits until no process of it is left.
pub async fn engine_stop(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    state
        .supervisor()?
        .stop(name)
        .await
        .map_err(supervisor_error)
}

/// `engine_logs`: the last `lines` lines an engine printed.
pub fn engine_logs(
    state: &ApiState,
    name: &str,
    lines: Option<usize>,
) -> Result<Vec<String>, ApiError> {
    let lines = lines
        .unwrap_or(200)
        .min(duows_core::engine::log::TAIL_LINES);
    state
        .supervisor()?
        .logs(name, lines)
        .map_err(supervisor_error)
}

fn supervisor_error(error: SupervisorError) -> ApiError {
    match error {
        SupervisorError::NameTaken(_) => {
            ApiError::new(ErrorCode::EngineExists, error.to_string()).with_field("name")
        }
        SupervisorError::Unknown(_) => {
            ApiError::new(ErrorCode::UnknownEngine, error.to_string()).with_field("name")
        }
        SupervisorError::StillRunning(_) => {
            ApiError::new(ErrorCode::EngineRunning, error.to_string()).with_field("name")
        }
    }
}
