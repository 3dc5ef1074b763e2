//! Progress of a download, and the meter the parallel fetches report to: bytes as they
//! arrive, the speed since the start (resumed bytes not counted), files begun and finished.
//! Bytes are published at most every [`PUBLISH_EVERY`] (and with every other change), so
//! many fast connections do not wake every viewer thousands of times a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// How often arriving bytes are published.
const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// Keeps one download's [`DownloadProgress`] as its files are fetched.
pub(super) struct Meter<'a> {
    progress: &'a watch::Sender<DownloadProgress>,
    /// When fetching began.
    started: Instant,
    /// Bytes already on disk then, not counted in the speed.
    resumed_from: u64,
    /// Bytes arrived and not yet published.
    unpublished: AtomicU64,
    /// When bytes were last published.
    published: Mutex<Instant>,
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
            unpublished: AtomicU64::new(0),
            published: Mutex::new(started),
        }
    }

    /// Changes the progress, with the bytes not yet published.
    fn publish(&self, change: impl FnOnce(&mut DownloadProgress)) {
        let bytes = self.unpublished.swap(0, Ordering::AcqRel);
        self.progress.send_modify(|p| {
            p.done_bytes += bytes;
            let seconds = self.started.elapsed().as_secs_f64().max(0.001);
            p.bytes_per_second =
                ((p.done_bytes.saturating_sub(self.resumed_from)) as f64 / seconds) as u64;
            change(p);
        });
    }

    /// `bytes` counted before are gone (a partial file restarted, a damaged file deleted).
    pub(super) fn take_back(&self, bytes: u64) {
        self.publish(|p| p.done_bytes = p.done_bytes.saturating_sub(bytes));
    }

    /// The file at `path` is being fetched (once in the list, however often it is begun).
    pub(super) fn begin(&self, path: &str) {
        self.publish(|p| {
            if !p.current.iter().any(|c| c == path) {
                p.current.push(path.to_owned());
            }
        });
    }

    /// `bytes` more arrived.
    pub(super) fn received(&self, bytes: u64) {
        self.unpublished.fetch_add(bytes, Ordering::AcqRel);
        let mut published = self
            .published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if published.elapsed() >= PUBLISH_EVERY {
            *published = Instant::now();
            drop(published);
            self.publish(|_| {});
        }
    }

    /// The file at `path` is fetched, checked and in place.
    pub(super) fn finished(&self, path: &str) {
        self.publish(|p| {
            p.files_done += 1;
            p.current.retain(|c| c != path);
        });
    }

    /// Publishes the bytes that arrived since the last change (the download stopped).
    pub(super) fn flush(&self) {
        self.publish(|_| {});
    }
}
