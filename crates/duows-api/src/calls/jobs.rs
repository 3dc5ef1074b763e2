//! Long work the user watches: installing an engine and downloading a model's weights.
//! Each runs as one job with live progress, can be cancelled, and stays listed with its
//! outcome until the program ends. Starting the same job twice while it runs is refused.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use duows_core::catalog::Catalog;
use duows_core::engine::download::{download, vllm_files, DownloadProgress, DownloadRequest};
use duows_core::engine::install::{install, InstallProgress, InstallSpec};
use duows_core::engine::{ProcessLauncher, Secret};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::{ApiError, ApiState};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Installing an engine.
    Install,
    /// Downloading weights.
    Download,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Working.
    Running,
    /// Finished.
    Done,
    /// Ended with an error.
    Failed,
    /// Stopped by the user; what was fetched is kept for next time.
    Cancelled,
}

/// One job as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// `install-vllm`, `install-llama_cpp`, `download-<repo>`.
    pub id: String,
    /// What it does.
    pub kind: JobKind,
    /// The engine or repository.
    pub target: String,
    /// Where it is.
    pub state: JobState,
    /// Overall percentage, when known.
    pub percent: Option<f64>,
    /// Install progress (install jobs).
    pub install: Option<InstallProgress>,
    /// Download progress (download jobs).
    pub download: Option<DownloadProgress>,
    /// What it produced: the installed version, or the model folder.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The jobs of this program.
#[derive(Default)]
pub(crate) struct Jobs {
    jobs: Mutex<BTreeMap<String, Job>>,
}

/// A new job's shared status and its cancel signal.
type Started = (Arc<Mutex<JobStatus>>, watch::Receiver<bool>);

struct Job {
    status: Arc<Mutex<JobStatus>>,
    cancel: watch::Sender<bool>,
}

/// Names a job (body of `job_cancel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRef {
    /// The job's id.
    pub id: String,
}

/// Body of `engine_install`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallParams {
    /// `vllm` or `llama_cpp`.
    pub engine: String,
}

/// Body of `model_download`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
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
    /// Hugging Face token for gated models; used for this download only, never stored
    /// or shown. Without it, the program's `HF_TOKEN` is used when set.
    #[serde(default)]
    pub token: Option<Secret>,
}

/// `jobs`: every install and download of this program, newest state.
pub fn jobs(state: &ApiState) -> Vec<JobStatus> {
    let jobs = state.inner.jobs.lock();
    jobs.values()
        .map(|job| job.status.lock().unwrap_or_else(|p| p.into_inner()).clone())
        .collect()
}

/// `job_cancel`: asks a running job to stop.
pub fn job_cancel(state: &ApiState, id: &str) -> Result<JobStatus, ApiError> {
    let jobs = state.inner.jobs.lock();
    let job = jobs.get(id).ok_or_else(|| {
        ApiError::new(404, "unknown_job", format!("there is no job `{id}`")).with_field("id")
    })?;
    job.cancel.send_replace(true);
    let status = job.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(status)
}

/// `engine_install`: installs vLLM or llama.cpp's server into the app's own environment.
pub fn engine_install(state: &ApiState, params: InstallParams) -> Result<JobStatus, ApiError> {
    let root = state.data_dir().root().to_path_buf();
    let spec = match params.engine.as_str() {
        "vllm" => InstallSpec::vllm(&root),
        "llama_cpp" => InstallSpec::llama_cpp(&root),
        other => {
            return Err(ApiError::new(
                400,
                "unknown_engine",
                format!("`{other}` is not an engine this app installs: use `vllm` or `llama_cpp`"),
            )
            .with_field("engine"))
        }
    };
    let launcher = ProcessLauncher::new()
        .map_err(|e| ApiError::internal(format!("cannot start the installer: {e}")))?;
    let id = format!("install-{}", params.engine);
    let (status, cancel) = state
        .inner
        .jobs
        .begin(id.clone(), JobKind::Install, params.engine)?;
    let (progress, watch_progress) = watch::channel(InstallProgress::default());
    follow(&status, watch_progress, |s, p: &InstallProgress| {
        s.percent = p.percent();
        s.install = Some(p.clone());
    });
    tokio::spawn(async move {
        let result = install(&spec, &launcher, &progress, cancel).await;
        finish(&status, result.map(|installed| installed.version), |e| {
            matches!(e, duows_core::engine::install::InstallError::Cancelled)
        });
    });
    Ok(state.inner.jobs.status(&id))
}

