//! Long work the user watches: installing an engine and downloading a model's weights.
//! Each runs as one job with live progress, can be cancelled, and stays listed with its
//! outcome until the program ends; starting the same job twice while it runs is refused.
//! A failed job says why as `{code, message, field}` ([`JobFailure`]). Every change of any
//! job is announced on [`Jobs::changes`], so live views follow without polling.

mod failure;
mod request;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::engine::download::{download, DownloadError, DownloadProgress};
use crate::engine::install::{install, InstallError, InstallProgress};
use crate::engine::ProcessLauncher;

pub use failure::JobFailure;
pub use request::{
    download_request, install_spec, valid_revision, DownloadJob, InstallJob, JobStartError,
    DEFAULT_HUB,
};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Installing an engine.
    Install,
    /// Downloading weights.
    Download,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
    /// Why it failed or what stopped it.
    pub error: Option<JobFailure>,
    /// When it ended (ms since the epoch).
    pub finished_ms: Option<u64>,
}

/// A job's shared status and its cancel switch.
struct Job {
    status: Arc<Mutex<JobStatus>>,
    cancel: watch::Sender<bool>,
}

/// The jobs of this program.
pub struct Jobs {
    jobs: Mutex<BTreeMap<String, Job>>,
    changes: Arc<watch::Sender<u64>>,
}

impl Default for Jobs {
    fn default() -> Self {
        Self {
            jobs: Mutex::new(BTreeMap::new()),
            changes: Arc::new(watch::channel(0).0),
        }
    }
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Jobs {
    /// Every job, newest state, by id.
    pub fn list(&self) -> Vec<JobStatus> {
        locked(&self.jobs)
            .values()
            .map(|job| locked(&job.status).clone())
            .collect()
    }

    /// A channel whose value changes whenever any job starts, progresses or ends.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Asks a running job to stop; answers with its status.
    pub fn cancel(&self, id: &str) -> Result<JobStatus, JobStartError> {
        let jobs = locked(&self.jobs);
        let job = jobs
            .get(id)
            .ok_or_else(|| JobStartError::UnknownJob(id.to_owned()))?;
        job.cancel.send_replace(true);
        let status = locked(&job.status).clone();
        Ok(status)
    }

    /// Whether job `id` still runs though it was asked to stop.
    pub fn cancelling(&self, id: &str) -> bool {
        locked(&self.jobs).get(id).is_some_and(|job| {
            *job.cancel.borrow() && locked(&job.status).state == JobState::Running
        })
    }

    /// Installs `job`'s engine (`vllm` or `llama_cpp`; vLLM at the release its model needs)
    /// into the data folder at `data_root`.
    pub fn start_install(
        &self,
        job: &InstallJob,
        data_root: &Path,
    ) -> Result<JobStatus, JobStartError> {
        let spec = install_spec(job, data_root)?;
        let engine = job.engine.as_str();
        let launcher = ProcessLauncher::new()
            .map_err(|e| JobStartError::Internal(format!("cannot start the installer: {e}")))?;
        let id = format!("install-{engine}");
        let (status, cancel) = self.begin(&id, JobKind::Install, engine)?;
        let (progress, watch_progress) = watch::channel(InstallProgress::default());
        self.follow(&status, watch_progress, |s, p: &InstallProgress| {
            s.percent = p.percent();
            s.install = Some(p.clone());
        });
        let changes = Arc::clone(&self.changes);
        tokio::spawn(async move {
            let result = install(&spec, &launcher, &progress, cancel).await;
            let outcome = result.map(|installed| installed.version);
            finish(&status, &changes, outcome, install_failure);
        });
        Ok(self.status(&id))
    }

    /// Downloads `job`'s weights into the cache under `hf_home`.
    pub fn start_download(
        &self,
        job: &DownloadJob,
        hf_home: &Path,
    ) -> Result<JobStatus, JobStartError> {
        let request = download_request(job, hf_home)?;
        let id = format!("download-{}", request.repo);
        let (status, cancel) = self.begin(&id, JobKind::Download, &request.repo)?;
        let (progress, watch_progress) = watch::channel(DownloadProgress::default());
        self.follow(&status, watch_progress, |s, p: &DownloadProgress| {
            s.percent = (p.total_bytes > 0)
                .then(|| p.done_bytes.min(p.total_bytes) as f64 * 100.0 / p.total_bytes as f64);
            s.download = Some(p.clone());
        });
        let changes = Arc::clone(&self.changes);
        tokio::spawn(async move {
            let result = download(&request, &progress, cancel).await;
            let outcome = result.map(|folder| folder.display().to_string());
            finish(&status, &changes, outcome, download_failure);
        });
        Ok(self.status(&id))
    }

    /// Registers a running job, refusing a second one with the same id.
    fn begin(
        &self,
        id: &str,
        kind: JobKind,
        target: &str,
    ) -> Result<(Arc<Mutex<JobStatus>>, watch::Receiver<bool>), JobStartError> {
        let mut jobs = locked(&self.jobs);
        if let Some(job) = jobs.get(id) {
            if locked(&job.status).state == JobState::Running {
                return Err(JobStartError::Running(id.to_owned()));
            }
        }
        let status = Arc::new(Mutex::new(JobStatus {
            id: id.to_owned(),
            kind,
            target: target.to_owned(),
            state: JobState::Running,
            percent: None,
            install: None,
            download: None,
            result: None,
            error: None,
            finished_ms: None,
        }));
        let (cancel, cancelled) = watch::channel(false);
        jobs.insert(
            id.to_owned(),
            Job {
                status: Arc::clone(&status),
                cancel,
            },
        );
        drop(jobs);
        bump(&self.changes);
        Ok((status, cancelled))
    }

    fn status(&self, id: &str) -> JobStatus {
        locked(&self.jobs)
            .get(id)
            .map(|job| locked(&job.status).clone())
            .unwrap_or_else(|| unreachable!("a job just registered is listed"))
    }

    /// Copies every progress change into the job's status, and announces it.
    fn follow<P: Clone + Send + Sync + 'static>(
        &self,
        status: &Arc<Mutex<JobStatus>>,
        mut progress: watch::Receiver<P>,
        apply: impl Fn(&mut JobStatus, &P) + Send + 'static,
    ) {
        let status = Arc::clone(status);
        let changes = Arc::clone(&self.changes);
        tokio::spawn(async move {
            while progress.changed().await.is_ok() {
                let p = progress.borrow_and_update().clone();
                let mut status = locked(&status);
                // A last update read after the job ended must not overwrite its outcome.
                if status.state != JobState::Running {
                    break;
                }
                apply(&mut status, &p);
                drop(status);
                bump(&changes);
            }
        });
    }
}

