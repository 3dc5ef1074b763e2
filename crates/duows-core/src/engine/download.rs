//! Model weights from the Hugging Face hub, into the hub's own cache layout so vLLM finds
//! them offline (`HF_HOME`, `HF_HUB_OFFLINE=1`).
//!
//! The file list, sizes and SHA-256 sums come from the hub's tree API. Files download in
//! parallel into `blobs/<sha256>.incomplete`; an interrupted file resumes with an HTTP
//! range request; a finished file is checked against the hub's SHA-256 (git's SHA-1 for
//! small non-LFS files) before it is renamed into place and linked from
//! `snapshots/<commit>/`. Free disk is checked before anything is fetched, and a gated
//! model's 401/403 says where to accept its licence.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures_util::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use super::plan::Secret;

/// Files fetched at once.
const PARALLEL: usize = 4;

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

/// Progress of a download.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DownloadProgress {
    /// Bytes of all files.
    pub total_bytes: u64,
    /// Bytes on disk so far (resumed bytes included).
    pub done_bytes: u64,
    /// Files in all.
    pub files_total: usize,
    /// Files finished and checked.
    pub files_done: usize,
    /// Files being fetched now.
    pub current: Vec<String>,
    /// Recent speed.
    pub bytes_per_second: u64,
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
    /// Only files whose path matches (e.g. skip `original/` and `.pth` duplicates).
    pub keep: fn(&str) -> bool,
}

/// Keeps what vLLM needs: safetensors, configs, tokenizers, templates; skips duplicate
/// weight formats (`.pth`, `.bin` beside safetensors, `original/`, GGUF).
pub fn vllm_files(path: &str) -> bool {
    let skip_dirs = ["original/", "consolidated/"];
    let skip_ext = [".pth", ".pt", ".bin", ".gguf", ".msgpack", ".h5", ".onnx"];
    !skip_dirs.iter().any(|d| path.starts_with(d)) && !skip_ext.iter().any(|e| path.ends_with(e))
}

/// The cache folder of a repository.
pub fn repo_cache(hf_home: &Path, repo: &str) -> PathBuf {
    hf_home
        .join("hub")
        .join(format!("models--{}", repo.replace('/', "--")))
}

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Deserialize)]
struct LfsInfo {
    oid: String,
    size: u64,
}

#[derive(Deserialize)]
struct RepoInfo {
    sha: String,
}

/// Downloads a repository into the cache; returns the snapshot folder (the model folder
/// to give vLLM). `progress` hears every change; `cancel` stops it (kept for resuming).
pub async fn download(
    request: &DownloadRequest,
    progress: &watch::Sender<DownloadProgress>,
    cancel: watch::Receiver<bool>,
) -> Result<PathBuf, DownloadError> {
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(30))
        .read_timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| DownloadError::Http(e.to_string()))?;
    let hub = Hub { client, request };
    let commit = hub.commit().await?;
    let files = hub.files(&commit).await?;
    let cache = repo_cache(&request.hf_home, &request.repo);
    let blobs = cache.join("blobs");
    let snapshot = cache.join("snapshots").join(&commit);
    for dir in [&blobs, &snapshot] {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| DownloadError::Io {
                path: dir.clone(),
                source,
            })?;
    }
    let have = |f: &RepoFile| blobs.join(&f.hash).is_file();
    let partial = |f: &RepoFile| {
        std::fs::metadata(blobs.join(format!("{}.incomplete", f.hash))).map_or(0, |m| m.len())
    };
    let needed: u64 = files
        .iter()
        .filter(|f| !have(f))
        .map(|f| f.size.saturating_sub(partial(f)))
        .sum();
    let free = crate::hardware::free_bytes(&blobs).unwrap_or(u64::MAX);
    if needed > free {
        return Err(DownloadError::NoSpace {
            dir: blobs,
            needed,
            free,
        });
    }
    progress.send_modify(|p| {
        *p = DownloadProgress {
            total_bytes: files.iter().map(|f| f.size).sum(),
            done_bytes: files
                .iter()
                .map(|f| if have(f) { f.size } else { partial(f) })
                .sum(),
            files_total: files.len(),
            files_done: files.iter().filter(|f| have(f)).count(),
            current: Vec::new(),
            bytes_per_second: 0,
        }
    });
    let started = Instant::now();
    let resumed_from = progress.borrow().done_bytes;
    let hub = Arc::new(hub_owned(&hub));
    let missing: Vec<RepoFile> = files.iter().filter(|f| !have(f)).cloned().collect();
    let results = futures_util::stream::iter(missing)
        .map(|file| {
            let hub = Arc::clone(&hub);
            let blobs = blobs.clone();
            let commit = commit.clone();
            let cancel = cancel.clone();
            async move {
                hub.fetch(
                    &commit,
                    &file,
                    &blobs,
                    progress,
                    cancel,
                    started,
                    resumed_from,
                )
                .await
            }
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<_>>()
        .await;
    if let Some(error) = results.into_iter().find_map(Result::err) {
        return Err(error);
    }
    for file in &files {
        link(&snapshot, &blobs, file).await?;
    }
    let refs = cache.join("refs");
    tokio::fs::create_dir_all(&refs)
        .await
        .map_err(|source| DownloadError::Io {
            path: refs.clone(),
            source,
        })?;
    if request.revision != commit {
        let path = refs.join(&request.revision);
        tokio::fs::write(&path, &commit)
            .await
            .map_err(|source| DownloadError::Io { path, source })?;
    }
    Ok(snapshot)
}

/// The hub calls, with what they need to build requests.
struct Hub<'a> {
    client: reqwest::Client,
    request: &'a DownloadRequest,
}

