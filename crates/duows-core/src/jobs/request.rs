//! What a download or an install job is asked to do, checked before anything runs, and
//! why a job cannot start. The server's jobs and `duows engine download|install` build
//! their work here, so both check the same things the same way.

use std::path::Path;

use crate::catalog::Catalog;
use crate::engine::download::{DownloadRequest, FileFilter};
use crate::engine::install::{newest_release, release_for_model, InstallSpec};
use crate::engine::Secret;

/// The public hub, unless `HF_ENDPOINT` names another (a mirror).
pub const DEFAULT_HUB: &str = "https://huggingface.co";

/// Why a job cannot start; each names the field at fault where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobStartError {
    /// Not an engine this app installs.
    #[error("`{0}` is not an engine this app installs: use `vllm` or `llama_cpp`")]
    NotInstallable(String),
    /// Not a catalog model.
    #[error("`{0}` is not in the catalog")]
    UnknownModel(String),
    /// A model named for an install it cannot choose: a cloud model, or llama.cpp's server
    /// (one release serves every GGUF file).
    #[error("{0}")]
    ModelNotInstallable(String),
    /// The model has no such checkpoint.
    #[error("{model} has no checkpoint `{variant}`")]
    UnknownVariant {
        /// The model's name.
        model: String,
        /// The checkpoint asked for.
        variant: String,
    },
    /// The model has no GGUF file of that quantization.
    #[error("{model} has no GGUF file `{quant}`{}", if known.is_empty() { " (it has none: it runs on vLLM only)".to_owned() } else { format!(" (it has {})", known.join(", ")) })]
    UnknownGguf {
        /// The model's name.
        model: String,
        /// The quantization asked for.
        quant: String,
        /// The quantizations the catalog has.
        known: Vec<String>,
    },
    /// Not a branch, tag or commit id.
    #[error("revision must be a branch, tag or commit id")]
    InvalidRevision,
    /// The same job runs already.
    #[error("`{0}` is already running; watch it, or cancel it first")]
    Running(String),
    /// No job of that id.
    #[error("there is no job `{0}`")]
    UnknownJob(String),
    /// The catalog or the process launcher is unavailable.
    #[error("{0}")]
    Internal(String),
}

impl JobStartError {
    /// The request field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::NotInstallable(_) => Some("engine"),
            Self::UnknownModel(_) | Self::ModelNotInstallable(_) => Some("model"),
            Self::UnknownVariant { .. } => Some("variant"),
            Self::UnknownGguf { .. } => Some("gguf"),
            Self::InvalidRevision => Some("revision"),
            Self::UnknownJob(_) => Some("id"),
            Self::Running(_) | Self::Internal(_) => None,
        }
    }
}

/// What to download: a catalog model's checkpoint at a revision.
#[derive(Debug, Clone, Default)]
pub struct DownloadJob {
    /// Catalog id.
    pub model: String,
    /// Checkpoint (default: the model's own).
    pub variant: Option<String>,
    /// Branch, tag or commit (default `main`).
    pub revision: Option<String>,
    /// Token for gated models; without one, `HF_TOKEN` when set.
    pub token: Option<Secret>,
    /// A GGUF file of the model for llama.cpp's server, by its quantization (`Q4_K_M`),
    /// instead of the checkpoint vLLM serves.
    pub gguf: Option<String>,
}