fn bump(changes: &watch::Sender<u64>) {
    changes.send_modify(|n| *n = n.wrapping_add(1));
}

/// An install's failure, and whether it was a cancel.
fn install_failure(error: &InstallError) -> (JobFailure, bool) {
    (
        JobFailure::from(error),
        matches!(error, InstallError::Cancelled),
    )
}

/// A download's failure, and whether it was a cancel.
fn download_failure(error: &DownloadError) -> (JobFailure, bool) {
    (
        JobFailure::from(error),
        matches!(error, DownloadError::Cancelled),
    )
}

/// Records a job's outcome and announces it.
fn finish<E>(
    status: &Arc<Mutex<JobStatus>>,
    changes: &watch::Sender<u64>,
    result: Result<String, E>,
    failure: fn(&E) -> (JobFailure, bool),
) {
    {
        let mut status = locked(status);
        status.finished_ms = Some(duows_base::clock::now_ms());
        match result {
            Ok(value) => {
                status.state = JobState::Done;
                status.percent = Some(100.0);
                status.result = Some(value);
            }
            Err(error) => {
                let (failure, cancelled) = failure(&error);
                status.state = if cancelled {
                    JobState::Cancelled
                } else {
                    JobState::Failed
                };
                status.error = Some(failure);
            }
        }
    }
    bump(changes);
}
