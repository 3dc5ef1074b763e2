//! The download: ask the hub which commit and files, check free disk for what is still
//! missing, fetch the missing files in parallel (each checked and stored as it finishes),
//! then link every file from the snapshot and record the revision.

use std::path::PathBuf;

use futures_util::StreamExt;
use tokio::sync::watch;

use super::cache::RepoCache;
use super::hub::Hub;
use super::progress::{DownloadProgress, Meter};
use super::types::{DownloadError, DownloadRequest, RepoFile};

/// Files fetched at once.
const PARALLEL: usize = 4;

/// Downloads a repository into the cache; returns the snapshot folder (the model folder
/// to give vLLM). `progress` hears every change; `cancel` stops it (kept for resuming).
pub async fn download(
    request: &DownloadRequest,
    progress: &watch::Sender<DownloadProgress>,
    cancel: watch::Receiver<bool>,
) -> Result<PathBuf, DownloadError> {
    let hub = Hub::new(request)?;
    let commit = hub.commit().await?;
    let files = hub.files(&commit, request.keep).await?;
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
    // Owned files and plain references keep the future `Send` for the caller's task.
    let missing: Vec<RepoFile> = files.iter().filter(|f| !cache.has(f)).cloned().collect();
    let (hub, cache_ref, commit_ref, meter) = (&hub, &cache, commit.as_str(), &meter);
    let results = futures_util::stream::iter(missing)
        .map(|file| {
            let cancel = cancel.clone();
            async move { fetch_one(hub, cache_ref, commit_ref, &file, meter, cancel).await }
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<_>>()
        .await;
    if let Some(error) = results.into_iter().find_map(Result::err) {
        return Err(error);
    }
    for file in &files {
        cache.link(&commit, file).await?;
    }
    cache.write_ref(&request.revision, &commit).await?;
    Ok(cache.snapshot(&commit))
}

/// Fetches one file, checks it and puts it in place.
async fn fetch_one(
    hub: &Hub,
    cache: &RepoCache,
    commit: &str,
    file: &RepoFile,
    meter: &Meter<'_>,
    cancel: watch::Receiver<bool>,
) -> Result<(), DownloadError> {
    hub.fetch(commit, file, &cache.partial(file), meter, cancel)
        .await?;
    if let Err(error) = cache.store(file).await {
        if matches!(error, DownloadError::Checksum { .. }) {
            meter.take_back(file.size);
        }
        return Err(error);
    }
    meter.finished(&file.path);
    Ok(())
}
