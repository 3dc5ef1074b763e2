//! What to download ([`DownloadRequest`], [`vllm_files`]), one file of a repository
//! ([`RepoFile`]), and why a download failed ([`DownloadError`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::plan::Secret;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The repository asks users to accept its licence first, or the token is wrong.
    #[error("{repo} is gated: accept its licence at {endpoint}/{repo} with the account of your Hugging Face token, and give that token (status {status})")]
    Gated {
        /// Repository id.
        repo: String,
        /// Hub address.
        endpoint: String,
        /// 401 or 403.
        status: u16,
    },
    /// No such repository or revision.
    #[error("{repo} at revision {revision} was not found on the hub")]
    NotFound {
        /// Repository id.
        repo: String,
        /// Revision.
        revision: String,
    },
    /// Not enough free disk.
    #[error("not enough disk space in {dir}: {needed} bytes are needed, {free} are free")]
    NoSpace {
        /// Folder.
        dir: PathBuf,
        /// Bytes still to download.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// A finished file does not match the hub's checksum.
    #[error("{path} is damaged: its checksum {found} does not match the hub's {expected}; it was deleted, download again")]
    Checksum {
        /// File in the repository.
        path: String,
        /// Expected sum.
        expected: String,
        /// Computed sum.
        found: String,
    },
    /// The user cancelled.
    #[error("the download was cancelled; what was fetched is kept and resumes next time")]
    Cancelled,
    /// Network or hub errors.
    #[error("download failed: {0}")]
    Http(String),
    /// Local files.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// One file of the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFile {
    /// Path in the repository.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The hash the cache names the blob by, and checks: SHA-256 for LFS files, git SHA-1 else.
    pub hash: String,
    /// Whether `hash` is an LFS SHA-256 (else a git blob SHA-1).
    pub lfs: bool,
}

/// What to download.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    /// The hub (`https://huggingface.co`, or `HF_ENDPOINT`).
    pub endpoint: String,
    /// Repository id.
    pub repo: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Token for gated or private repositories.
    pub token: Option<Secret>,
    /// `HF_HOME`: the cache goes to `<hf_home>/hub`.
    pub hf_home: PathBuf,
    /// Which files of the repository to fetch.
    pub keep: FileFilter,
}

/// Which files of a repository a download fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileFilter {
    /// What vLLM reads ([`vllm_files`]).
    Vllm,
    /// One file (a GGUF file for llama.cpp's server), by its path in the repository.
    Only(String),
}

impl FileFilter {
    /// Whether the file at `path` is fetched.
    pub fn keeps(&self, path: &str) -> bool {
        match self {
            Self::Vllm => vllm_files(path),
            Self::Only(wanted) => path == wanted,
        }
    }
}

/// Keeps what vLLM needs: safetensors, configs, tokenizers, templates; skips duplicate
/// weight formats (`.pth`, `.bin` beside safetensors, `original/`, GGUF).
pub fn vllm_files(path: &str) -> bool {
    let skip_dirs = ["original/", "consolidated/"];
    let skip_ext = [".pth", ".pt", ".bin", ".gguf", ".msgpack", ".h5", ".onnx"];
    !skip_dirs.iter().any(|d| path.starts_with(d)) && !skip_ext.iter().any(|e| path.ends_with(e))
}
