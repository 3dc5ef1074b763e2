//! "Use the AWQ checkpoint": the smaller checkpoint offered after a vLLM start ran out of
//! memory. It is chosen when the start is made, from the catalog model's checkpoints that
//! the fit says fit this machine with the same parameters; applied in one step, it is
//! downloaded first when it is not complete on disk (the engine shows `downloading` with
//! the job), and the engine starts with it once the download is done.

use duows_core::catalog::{Catalog, Model, Variant};
use duows_core::engine::launch::weights_to_serve;
use duows_core::engine::preflight::WeightsFacts;
use duows_core::engine::remedy::{smaller_checkpoint, wants_smaller_weights};
use duows_core::engine::{CheckItem, EngineState, EngineStatus, Remedy};
use duows_core::jobs::{JobState, JobStatus};

use super::engines::{engine_start, EngineParams};
use super::jobs::{model_download, DownloadParams};
use super::launch::prepare_start;
use super::planning::{fit, FitParams};
use crate::state::EngineRecord;
use crate::{ApiError, ApiState, ErrorCode};

/// The catalog model and checkpoint a vLLM start of `params` serves, when it is one of
/// the catalog's (not a GGUF file, not a folder of the user's own, not a plan).
fn catalog_checkpoint(params: &EngineParams) -> Option<(&'static Model, &'static Variant)> {
    if params.gguf.is_some() || params.model_dir.is_some() || params.gpus.is_some() {
        return None;
    }
    let catalog = Catalog::builtin().ok()?;
    let id = params.model.as_deref()?;
    match catalog.model(id) {
        Some(model) => Some((model, model.variant(params.variant.as_deref())?)),
        None => {
            let (model, own) = catalog.checkpoint(id)?;
            let named = params.variant.as_deref().unwrap_or(&own.name);
            Some((model, model.variant(Some(named))?))
        }
    }
}

/// The smaller checkpoint to offer if a start of `params` runs out of memory: the largest
/// of the model's smaller checkpoints that fits this machine with the same context,
/// concurrency and memory share, with what it still needs from the hub.
pub(crate) async fn offer_for_start(state: &ApiState, params: &EngineParams) -> Option<Remedy> {
    let (model, current) = catalog_checkpoint(params)?;
    let mut fitting = Vec::new();
    for variant in model
        .variants
        .iter()
        .filter(|v| v.weight_bytes < current.weight_bytes)
    {
        let fitted = fit(
            state,
            FitParams {
                model: Some(model.id.clone()),
                config: None,
                variant: Some(variant.name.clone()),
                gpus: None,
                context: params.context,
                concurrency: params.concurrency,
                tensor_parallel_size: params.tensor_parallel_size,
                gpu_memory_utilization: params.gpu_memory_utilization,
                constants: None,
                nodes: None,
            },
        )
        .await;
        if fitted.is_ok_and(|f| f.fits) {
            fitting.push(variant.name.clone());
        }
    }
    let models_dir = state.models_dir();
    let missing: Vec<(String, u64)> = super::blocking(move || {
        Ok(model
            .variants
            .iter()
            .map(|v| {
                let present = matches!(
                    weights_to_serve(&model.id, v, None, &models_dir),
                    Ok((_, WeightsFacts::Present { .. }))
                );
                (v.name.clone(), if present { 0 } else { v.weight_bytes })
            })
            .collect())
    })
    .await
    .ok()?;
    smaller_checkpoint(
        model,
        current,
        |v| fitting.contains(&v.name),
        |v| {
            missing
                .iter()
                .find(|(name, _)| *name == v.name)
                .map_or(v.weight_bytes, |(_, bytes)| *bytes)
        },
    )
}

/// `status` as the API shows it with what this program keeps about the engine: waiting
/// for a download shows as `downloading` with the job; a failure out of memory offers the
/// smaller checkpoint; a problem on the way to the start is the failure's fix.
pub(crate) fn overlay(status: &mut EngineStatus, record: &EngineRecord) {
    if !matches!(status.state, EngineState::Failed | EngineState::Stopped) {
        return;
    }
    if let Some(job) = &record.waiting_for {
        status.state = EngineState::Downloading;
        status.download_job = Some(job.clone());
        status.remedy = None;
        return;
    }
    if let Some(failure) = status.failure.as_mut() {
        if let Some(problem) = &record.problem {
            failure.fix.clone_from(problem);
        }
        if status.remedy.is_none() && wants_smaller_weights(failure) {
            status.remedy.clone_from(&record.smaller_checkpoint);
        }
    }
}

