//! `engine_apply_remedy`: a failed engine started again with its remedy's one change. A
//! smaller checkpoint that is not on disk is downloaded first; the engine waits for the
//! download (only the wait still on may start it) and starts when it is done.

use duows_core::engine::{CheckItem, EngineStatus, RemedyChange};

use super::engine_checkpoint::{
    catalog_checkpoint, notify, outcome, problem_now, start_or_join_download,
};
use super::engines::{engine_start, engine_status, start_engine, EngineParams};
use super::launch::prepare_start;
use crate::{ApiError, ApiState, ErrorCode};

/// `engine_apply_remedy`: starts a failed engine again with its remedy's one change made to
/// the parameters it was started with (kept so for later retries), after the same checks
/// as any start. A smaller checkpoint that is not on disk is downloaded first: the engine
/// shows `downloading` with the job, and starts when it is done.
pub async fn engine_apply_remedy(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    let unknown = || {
        ApiError::new(
            ErrorCode::UnknownEngine,
            format!("no engine named `{name}`"),
        )
        .with_field("name")
    };
    let status = engine_status(state)?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(unknown)?;
    let remedy = status.remedy.ok_or_else(|| {
        let fix = status
            .failure
            .map(|f| format!(": {}", f.fix))
            .unwrap_or_default();
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("engine `{name}` has no one-step fix{fix}"),
        )
        .with_field("name")
    })?;
    let mut params = state.engine_params(name).ok_or_else(unknown)?;
    remedy.change.apply(&mut params);
    match remedy.change {
        RemedyChange::Checkpoint { .. } => apply_checkpoint(state, name, params).await,
        _ => engine_start(state, params).await,
    }
}

/// Applies a checkpoint remedy: `params` already name the new checkpoint. Starts at once
/// when its weights are complete; when only the weights are missing, downloads them and
/// starts once the download is done; any other refusal is the answer.
async fn apply_checkpoint(
    state: &ApiState,
    name: &str,
    mut params: EngineParams,
) -> Result<EngineStatus, ApiError> {
    // Named by the catalog's id from here on: the download knows models by it.
    if let Some((model, _)) = catalog_checkpoint(&params) {
        params.model = Some(model.id.clone());
    }
    let prepared = prepare_start(state, &params).await?;
    if prepared.preflight.passed() {
        return engine_start(state, params).await;
    }
    if prepared
        .preflight
        .failures()
        .any(|check| check.item != CheckItem::Weights)
    {
        let refusal = prepared.preflight.refusal().unwrap_or_default();
        return Err(ApiError::new(ErrorCode::PreflightFailed, refusal));
    }
    let (job, owns_job) = start_or_join_download(state, &params).await?;
    let supervisor = state.supervisor()?;
    let Some(wait) = state.begin_pending(&supervisor, name, job.clone(), owns_job) else {
        if owns_job {
            let _ = state.inner.jobs.cancel(&job);
        }
        return Err(ApiError::new(
            ErrorCode::EngineRunning,
            format!("engine `{name}` runs, or already waits for a download"),
        )
        .with_field("name"));
    };
    tokio::spawn(start_when_downloaded(
        state.clone(),
        name.to_owned(),
        wait,
        job,
        params,
    ));
    notify(state);
    engine_status(state)?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::UnknownEngine,
                format!("no engine named `{name}`"),
            )
        })
}

/// Follows download `job` for wait `wait` of engine `name`, and starts the engine with
/// `params` when it is done, unless the wait ended meanwhile (a stop, a removal, another
/// start). The engine shows `downloading` until the start is made or refused.
async fn start_when_downloaded(
    state: ApiState,
    name: String,
    wait: u64,
    job: String,
    params: EngineParams,
) {
    // However this ends, a wait still on afterwards does not stay on.
    let _guard = WaitGuard {
        state: state.clone(),
        name: name.clone(),
        wait,
    };
    let mut changes = state.inner.jobs.changes();
    loop {
        if !state.pending_is(&name, wait) {
            return;
        }
        let now = state.inner.jobs.list().into_iter().find(|j| j.id == job);
        match outcome(now.as_ref(), &job) {
            None => {}
            Some(Some(problem)) => {
                state.end_pending(&name, wait, problem_now(&state, &name, problem));
                notify(&state);
                return;
            }
            Some(None) => {
                if let Err(error) = start_engine(&state, params, Some(wait)).await {
                    // A no-op when the wait ended meanwhile: nothing to say then.
                    let text = format!(
                        "The checkpoint is downloaded, but the start was refused: {}",
                        error.message
                    );
                    state.end_pending(&name, wait, problem_now(&state, &name, text));
                }
                notify(&state);
                return;
            }
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// Ends a wait its waiter left on (it stopped early: the program is stopping, or a fault).
struct WaitGuard {
    state: ApiState,
    name: String,
    wait: u64,
}

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if self.state.pending_is(&self.name, self.wait) {
            let text = "The wait for the download ended early: apply the fix again.".to_owned();
            let problem = problem_now(&self.state, &self.name, text);
            self.state.end_pending(&self.name, self.wait, problem);
            notify(&self.state);
        }
    }
}