/// An owned copy for the parallel tasks.
struct OwnedHub {
    client: reqwest::Client,
    endpoint: String,
    repo: String,
    token: Option<Secret>,
}

fn hub_owned(hub: &Hub<'_>) -> OwnedHub {
    OwnedHub {
        client: hub.client.clone(),
        endpoint: hub.request.endpoint.trim_end_matches('/').to_owned(),
        repo: hub.request.repo.clone(),
        token: hub.request.token.clone(),
    }
}

fn status_error(
    response: &reqwest::Response,
    repo: &str,
    endpoint: &str,
    revision: &str,
) -> Option<DownloadError> {
    match response.status().as_u16() {
        200..=299 => None,
        status @ (401 | 403) => Some(DownloadError::Gated {
            repo: repo.to_owned(),
            endpoint: endpoint.to_owned(),
            status,
        }),
        404 => Some(DownloadError::NotFound {
            repo: repo.to_owned(),
            revision: revision.to_owned(),
        }),
        status => Some(DownloadError::Http(format!("the hub answered {status}"))),
    }
}

impl Hub<'_> {
    fn endpoint(&self) -> &str {
        self.request.endpoint.trim_end_matches('/')
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: String,
    ) -> Result<T, DownloadError> {
        let mut builder = self.client.get(url);
        if let Some(token) = &self.request.token {
            builder = builder.bearer_auth(token.expose());
        }
        let response = builder
            .send()
            .await
            .map_err(|e| DownloadError::Http(e.to_string()))?;
        if let Some(error) = status_error(
            &response,
            &self.request.repo,
            self.endpoint(),
            &self.request.revision,
        ) {
            return Err(error);
        }
        response
            .json()
            .await
            .map_err(|e| DownloadError::Http(e.to_string()))
    }

    /// The commit a revision names.
    async fn commit(&self) -> Result<String, DownloadError> {
        let url = format!(
            "{}/api/models/{}/revision/{}",
            self.endpoint(),
            self.request.repo,
            self.request.revision
        );
        let info: RepoInfo = self.get_json(url).await?;
        Ok(info.sha)
    }

    /// The files to fetch, with sizes and hashes.
    async fn files(&self, commit: &str) -> Result<Vec<RepoFile>, DownloadError> {
        let url = format!(
            "{}/api/models/{}/tree/{commit}?recursive=true",
            self.endpoint(),
            self.request.repo
        );
        let entries: Vec<TreeEntry> = self.get_json(url).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.kind == "file" && (self.request.keep)(&e.path))
            .map(|e| match e.lfs {
                Some(lfs) => RepoFile {
                    path: e.path,
                    size: lfs.size,
                    hash: lfs.oid,
                    lfs: true,
                },
                None => RepoFile {
                    path: e.path,
                    size: e.size,
                    hash: e.oid,
                    lfs: false,
                },
            })
            .collect())
    }
}

