//! The install's public vocabulary: what to install where ([`InstallSpec`]), where an
//! install is ([`InstallPhase`], [`InstallProgress`]), what it produced ([`Installed`]) and
//! why it failed ([`InstallError`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::EngineKind;
use crate::fit::vllm::VllmVersion;

/// The llama-cpp-python release the app installs (its OpenAI-compatible server).
pub const LLAMA_CPP_PYTHON_VERSION: &str = "0.3.36";

/// The Ray release installed beside vLLM, for an engine across nodes
/// (`--distributed-executor-backend ray`): the same Ray on every node, as Ray requires.
pub const RAY_VERSION: &str = "2.52.1";

/// What to install where.
#[derive(Debug, Clone)]
pub struct InstallSpec {
    /// Which engine.
    pub engine: EngineKind,
    /// The virtual environment to create or reuse.
    pub venv: PathBuf,
    /// pip requirements, pinned.
    pub requirements: Vec<String>,
    /// Free disk the installed environment needs (checked before starting).
    pub needed_bytes: u64,
    /// Extra environment for pip (e.g. `CMAKE_ARGS` for llama.cpp's build).
    pub env: Vec<(String, String)>,
    /// The Python that creates the environment.
    pub python: PathBuf,
    /// A module that must import once installed (proves the build works).
    pub check_import: String,
    /// The distribution whose version is reported.
    pub distribution: String,
}

impl InstallSpec {
    /// vLLM `release` into `<data_root>/venvs/vllm` (the release a model needs is
    /// [`super::release_for_model`]; with no model, [`super::newest_release`]), with Ray
    /// ([`RAY_VERSION`]) for engines across nodes. PyTorch with CUDA makes it about 12 GB.
    pub fn vllm(data_root: &Path, release: VllmVersion) -> Self {
        Self {
            engine: EngineKind::Vllm,
            venv: data_root.join("venvs/vllm"),
            requirements: vec![format!("vllm=={release}"), format!("ray=={RAY_VERSION}")],
            needed_bytes: 16 << 30,
            env: Vec::new(),
            python: PathBuf::from("python3"),
            check_import: "vllm".into(),
            distribution: "vllm".into(),
        }
    }

    /// llama-cpp-python's server into `<data_root>/venvs/llama-cpp`; it compiles
    /// llama.cpp (a C compiler and cmake are needed), portable across x86-64 CPUs.
    pub fn llama_cpp(data_root: &Path) -> Self {
        Self {
            engine: EngineKind::LlamaCpp,
            venv: crate::engine::installed::llama_cpp_venv(data_root),
            requirements: vec![format!(
                "llama-cpp-python[server]=={LLAMA_CPP_PYTHON_VERSION}"
            )],
            needed_bytes: 2 << 30,
            env: vec![("CMAKE_ARGS".into(), "-DGGML_NATIVE=OFF".into())],
            python: PathBuf::from("python3"),
            check_import: "llama_cpp.server.app".into(),
            distribution: "llama_cpp_python".into(),
        }
    }

    /// The environment's own Python.
    pub(super) fn venv_python(&self) -> PathBuf {
        self.venv.join("bin/python")
    }
}

/// Where an install is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum InstallPhase {
    /// Not begun.
    #[default]
    Pending,
    /// Checking free disk.
    CheckingDisk,
    /// Creating the virtual environment.
    CreatingEnvironment,
    /// Updating pip inside it.
    UpdatingPip,
    /// Finding every package and its size.
    Resolving,
    /// Fetching packages.
    Downloading,
    /// Unpacking (and, for llama.cpp, compiling).
    Installing,
    /// Checking that it imports and asking its version.
    Verifying,
    /// Finished.
    Done,
}

/// Progress of an install, for progress bars.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct InstallProgress {
    /// The step.
    pub phase: InstallPhase,
    /// The package being fetched or built.
    pub package: Option<String>,
    /// Packages to install, once resolved.
    pub packages_total: Option<usize>,
    /// Packages fetched (or found in pip's cache) so far.
    pub packages_done: usize,
    /// Bytes fetched or found in the cache.
    pub done_bytes: u64,
    /// Bytes of all packages, when the index told their sizes.
    pub total_bytes: Option<u64>,
    /// The last line pip printed.
    pub line: String,
}

impl InstallProgress {
    /// Overall download percentage, when the total is known.
    pub fn percent(&self) -> Option<f64> {
        self.total_bytes
            .filter(|t| *t > 0)
            .map(|t| (self.done_bytes.min(t) as f64 * 100.0) / t as f64)
    }
}

/// What was installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// The environment.
    pub venv: PathBuf,
    /// The distribution's version.
    pub version: String,
}

/// Why an install failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Not enough free disk.
    #[error("not enough disk space in {dir}: about {needed} bytes are needed, {free} are free")]
    NoSpace {
        /// The folder.
        dir: PathBuf,
        /// Bytes needed.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// A step's program could not run or failed.
    #[error("{step} failed ({status}): {tail}")]
    Step {
        /// What was being done.
        step: &'static str,
        /// How it ended.
        status: String,
        /// Its last output lines.
        tail: String,
    },
    /// The user cancelled; pip's cache keeps what was fetched.
    #[error("the install was cancelled; finished downloads are kept and reused next time")]
    Cancelled,
    /// Local files.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}