/// The download request of `job` into the cache under `hf_home`, with the hub from
/// `HF_ENDPOINT` and the token from `HF_TOKEN` when the job has none.
pub fn download_request(
    job: &DownloadJob,
    hf_home: &Path,
) -> Result<DownloadRequest, JobStartError> {
    let catalog = Catalog::builtin().map_err(|e| JobStartError::Internal(e.to_string()))?;
    let model = catalog
        .model(&job.model)
        .ok_or_else(|| JobStartError::UnknownModel(job.model.clone()))?;
    let (repo, keep) = match &job.gguf {
        Some(quant) => {
            let file = model
                .gguf
                .iter()
                .find(|g| g.quant.eq_ignore_ascii_case(quant))
                .ok_or_else(|| JobStartError::UnknownGguf {
                    model: model.name.clone(),
                    quant: quant.clone(),
                    known: model.gguf.iter().map(|g| g.quant.clone()).collect(),
                })?;
            (file.repo.clone(), FileFilter::Only(file.file.clone()))
        }
        None => {
            let variant = model.variant(job.variant.as_deref()).ok_or_else(|| {
                JobStartError::UnknownVariant {
                    model: model.name.clone(),
                    variant: job.variant.clone().unwrap_or_default(),
                }
            })?;
            (variant.repo.clone(), FileFilter::Vllm)
        }
    };
    let revision = job.revision.clone().unwrap_or_else(|| "main".into());
    if !valid_revision(&revision) {
        return Err(JobStartError::InvalidRevision);
    }
    let token = job
        .token
        .clone()
        .filter(|t| !t.expose().trim().is_empty())
        .or_else(|| {
            std::env::var("HF_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .map(Secret::new)
        });
    Ok(DownloadRequest {
        endpoint: std::env::var("HF_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| DEFAULT_HUB.into()),
        repo,
        revision,
        token,
        hf_home: hf_home.to_path_buf(),
        keep,
    })
}

/// A branch, tag or commit id: plain characters, no `..`, at most 200 of them.
pub fn valid_revision(revision: &str) -> bool {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
    !revision.is_empty()
        && revision.len() <= 200
        && revision.chars().all(plain)
        && !revision.contains("..")
}

/// What to install: an engine, and for vLLM the model it must serve.
#[derive(Debug, Clone, Default)]
pub struct InstallJob {
    /// `vllm` or `llama_cpp`.
    pub engine: String,
    /// Catalog id or Hugging Face repo of the model to serve (vLLM): its release is
    /// installed. `None`: the newest release, which serves every catalog model.
    pub model: Option<String>,
}

/// The install `job` asks for, into the data folder at `data_root`.
pub fn install_spec(job: &InstallJob, data_root: &Path) -> Result<InstallSpec, JobStartError> {
    match (job.engine.as_str(), job.model.as_deref()) {
        ("vllm", None) => Ok(InstallSpec::vllm(data_root, newest_release())),
        ("vllm", Some(wanted)) => {
            let catalog = Catalog::builtin().map_err(|e| JobStartError::Internal(e.to_string()))?;
            let model = catalog
                .model(wanted)
                .ok_or_else(|| JobStartError::UnknownModel(wanted.to_owned()))?;
            let release = release_for_model(model).ok_or_else(|| {
                JobStartError::ModelNotInstallable(format!(
                    "{} is not served by a vLLM release this app installs",
                    model.name
                ))
            })?;
            Ok(InstallSpec::vllm(data_root, release))
        }
        ("llama_cpp" | "llama-cpp", None) => Ok(InstallSpec::llama_cpp(data_root)),
        ("llama_cpp" | "llama-cpp", Some(_)) => Err(JobStartError::ModelNotInstallable(
            "a model chooses the vLLM release; llama.cpp's server has one release for every GGUF file".into(),
        )),
        (other, _) => Err(JobStartError::NotInstallable(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_are_branches_tags_or_commits() {
        for good in ["main", "v1.0", "refs/pr/3", "89abcdef0123"] {
            assert!(valid_revision(good), "{good}");
        }
        for bad in ["", "../../etc", "a b", "x;rm", &"a".repeat(201)] {
            assert!(!valid_revision(bad), "{bad}");
        }
    }

    #[test]
    fn a_download_names_the_field_at_fault() {
        let home = Path::new("/tmp/models");
        let unknown = DownloadJob {
            model: "gpt-9".into(),
            ..DownloadJob::default()
        };
        assert_eq!(
            download_request(&unknown, home)
                .map(|_| ())
                .expect_err("refused")
                .field(),
            Some("model")
        );
        let variant = DownloadJob {
            model: "mistral-7b-instruct-v0.3".into(),
            variant: Some("nf17".into()),
            ..DownloadJob::default()
        };
        assert_eq!(
            download_request(&variant, home)
                .map(|_| ())
                .expect_err("refused")
                .field(),
            Some("variant")
        );
        let revision = DownloadJob {
            model: "mistral-7b-instruct-v0.3".into(),
            revision: Some("../../etc".into()),
            ..DownloadJob::default()
        };
        assert_eq!(
            download_request(&revision, home)
                .map(|_| ())
                .expect_err("refused"),
            JobStartError::InvalidRevision
        );
        let ok = DownloadJob {
            model: "mistral-7b-instruct-v0.3".into(),
            ..DownloadJob::default()
        };
        let request = download_request(&ok, home).expect("request");
        assert_eq!(request.repo, "mistralai/Mistral-7B-Instruct-v0.3");
        assert_eq!(request.revision, "main");
        assert_eq!(request.keep, FileFilter::Vllm);
        let gguf = DownloadJob {
            model: "mistral-7b-instruct-v0.3".into(),
            gguf: Some("q4_k_m".into()),
            ..DownloadJob::default()
        };
        let request = download_request(&gguf, home).expect("gguf request");
        assert_eq!(request.repo, "bartowski/Mistral-7B-Instruct-v0.3-GGUF");
        assert_eq!(
            request.keep,
            FileFilter::Only("Mistral-7B-Instruct-v0.3-Q4_K_M.gguf".into())
        );
        assert!(request.keep.keeps("Mistral-7B-Instruct-v0.3-Q4_K_M.gguf"));
        assert!(!request.keep.keeps("Mistral-7B-Instruct-v0.3-Q8_0.gguf"));
        let no_such = DownloadJob {
            model: "mistral-7b-instruct-v0.3".into(),
            gguf: Some("Q9".into()),
            ..DownloadJob::default()
        };
        let refused = download_request(&no_such, home)
            .map(|_| ())
            .expect_err("refused");
        assert_eq!(refused.field(), Some("gguf"));
        assert!(refused.to_string().contains("it has Q4_K_M"), "{refused}");
        let job = |engine: &str, model: Option<&str>| InstallJob {
            engine: engine.into(),
            model: model.map(Into::into),
        };
        assert_eq!(
            install_spec(&job("llama", None), home)
                .map(|_| ())
                .expect_err("refused")
                .field(),
            Some("engine")
        );
        for refused in [
            job("vllm", Some("gpt-9")),
            job("vllm", Some("gpt-4o")),
            job("llama_cpp", Some("gemma-4-31b-it")),
        ] {
            let error = install_spec(&refused, home)
                .map(|_| ())
                .expect_err("refused");
            assert_eq!(error.field(), Some("model"), "{error}");
        }
    }

    #[test]
    fn vllm_is_installed_at_the_release_the_model_needs() {
        let home = Path::new("/data");
        let requirement = |model: Option<&str>| {
            let job = InstallJob {
                engine: "vllm".into(),
                model: model.map(Into::into),
            };
            install_spec(&job, home).expect("spec").requirements
        };
        // Ray beside vLLM, at the release the cluster test runs (scripts/ray-env.sh).
        const RAY: &str = "ray==2.52.1";
        assert_eq!(
            requirement(Some("codestral-22b-v0.1")),
            ["vllm==0.18.1", RAY]
        );
        assert_eq!(
            requirement(Some("google/gemma-4-31B-it")),
            ["vllm==0.19.1", RAY]
        );
        assert_eq!(requirement(Some("minimax-m2.7")), ["vllm==0.20.2", RAY]);
        assert_eq!(
            requirement(None),
            ["vllm==0.20.2", RAY],
            "the newest serves all"
        );
    }
}