impl OwnedHub {
    /// Fetches one file into `blobs/<hash>`, resuming a partial one, and checks it.
    #[allow(clippy::too_many_arguments)]
    async fn fetch(
        &self,
        commit: &str,
        file: &RepoFile,
        blobs: &Path,
        progress: &watch::Sender<DownloadProgress>,
        mut cancel: watch::Receiver<bool>,
        started: Instant,
        resumed_from: u64,
    ) -> Result<(), DownloadError> {
        let partial = blobs.join(format!("{}.incomplete", file.hash));
        let io = |source| DownloadError::Io {
            path: partial.clone(),
            source,
        };
        let have = tokio::fs::metadata(&partial).await.map_or(0, |m| m.len());
        let url = format!(
            "{}/{}/resolve/{commit}/{}",
            self.endpoint, self.repo, file.path
        );
        let mut builder = self.client.get(url);
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token.expose());
        }
        if have > 0 && have < file.size {
            builder = builder.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let response = builder
            .send()
            .await
            .map_err(|e| DownloadError::Http(e.to_string()))?;
        if let Some(error) = status_error(&response, &self.repo, &self.endpoint, commit) {
            return Err(error);
        }
        // 206: the server continues where we stopped; 200: it sends everything again.
        let resumed = response.status().as_u16() == 206;
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(resumed)
            .write(true)
            .truncate(!resumed)
            .open(&partial)
            .await
            .map_err(io)?;
        if !resumed && have > 0 {
            progress.send_modify(|p| p.done_bytes = p.done_bytes.saturating_sub(have));
        }
        progress.send_modify(|p| p.current.push(file.path.clone()));
        let mut body = response.bytes_stream();
        loop {
            let chunk = tokio::select! {
                chunk = body.next() => Ok(chunk),
                // `map` drops the borrow `wait_for` returns: the future stays `Send`.
                _ = cancel.wait_for(|c| *c).map(|r| r.is_ok()) => None.ok_or(()),
            };
            let Ok(chunk) = chunk else {
                let _ = out.flush().await;
                return Err(DownloadError::Cancelled);
            };
            let Some(chunk) = chunk else { break };
            let chunk = chunk.map_err(|e| {
                DownloadError::Http(format!(
                    "{} broke off: {e}; it resumes next time",
                    file.path
                ))
            })?;
            out.write_all(&chunk).await.map_err(io)?;
            progress.send_modify(|p| {
                p.done_bytes += chunk.len() as u64;
                let seconds = started.elapsed().as_secs_f64().max(0.001);
                p.bytes_per_second =
                    ((p.done_bytes.saturating_sub(resumed_from)) as f64 / seconds) as u64;
            });
        }
        out.flush().await.map_err(io)?;
        drop(out);
        let found = checksum(&partial, file).await.map_err(io)?;
        if found != file.hash {
            let _ = tokio::fs::remove_file(&partial).await;
            progress.send_modify(|p| p.done_bytes = p.done_bytes.saturating_sub(file.size));
            return Err(DownloadError::Checksum {
                path: file.path.clone(),
                expected: file.hash.clone(),
                found,
            });
        }
        let done = blobs.join(&file.hash);
        tokio::fs::rename(&partial, &done).await.map_err(io)?;
        progress.send_modify(|p| {
            p.files_done += 1;
            p.current.retain(|c| c != &file.path);
        });
        Ok(())
    }
}

/// The sum the hub publishes for the file: SHA-256 (LFS), or git's blob SHA-1.
async fn checksum(path: &Path, file: &RepoFile) -> std::io::Result<String> {
    let path = path.to_path_buf();
    let lfs = file.lfs;
    tokio::task::spawn_blocking(move || {
        let mut input = std::fs::File::open(&path)?;
        if lfs {
            digest_hex(Sha256::new(), &mut input)
        } else {
            // git names a blob by SHA-1 of "blob <size>\0" and the content.
            let mut hasher = Sha1::new();
            hasher.update(format!("blob {}\0", input.metadata()?.len()).as_bytes());
            digest_hex(hasher, &mut input)
        }
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Feeds the rest of `input` to `hasher`, 1 MiB at a time; the digest in hex.
fn digest_hex<D: Digest>(mut hasher: D, input: &mut impl std::io::Read) -> std::io::Result<String> {
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `snapshots/<commit>/<path>` → `../../blobs/<hash>` (relative, as the hub's cache does).
async fn link(snapshot: &Path, blobs: &Path, file: &RepoFile) -> Result<(), DownloadError> {
    let target = snapshot.join(&file.path);
    let io = |source| DownloadError::Io {
        path: target.clone(),
        source,
    };
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
    }
    let depth = file.path.matches('/').count() + 2;
    let relative = PathBuf::from("../".repeat(depth))
        .join("blobs")
        .join(&file.hash);
    let _ = tokio::fs::remove_file(&target).await;
    #[cfg(unix)]
    tokio::fs::symlink(&relative, &target).await.map_err(io)?;
    #[cfg(not(unix))]
    tokio::fs::copy(blobs.join(&file.hash), &target)
        .await
        .map(|_| ())
        .map_err(io)?;
    let _ = blobs;
    Ok(())
}