/// Applies a checkpoint remedy: `params` already name the new checkpoint. Starts at once
/// when its weights are complete; when only the weights are missing, downloads them and
/// starts once the download is done; any other refusal is the answer.
pub(crate) async fn apply(
    state: &ApiState,
    name: &str,
    params: EngineParams,
) -> Result<EngineStatus, ApiError> {
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
    let job = start_or_join_download(state, &params).await?;
    state.update_engine_record(name, |record| {
        record.params = params.clone();
        record.waiting_for = Some(job.clone());
        record.problem = None;
    });
    let supervisor = state.supervisor()?;
    supervisor.notify_changed();
    tokio::spawn(start_when_downloaded(
        state.clone(),
        name.to_owned(),
        job,
        params,
    ));
    let mut status = supervisor
        .statuses()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::UnknownEngine,
                format!("no engine named `{name}`"),
            )
        })?;
    if let Some(record) = state.engine_record(name) {
        overlay(&mut status, &record);
    }
    Ok(status)
}

/// The download job of the checkpoint `params` name: a new one, or the one already
/// running for it.
async fn start_or_join_download(
    state: &ApiState,
    params: &EngineParams,
) -> Result<String, ApiError> {
    let model = params.model.clone().unwrap_or_default();
    let request = DownloadParams {
        model,
        variant: params.variant.clone(),
        revision: None,
        token: None,
        remember_token: None,
        gguf: None,
    };
    match model_download(state, request).await {
        Ok(job) => Ok(job.id),
        Err(error) if error.code == ErrorCode::JobRunning => {
            let repo = catalog_checkpoint(params).map(|(_, v)| v.repo.clone());
            let id = repo.map(|repo| format!("download-{repo}"));
            match id {
                Some(id) if state.inner.jobs.list().iter().any(|j| j.id == id) => Ok(id),
                _ => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// Follows download `job` and starts engine `name` with `params` when it is done, unless
/// the engine was removed, stopped or started otherwise meanwhile.
async fn start_when_downloaded(state: ApiState, name: String, job: String, params: EngineParams) {
    let mut changes = state.inner.jobs.changes();
    loop {
        let still_waiting = state
            .engine_record(&name)
            .is_some_and(|r| r.waiting_for.as_deref() == Some(job.as_str()));
        if !still_waiting {
            return;
        }
        let now = state.inner.jobs.list().into_iter().find(|j| j.id == job);
        match outcome(now.as_ref(), &job) {
            None => {}
            Some(Some(problem)) => {
                state.update_engine_record(&name, |record| {
                    record.waiting_for = None;
                    record.problem = Some(problem);
                });
                notify(&state);
                return;
            }
            Some(None) => {
                state.update_engine_record(&name, |record| record.waiting_for = None);
                if let Err(error) = engine_start(&state, params).await {
                    state.update_engine_record(&name, |record| {
                        record.problem = Some(format!(
                            "The checkpoint is downloaded, but the start was refused: {}",
                            error.message
                        ));
                    });
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

fn notify(state: &ApiState) {
    if let Ok(supervisor) = state.supervisor() {
        supervisor.notify_changed();
    }
}

/// What the download's state means for the wait: `None` while it runs, `Some(None)` when
/// it is done, `Some(Some(problem))` when it stopped without the weights.
fn outcome(job: Option<&JobStatus>, id: &str) -> Option<Option<String>> {
    let Some(job) = job else {
        return Some(Some(format!(
            "The download `{id}` is gone: apply the fix again."
        )));
    };
    match job.state {
        JobState::Running => None,
        JobState::Done => Some(None),
        JobState::Cancelled => Some(Some(format!(
            "The download of {} was cancelled: apply the fix again to go on where it stopped.",
            job.target
        ))),
        JobState::Failed => Some(Some(format!(
            "The download of {} stopped: {}. Apply the fix again to go on where it stopped.",
            job.target,
            job.error
                .as_ref()
                .map_or_else(|| "no reason given".to_owned(), |e| e.message.clone())
        ))),
    }
}
