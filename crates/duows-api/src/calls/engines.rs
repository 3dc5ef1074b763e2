//! The engine calls: the engines this program runs (start after the pre-start checks,
//! status, stop, logs, retry, remove). Engines live as long as the program that started them.

use duows_core::engine::{
    self, EngineState, EngineStatus, FailureKind, SupervisionPolicy, SupervisorError,
};

use duows_core::jobs::{JobState, JobStatus};

use super::engine_checkpoint;
use super::launch::prepare_start;
use crate::engine_records::EngineRecord;
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
    start_engine(state, params, None).await
}

/// A start; with `wait`, the start a download waited for, made only while that wait is
/// still on (a stop, a removal or another start ends it). Without, an engine that waits for
/// a download is refused like one that runs.
pub(crate) async fn start_engine(
    state: &ApiState,
    params: EngineParams,
    wait: Option<u64>,
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
    // Chosen now, on this machine, so a failure out of memory can offer it at once.
    let smaller = engine_checkpoint::offer_for_start(state, &params).await;
    let plan = prepared.plan;
    let name = plan.served_name.clone();
    let policy = SupervisionPolicy::for_engine(plan.kind);
    let supervisor = state.supervisor()?;
    // The check of the wait and the start in one step: a stop or removal between them
    // would otherwise be lost.
    let mut records = state.engine_records();
    let waiting = records
        .get(&name)
        .and_then(|r| r.pending.as_ref())
        .map(|p| p.id);
    if waiting != wait {
        let message = match wait {
            Some(_) => format!("engine `{name}` no longer waits for that download"),
            None => format!("engine `{name}` waits for a download before it starts: stop it first"),
        };
        return Err(ApiError::new(ErrorCode::EngineExists, message).with_field("name"));
    }
    let status = supervisor.start(plan, policy).map_err(supervisor_error)?;
    records.insert(
        name,
        EngineRecord {
            params,
            smaller_checkpoint: smaller,
            ..EngineRecord::default()
        },
    );
    drop(records);
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

/// `engine_remove`: forgets a stopped or failed engine (its log file stays); one waiting
/// for a download stops waiting first, as on `engine_stop`.
pub fn engine_remove(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    let removed = state.supervisor()?.remove(name).map_err(supervisor_error)?;
    engine_checkpoint::end_wait(state, state.forget_engine(name));
    Ok(removed)
}

/// `engine_status`: every engine this program runs.
pub fn engine_status(state: &ApiState) -> Result<Vec<EngineStatus>, ApiError> {
    let mut statuses = state.supervisor()?.statuses();
    for status in &mut statuses {
        refresh_failure(state, status);
        if let Some(record) = state.engine_record(&status.name) {
            engine_checkpoint::overlay(status, &record);
        }
    }
    Ok(statuses)
}

/// Every engine as `engine_status` shows it, without making the supervisor (none when no
/// engine was ever started): for the views that summarise engines (setup, doctor).
pub(crate) fn existing_engine_statuses(state: &ApiState) -> Vec<EngineStatus> {
    if state.existing_supervisor().is_none() {
        return Vec::new();
    }
    engine_status(state).unwrap_or_default()
}

/// A failure that said "not installed" is out of date once an install of that engine
/// finished after it: say so, and that a retry will find it.
fn refresh_failure(state: &ApiState, status: &mut EngineStatus) {
    let jobs = state.inner.jobs.list();
    if let Some(fix) = installed_since_fix(status, &jobs) {
        if let Some(failure) = status.failure.as_mut() {
            failure.fix = fix;
        }
    }
}

/// The fix to show instead, when `status` failed for a missing engine that a finished
/// install job has provided since.
fn installed_since_fix(status: &EngineStatus, jobs: &[JobStatus]) -> Option<String> {
    let failure = status.failure.as_ref()?;
    if status.state != EngineState::Failed || failure.kind != FailureKind::ExecutableMissing {
        return None;
    }
    let (job, engine) = match status.kind {
        engine::EngineKind::Vllm => ("install-vllm", "vLLM"),
        engine::EngineKind::LlamaCpp => ("install-llama_cpp", "llama.cpp's server"),
    };
    jobs.iter()
        .any(|j| {
            j.id == job
                && j.state == JobState::Done
                && j.finished_ms.is_some_and(|t| t >= status.since_ms)
        })
        .then(|| format!("{engine} was installed since: retry the start."))
}

/// `engine_stop`: stops an engine and waits until no process of it is left; one waiting
/// for a download to start stops waiting, and the download is cancelled (what was fetched
/// is kept for next time).
pub async fn engine_stop(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    engine_checkpoint::end_wait(state, state.take_pending(name));
    let mut stopped = state
        .supervisor()?
        .stop(name)
        .await
        .map_err(supervisor_error)?;
    if let Some(record) = state.engine_record(name) {
        engine_checkpoint::overlay(&mut stopped, &record);
    }
    Ok(stopped)
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

#[cfg(test)]
mod tests {
    use super::*;
    use duows_core::engine::{EngineKind, Failure};
    use duows_core::jobs::JobKind;

    fn failed(kind: EngineKind, since_ms: u64) -> EngineStatus {
        EngineStatus {
            name: "e".into(),
            kind,
            state: EngineState::Failed,
            pid: None,
            base_url: String::new(),
            restarts: 0,
            since_ms,
            failure: Some(Failure {
                kind: FailureKind::ExecutableMissing,
                evidence: "No module named 'llama_cpp'".into(),
                fix: "The engine is not installed: install it first.".into(),
            }),
            next_start_ms: None,
            command_line: String::new(),
            log_path: Default::default(),
            planned_memory: None,
            warnings: Vec::new(),
            remedy: None,
            download_job: None,
        }
    }

    fn install(id: &str, state: JobState, finished_ms: Option<u64>) -> JobStatus {
        JobStatus {
            id: id.into(),
            kind: JobKind::Install,
            target: String::new(),
            state,
            percent: None,
            install: None,
            download: None,
            result: None,
            error: None,
            finished_ms,
        }
    }

    #[test]
    fn not_installed_says_so_only_until_an_install_of_that_engine_finished() {
        let status = failed(EngineKind::LlamaCpp, 1_000);
        assert_eq!(installed_since_fix(&status, &[]), None);
        let before = [install("install-llama_cpp", JobState::Done, Some(500))];
        assert_eq!(
            installed_since_fix(&status, &before),
            None,
            "an older install"
        );
        let running = [install("install-llama_cpp", JobState::Running, None)];
        assert_eq!(installed_since_fix(&status, &running), None);
        let other = [install("install-vllm", JobState::Done, Some(2_000))];
        assert_eq!(installed_since_fix(&status, &other), None, "another engine");
        let done = [install("install-llama_cpp", JobState::Done, Some(2_000))];
        assert_eq!(
            installed_since_fix(&status, &done).as_deref(),
            Some("llama.cpp's server was installed since: retry the start.")
        );
    }
}
