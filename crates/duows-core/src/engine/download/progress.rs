//! Progress of a download, and the meter the parallel fetches report to: bytes as they
//! arrive, the speed since the start (resumed bytes not counted), files begun and finished.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// Progress of a download.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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

/// Keeps one download's [`DownloadProgress`] as its files are fetched.
pub(super) struct Meter<'a> {
    progress: &'a watch::Sender<DownloadProgress>,
    /// When fetching began.
    started: Instant,
    /// Bytes already on disk then, not counted in the speed.
    resumed_from: u64,
}

impl<'a> Meter<'a> {
    /// Starts measuring from what `progress` counts now.
    pub(super) fn new(progress: &'a watch::Sender<DownloadProgress>) -> Self {
        let started = Instant::now();
        let resumed_from = progress.borrow().done_bytes;
        Self {
            progress,
            started,
            resumed_from,
        }
    }

    /// `bytes` counted before are gone (a partial file restarted, a damaged file deleted).
    pub(super) fn take_back(&self, bytes: u64) {
        self.progress
            .send_modify(|p| p.done_bytes = p.done_bytes.saturating_sub(bytes));
    }

    /// The file at `path` is being fetched.
    pub(super) fn begin(&self, path: &str) {
        self.progress
            .send_modify(|p| p.current.push(path.to_owned()));
    }

    /// `bytes` more arrived.
    pub(super) fn received(&self, bytes: u64) {
        self.progress.send_modify(|p| {
            p.done_bytes += bytes;
            let seconds = self.started.elapsed().as_secs_f64().max(0.001);
            p.bytes_per_second =
                ((p.done_bytes.saturating_sub(self.resumed_from)) as f64 / seconds) as u64;
        });
    }

    /// The file at `path` is fetched, checked and in place.
    pub(super) fn finished(&self, path: &str) {
        self.progress.send_modify(|p| {
            p.files_done += 1;
            p.current.retain(|c| c != path);
        });
    }
}
