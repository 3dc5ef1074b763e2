//! "Use the AWQ checkpoint": the smaller checkpoint offered after a vLLM start ran out of
//! memory, chosen when the start is made from the catalog model's checkpoints that the fit
//! says fit this machine with the same parameters; how an engine that waits for its
//! download is shown (`downloading` with the job), and how a stop or removal ends the
//! wait. Applying it is `engine_remedy`'s.

use duows_core::catalog::{Catalog, Model, Variant};
use duows_core::engine::download::bytes_in_cache;
use duows_core::engine::launch::weights_to_serve;
use duows_core::engine::launch::LaunchRequest as EngineParams;
use duows_core::engine::preflight::WeightsFacts;
use duows_core::engine::remedy::{smaller_checkpoint, wants_smaller_weights};
use duows_core::engine::{EngineState, EngineStatus, Remedy};
use duows_core::jobs::{JobState, JobStatus};

use super::jobs::{model_download, DownloadParams};
use super::planning::{fit, FitParams};
use crate::engine_records::{EngineRecord, PendingStart, Problem};
use crate::{ApiError, ApiState, ErrorCode};

/// The catalog model and checkpoint a vLLM start of `params` serves, when it is one of
/// the catalog's (not a GGUF file, not a folder of the user's own, not a plan).
pub(crate) fn catalog_checkpoint(
    params: &EngineParams,
) -> Option<(&'static Model, &'static Variant)> {
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
                variant: Some(variant.name.clone()),
                gpus: None,
                ..FitParams::for_start(params)
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
                // A download stopped part-way goes on where it stopped.
                let missing = v
                    .weight_bytes
                    .saturating_sub(bytes_in_cache(&models_dir, &v.repo));
                (v.name.clone(), if present { 0 } else { missing })
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
/// for a download (and the start after it) shows as `downloading` with the job; a failure
/// out of memory offers the smaller checkpoint; a problem on the way to the start is the
/// failure's fix.
pub(crate) fn overlay(status: &mut EngineStatus, record: &EngineRecord) {
    if !matches!(status.state, EngineState::Failed | EngineState::Stopped) {
        return;
    }
    if let Some(pending) = &record.pending {
        status.state = EngineState::Downloading;
        status.download_job = Some(pending.job.clone());
        status.remedy = None;
        return;
    }
    if let Some(failure) = status.failure.as_mut() {
        if let Some(problem) = record
            .problem
            .as_ref()
            .filter(|p| p.failure_since_ms == status.since_ms)
        {
            failure.fix.clone_from(&problem.text);
        }
        if status.remedy.is_none() && wants_smaller_weights(failure) {
            status.remedy.clone_from(&record.smaller_checkpoint);
        }
    }
}

/// Ends a wait that was taken from an engine's record (a stop or a removal): the download is
/// cancelled when the wait started it (what was fetched is kept).
pub(crate) fn end_wait(state: &ApiState, pending: Option<PendingStart>) {
    if let Some(pending) = pending {
        if pending.owns_job {
            let _ = state.inner.jobs.cancel(&pending.job);
        }
        notify(state);
    }
}

/// `text` as the problem of the failure engine `name` is in now.
pub(crate) fn problem_now(state: &ApiState, name: &str, text: String) -> Option<Problem> {
    let since = state
        .supervisor()
        .ok()?
        .statuses()
        .into_iter()
        .find(|s| s.name == name)?
        .since_ms;
    Some(Problem {
        failure_since_ms: since,
        text,
    })
}

/// The download job of the checkpoint `params` name, and whether it is new (not one already
/// running for it).
pub(crate) async fn start_or_join_download(
    state: &ApiState,
    params: &EngineParams,
) -> Result<(String, bool), ApiError> {
    let request = DownloadParams {
        model: params.model.clone().unwrap_or_default(),
        variant: params.variant.clone(),
        revision: None,
        token: None,
        remember_token: None,
        gguf: None,
    };
    match model_download(state, request.clone()).await {
        Ok(job) => Ok((job.id, true)),
        Err(error) if error.code == ErrorCode::JobRunning => {
            let Some(id) = catalog_checkpoint(params).map(|(_, v)| format!("download-{}", v.repo))
            else {
                return Err(error);
            };
            if !state.inner.jobs.cancelling(&id) {
                return Ok((id, false));
            }
            // A download being cancelled (a wait just stopped) is not joined: once it has
            // ended, a new one goes on where it stopped.
            let mut changes = state.inner.jobs.changes();
            let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
                while state.inner.jobs.cancelling(&id) {
                    if changes.changed().await.is_err() {
                        break;
                    }
                }
            })
            .await;
            if ended.is_err() {
                return Err(error);
            }
            model_download(state, request)
                .await
                .map(|job| (job.id, true))
        }
        Err(error) => Err(error),
    }
}

pub(crate) fn notify(state: &ApiState) {
    if let Ok(supervisor) = state.supervisor() {
        supervisor.notify_changed();
    }
}

/// What the download's state means for the wait: `None` while it runs, `Some(None)` when
/// it is done, `Some(Some(problem))` when it stopped without the weights.
pub(crate) fn outcome(job: Option<&JobStatus>, id: &str) -> Option<Option<String>> {
    let Some(job) = job else {
        return Some(Some(format!(
            "The download `{id}` is gone: apply the fix again."
        )));
    };
    let again = "apply the fix again to go on where it stopped";
    match job.state {
        JobState::Running => None,
        JobState::Done => Some(None),
        JobState::Cancelled => Some(Some(format!(
            "The download of {} was cancelled: {again}.",
            job.target
        ))),
        JobState::Failed => {
            let (reason, fix) = match &job.error {
                Some(error) if error.field.as_deref() == Some("token") => (
                    error.message.trim_end_matches('.'),
                    "enter a Hugging Face token under Download weights, tick Remember the token, then apply the fix again",
                ),
                Some(error) => (error.message.trim_end_matches('.'), again),
                None => ("no reason given", again),
            };
            Some(Some(format!(
                "The download of {} stopped: {reason}. To go on, {fix}.",
                job.target
            )))
        }
    }
}