/// `model_download`: fetches a catalog model's weights into the models folder.
pub fn model_download(state: &ApiState, params: DownloadParams) -> Result<JobStatus, ApiError> {
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let model = catalog.model(&params.model).ok_or_else(|| {
        ApiError::new(
            404,
            "unknown_model",
            format!("`{}` is not in the catalog", params.model),
        )
        .with_field("model")
    })?;
    let variant = model.variant(params.variant.as_deref()).ok_or_else(|| {
        ApiError::new(
            400,
            "unknown_variant",
            format!(
                "{} has no checkpoint `{}`",
                model.name,
                params.variant.as_deref().unwrap_or("")
            ),
        )
        .with_field("variant")
    })?;
    let revision = params.revision.unwrap_or_else(|| "main".into());
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
    if revision.is_empty()
        || revision.len() > 200
        || !revision.chars().all(plain)
        || revision.contains("..")
    {
        return Err(ApiError::new(
            400,
            "invalid_revision",
            "revision must be a branch, tag or commit id",
        )
        .with_field("revision"));
    }
    let token = params
        .token
        .filter(|t| !t.expose().trim().is_empty())
        .or_else(|| {
            std::env::var("HF_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .map(Secret::new)
        });
    let request = DownloadRequest {
        endpoint: std::env::var("HF_ENDPOINT").unwrap_or_else(|_| "https://huggingface.co".into()),
        repo: variant.repo.clone(),
        revision,
        token,
        hf_home: state.models_dir(),
        keep: vllm_files,
    };
    let id = format!("download-{}", variant.repo);
    let (progress, watch_progress) = watch::channel(DownloadProgress::default());
    let (status, cancel) =
        state
            .inner
            .jobs
            .begin(id.clone(), JobKind::Download, variant.repo.clone())?;
    follow(&status, watch_progress, |s, p: &DownloadProgress| {
        s.percent = (p.total_bytes > 0)
            .then(|| p.done_bytes.min(p.total_bytes) as f64 * 100.0 / p.total_bytes as f64);
        s.download = Some(p.clone());
    });
    tokio::spawn(async move {
        let result = download(&request, &progress, cancel).await;
        finish(
            &status,
            result.map(|folder| folder.display().to_string()),
            |e| matches!(e, duows_core::engine::download::DownloadError::Cancelled),
        );
    });
    Ok(state.inner.jobs.status(&id))
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Job>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a running job, refusing a second one with the same id.
    fn begin(&self, id: String, kind: JobKind, target: String) -> Result<Started, ApiError> {
        let mut jobs = self.lock();
        if let Some(job) = jobs.get(&id) {
            if job.status.lock().unwrap_or_else(|p| p.into_inner()).state == JobState::Running {
                return Err(ApiError::new(
                    409,
                    "job_running",
                    format!("`{id}` is already running; watch it, or cancel it first"),
                ));
            }
        }
        let status = Arc::new(Mutex::new(JobStatus {
            id: id.clone(),
            kind,
            target,
            state: JobState::Running,
            percent: None,
            install: None,
            download: None,
            result: None,
            error: None,
        }));
        let (cancel, cancelled) = watch::channel(false);
        jobs.insert(
            id.clone(),
            Job {
                status: Arc::clone(&status),
                cancel,
            },
        );
        Ok((status, cancelled))
    }

    fn status(&self, id: &str) -> JobStatus {
        let jobs = self.lock();
        let job = jobs.get(id).expect("a job just registered is listed");
        let status = job.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        status
    }
}

/// Copies every progress change into the job's status.
fn follow<P: Clone + Send + Sync + 'static>(
    status: &Arc<Mutex<JobStatus>>,
    mut progress: watch::Receiver<P>,
    apply: impl Fn(&mut JobStatus, &P) + Send + 'static,
) {
    let status = Arc::clone(status);
    tokio::spawn(async move {
        while progress.changed().await.is_ok() {
            let p = progress.borrow_and_update().clone();
            apply(&mut status.lock().unwrap_or_else(|p| p.into_inner()), &p);
        }
    });
}

/// Records a job's outcome.
fn finish<E: std::fmt::Display>(
    status: &Arc<Mutex<JobStatus>>,
    result: Result<String, E>,
    cancelled: impl Fn(&E) -> bool,
) {
    let mut status = status.lock().unwrap_or_else(|p| p.into_inner());
    match result {
        Ok(value) => {
            status.state = JobState::Done;
            status.percent = Some(100.0);
            status.result = Some(value);
        }
        Err(error) => {
            status.state = if cancelled(&error) {
                JobState::Cancelled
            } else {
                JobState::Failed
            };
            status.error = Some(error.to_string());
        }
    }
}
