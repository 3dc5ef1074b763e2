//! The job calls: installs and downloads (`duows_core::jobs`) started, listed and cancelled.
//! The core checks the request and runs the job; here its refusals become API errors.

use duows_core::engine::Secret;
use duows_core::jobs::{DownloadJob, InstallJob, JobStartError};
use duows_core::secrets::SecretName;
use serde::{Deserialize, Serialize};

pub use duows_core::jobs::{JobFailure, JobKind, JobState, JobStatus};

use crate::{ApiError, ApiState, ErrorCode};

/// Names a job (body of `job_cancel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct JobRef {
    /// The job's id.
    pub id: String,
}

/// Body of `engine_install`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct InstallParams {
    /// `vllm` or `llama_cpp`.
    pub engine: String,
    /// vLLM only: the catalog model it must serve, which picks the release (the oldest the
    /// app installs that serves it). Without one, the newest release.
    #[serde(default)]
    #[ts(optional)]
    pub model: Option<String>,
}

/// Body of `model_download`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct DownloadParams {
    /// Catalog id or Hugging Face repo id.
    pub model: String,
    /// Checkpoint (default: the model's own).
    #[serde(default)]
    pub variant: Option<String>,
    /// Branch, tag or commit (default `main`).
    #[serde(default)]
    pub revision: Option<String>,
    /// Hugging Face token for gated models; never shown. Without it, the one remembered in
    /// the secret store, else the program's `HF_TOKEN`, is used.
    #[serde(default)]
    pub token: Option<Secret>,
    /// Keep the given token in the secret store for later downloads.
    #[serde(default)]
    pub remember_token: Option<bool>,
    /// The model's GGUF file of this quantization (`Q4_K_M`) for llama.cpp's server,
    /// instead of the checkpoint vLLM serves.
    #[serde(default)]
    pub gguf: Option<String>,
}

/// `jobs`: every install and download of this program, newest state.
pub fn jobs(state: &ApiState) -> Vec<JobStatus> {
    state.inner.jobs.list()
}

/// `job_cancel`: asks a running job to stop.
pub fn job_cancel(state: &ApiState, id: &str) -> Result<JobStatus, ApiError> {
    state.inner.jobs.cancel(id).map_err(job_error)
}

/// `engine_install`: installs vLLM (at the release `model` needs) or llama.cpp's server into
/// the app's own environment.
pub fn engine_install(state: &ApiState, params: InstallParams) -> Result<JobStatus, ApiError> {
    let job = InstallJob {
        engine: params.engine,
        model: params.model,
    };
    state
        .inner
        .jobs
        .start_install(&job, state.data_dir().root())
        .map_err(job_error)
}

/// `model_download`: fetches a catalog model's weights into the models folder. Off the
/// async workers: the remembered token comes from the secret service (a D-Bus call).
pub async fn model_download(
    state: &ApiState,
    params: DownloadParams,
) -> Result<JobStatus, ApiError> {
    let state = state.clone();
    super::blocking(move || model_download_now(&state, params)).await
}

fn model_download_now(state: &ApiState, params: DownloadParams) -> Result<JobStatus, ApiError> {
    let secrets = state.secrets();
    let given = params.token.filter(|t| !t.expose().trim().is_empty());
    if let (Some(token), Some(true)) = (&given, params.remember_token) {
        secrets
            .set(&SecretName::HuggingFaceToken, token)
            .map_err(ApiError::from)?;
    }
    let token = match given {
        Some(token) => Some(token),
        None => secrets
            .get(&SecretName::HuggingFaceToken)
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "the remembered Hugging Face token cannot be read");
                None
            }),
    };
    let job = DownloadJob {
        model: params.model,
        variant: params.variant,
        revision: params.revision,
        token,
        gguf: params.gguf,
    };
    state
        .inner
        .jobs
        .start_download(&job, &state.models_dir())
        .map_err(job_error)
}

fn job_error(error: JobStartError) -> ApiError {
    let code = match &error {
        JobStartError::NotInstallable(_) => ErrorCode::NotInstallable,
        JobStartError::UnknownModel(_) => ErrorCode::UnknownModel,
        JobStartError::ModelNotInstallable(_) => ErrorCode::InvalidParameter,
        JobStartError::UnknownVariant { .. } | JobStartError::UnknownGguf { .. } => {
            ErrorCode::UnknownVariant
        }
        JobStartError::InvalidRevision => ErrorCode::InvalidRevision,
        JobStartError::Running(_) => ErrorCode::JobRunning,
        JobStartError::UnknownJob(_) => ErrorCode::UnknownJob,
        JobStartError::Internal(_) => ErrorCode::Internal,
    };
    let field = error.field();
    let api = ApiError::new(code, error.to_string());
    match field {
        Some(field) => api.with_field(field),
        None => api,
    }
}
