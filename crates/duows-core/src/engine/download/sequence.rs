//! The download: ask the hub which commit and files, check free disk for what is still
//! missing, fetch the missing files over many connections (each checked and stored as it
//! finishes), then link every file from the snapshot and record the revision.

use std::path::PathBuf;

use tokio::sync::watch;

use super::cache::RepoCache;
use super::connections::TransferLimits;
use super::hub::Hub;
use super::progress::{DownloadProgress, Meter};
use super::transfer::Transfer;
use super::types::{DownloadError, DownloadRequest, RepoFile};

/// Downloads a repository into the cache; returns the snapshot folder (the model folder
/// to give vLLM). `progress` hears every change; `cancel` stops it (kept for resuming).
/// Connections and piece size are [`TransferLimits::from_env`].
pub async fn download(
    request: &DownloadRequest,
    progress: &watch::Sender<DownloadProgress>,
    cancel: watch::Receiver<bool>,
) -> Result<PathBuf, DownloadError> {
    download_with(request, TransferLimits::from_env(), progress, cancel).await
}

/// [`download`] with the given connections and piece size.
pub async fn download_with(
    request: &DownloadRequest,
    limits: TransferLimits,
    progress: &watch::Sender<DownloadProgress>,
    cancel: watch::Receiver<bool>,
) -> Result<PathBuf, DownloadError> {
    let hub = Hub::new(request, limits.connections, limits.retry.stall)?;
    let commit = hub.commit().await?;
    let files = hub.files(&commit, &request.keep).await?;
    let cache = RepoCache::new(&request.hf_home, &request.repo);
    cache.create(&commit).await?;
    let needed: u64 = files
        .iter()
        .filter(|f| !cache.has(f))
        .map(|f| f.size.saturating_sub(cache.partial_len(f)))
        .sum();
    let free = crate::hardware::free_bytes(&cache.blobs()).unwrap_or(u64::MAX);
    if needed > free {
        return Err(DownloadError::NoSpace {
            dir: cache.blobs(),
            needed,
            free,
        });
    }
    progress.send_modify(|p| {
        *p = DownloadProgress {
            total_bytes: files.iter().map(|f| f.size).sum(),
            done_bytes: files
                .iter()
                .map(|f| {
                    if cache.has(f) {
                        f.size
                    } else {
                        cache.partial_len(f)
                    }
                })
                .sum(),
            files_total: files.len(),
            files_done: files.iter().filter(|f| cache.has(f)).count(),
            current: Vec::new(),
            bytes_per_second: 0,
        }
    });
    let meter = Meter::new(progress);
    let missing: Vec<RepoFile> = files.iter().filter(|f| !cache.has(f)).cloned().collect();
    Transfer::new(&hub, &cache, &commit, &meter, missing, limits)
        .run(cancel)
        .await?;
    for file in &files {
        cache.link(&commit, file).await?;
    }
    cache.write_ref(&request.revision, &commit).await?;
    Ok(cache.snapshot(&commit))
}
