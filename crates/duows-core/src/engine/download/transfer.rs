//! Fetching the missing files over many connections at once. Every file is cut into pieces
//! ([`Ranges`]); connections take pieces in file order from one queue, so one large file
//! gets every connection and many small files share them, and files finish one after the
//! other (each is checked while the next arrives). Connections are added while they make
//! the download faster ([`Growth`]), up to the limit. Each piece is a range
//! request written at its offset in the partial file; its progress is recorded beside it,
//! so a killed download resumes every piece where it stopped. Memory is one buffer per
//! connection, whatever the file sizes.
//!
//! The first request of a file follows the hub's redirect once; its pieces then go to the
//! address it led to. A server that ignores ranges (answers 200) sends the file whole over
//! that first connection.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

use super::cache::RepoCache;
use super::connections::{Growth, TransferLimits};
use super::hub::Hub;
use super::partial::{lock, write_all_at, Book};
use super::progress::Meter;
use super::ranges::Ranges;
use super::types::{DownloadError, RepoFile};

/// Bytes a connection gathers before writing them to disk.
const WRITE_BUFFER: usize = 512 << 10;
/// How often a piece's progress is recorded while it arrives.
const RECORD_EVERY: Duration = Duration::from_millis(100);

/// Where a file's pieces are fetched from, learnt from its first request.
struct Route {
    /// The address after redirects.
    url: String,
    /// The server ignores ranges: the first request brings the whole file.
    whole: bool,
    /// The partial file, written at offsets.
    out: Arc<std::fs::File>,
}

/// One missing file.
struct FileJob {
    file: RepoFile,
    partial: PathBuf,
    book: Arc<Mutex<Book>>,
    route: tokio::sync::OnceCell<Route>,
    /// Pieces not yet complete.
    remaining: AtomicUsize,
}

/// One download's files, the queue of their pieces and what they report to.
pub(super) struct Transfer<'a> {
    hub: &'a Hub,
    cache: &'a RepoCache,
    commit: &'a str,
    meter: &'a Meter<'a>,
    files: Vec<FileJob>,
    /// (file, piece) still to fetch, in file order.
    queue: Mutex<VecDeque<(usize, usize)>>,
    limits: TransferLimits,
    /// Bytes received so far, for [`Growth`].
    received: AtomicU64,
}

impl<'a> Transfer<'a> {
    /// The pieces of `missing`, resumed from their records.
    pub(super) fn new(
        hub: &'a Hub,
        cache: &'a RepoCache,
        commit: &'a str,
        meter: &'a Meter<'a>,
        missing: Vec<RepoFile>,
        limits: TransferLimits,
    ) -> Self {
        let mut queue = VecDeque::new();
        let files: Vec<FileJob> = missing
            .into_iter()
            .enumerate()
            .map(|(index, file)| {
                let partial = cache.partial(&file);
                let record = cache.record(&file);
                let partial_len = std::fs::metadata(&partial).map_or(0, |m| m.len());
                let text = (partial_len > 0)
                    .then(|| std::fs::read_to_string(&record).ok())
                    .flatten();
                let ranges =
                    Ranges::resume(text.as_deref(), file.size, limits.piece_bytes, partial_len);
                let mut remaining = 0;
                for (piece, p) in ranges.pieces().iter().enumerate() {
                    if p.missing() > 0 {
                        queue.push_back((index, piece));
                        remaining += 1;
                    }
                }
                if remaining == 0 {
                    // Complete on disk but not yet checked: one empty request finishes it.
                    queue.push_back((index, 0));
                    remaining = 1;
                }
                FileJob {
                    file,
                    partial,
                    book: Arc::new(Mutex::new(Book::new(ranges, record))),
                    route: tokio::sync::OnceCell::new(),
                    remaining: AtomicUsize::new(remaining),
                }
            })
            .collect();
        Self {
            hub,
            cache,
            commit,
            meter,
            files,
            queue: Mutex::new(queue),
            limits,
            received: AtomicU64::new(0),
        }
    }

    /// Fetches every piece, checks and stores each file as it completes; on any end (done,
    /// failed, `cancel`) the progress of unfinished files is recorded for the next attempt.
    pub(super) async fn run(
        &self,
        mut cancel: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), DownloadError> {
        let result = tokio::select! {
            result = self.connections() => result,
            _ = cancel.wait_for(|c| *c) => Err(DownloadError::Cancelled),
        };
        for job in &self.files {
            if job.route.initialized() && job.remaining.load(Ordering::Acquire) > 0 {
                let _ = lock(&job.book).save();
            }
        }
        self.meter.flush();
        result
    }

    /// Runs connections until every piece is fetched: a few at first, more every
    /// [`Growth::EVERY`] while they raise the throughput. The first error ends them all.
    async fn connections(&self) -> Result<(), DownloadError> {
        let mut growth = Growth::new(self.limits.connections);
        let mut running = futures_util::stream::FuturesUnordered::new();
        for _ in 0..growth.running() {
            running.push(self.worker());
        }
        let mut tick = tokio::time::interval(Growth::EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                finished = running.next() => match finished {
                    Some(Err(error)) => return Err(error),
                    Some(Ok(())) => {}
                    None => return Ok(()),
                },
                _ = tick.tick() => {
                    let more = growth.observe(self.received.load(Ordering::Relaxed));
                    let waiting = !self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty();
                    for _ in 0..if waiting { more } else { 0 } {
                        running.push(self.worker());
                    }
                }
            }
        }
    }

    /// One connection: takes pieces until none is left.
    async fn worker(&self) -> Result<(), DownloadError> {
        loop {
            let next = self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop_front();
            let Some((file, piece)) = next else {
                return Ok(());
            };
            self.fetch_piece(&self.files[file], piece).await?;
        }
    }

    /// Opens the partial file (after recording its pieces, so the record exists before any
    /// byte lands past the file's prefix) and sends the file's first request.
    async fn open(
        &self,
        job: &FileJob,
        start: u64,
        end: u64,
    ) -> Result<(Route, reqwest::Response), DownloadError> {
        let io = |source| DownloadError::Io {
            path: job.partial.clone(),
            source,
        };
        self.meter.begin(&job.file.path);
        let book = Arc::clone(&job.book);
        let partial = job.partial.clone();
        let out = tokio::task::spawn_blocking(move || {
            lock(&book).save()?;
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(partial)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(io)?;
        let url = self.hub.file_url(self.commit, &job.file);
        let response = self.hub.get_range(&url, self.commit, start, end).await?;
        let route = Route {
            url: response.url().to_string(),
            whole: response.status() != reqwest::StatusCode::PARTIAL_CONTENT,
            out: Arc::new(out),
        };
        Ok((route, response))
    }

    /// Fetches what is missing of piece `index` of `job`, and finishes the file when it was
    /// its last.
    async fn fetch_piece(&self, job: &FileJob, index: usize) -> Result<(), DownloadError> {
        let piece = lock(&job.book).ranges.pieces()[index];
        if piece.missing() > 0 {
            let mut first = None;
            let slot = &mut first;
            let route = job
                .route
                .get_or_try_init(|| async move {
                    let (route, response) = self.open(job, piece.next(), piece.end).await?;
                    *slot = Some(response);
                    Ok::<_, DownloadError>(route)
                })
                .await?;
            let response = match first {
                Some(response) => response,
                // The file's first request brings it whole.
                None if route.whole => return Ok(()),
                None => {
                    self.hub
                        .get_range(&route.url, self.commit, piece.next(), piece.end)
                        .await?
                }
            };
            if route.whole {
                let had = lock(&job.book).ranges.done();
                self.meter.take_back(had);
                self.receive(job, route, response, None, 0, job.file.size)
                    .await?;
                lock(&job.book).ranges.complete();
                job.remaining.store(0, Ordering::Release);
                return self.finish(job).await;
            }
            check_range(&response, piece.next(), &job.file.path)?;
            self.receive(job, route, response, Some(index), piece.next(), piece.end)
                .await?;
        }
        if job.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.finish(job).await?;
        }
        Ok(())
    }

    /// Writes the body of `response` at `start..end` of the partial file, counting it in
    /// piece `index` (none: the whole file, recorded once complete).
    async fn receive(
        &self,
        job: &FileJob,
        route: &Route,
        response: reqwest::Response,
        index: Option<usize>,
        start: u64,
        end: u64,
    ) -> Result<(), DownloadError> {
        let broke_off = |detail: String| {
            DownloadError::Http(format!(
                "{} broke off: {detail}; it resumes next time",
                job.file.path
            ))
        };
        let mut body = response.bytes_stream();
        let mut offset = start;
        let mut buffer = Vec::with_capacity(WRITE_BUFFER);
        loop {
            let (chunk, failure) = match body.next().await {
                Some(Ok(chunk)) => (Some(chunk), None),
                Some(Err(e)) => (None, Some(e)),
                None => (None, None),
            };
            if let Some(chunk) = &chunk {
                let room = (end - offset) as usize - buffer.len();
                buffer.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            let full = buffer.len() >= WRITE_BUFFER || offset + buffer.len() as u64 >= end;
            // What arrived before a break is kept, so the piece resumes after it.
            if !buffer.is_empty() && (full || chunk.is_none()) {
                let written = buffer.len() as u64;
                buffer = self.write(job, route, buffer, offset, index).await?;
                offset += written;
                self.meter.received(written);
                self.received.fetch_add(written, Ordering::Relaxed);
            }
            if let Some(failure) = failure {
                return Err(broke_off(failure.to_string()));
            }
            if offset >= end {
                if chunk.is_some() {
                    // Reading the end of the body lets the connection serve the next piece.
                    let _ = body.next().await;
                }
                return Ok(());
            }
            if chunk.is_none() {
                return Err(broke_off(format!("{} bytes missing", end - offset)));
            }
        }
    }

    /// Writes `buffer` at `offset`, then counts it in piece `index` and records the pieces
    /// when the last record is old; gives the emptied buffer back.
    async fn write(
        &self,
        job: &FileJob,
        route: &Route,
        mut buffer: Vec<u8>,
        offset: u64,
        index: Option<usize>,
    ) -> Result<Vec<u8>, DownloadError> {
        let out = Arc::clone(&route.out);
        let book = Arc::clone(&job.book);
        tokio::task::spawn_blocking(move || {
            write_all_at(&out, &buffer, offset)?;
            if let Some(index) = index {
                let mut book = lock(&book);
                book.ranges.advance(index, buffer.len() as u64);
                if book.last_saved.elapsed() >= RECORD_EVERY {
                    book.save()?;
                }
            }
            buffer.clear();
            Ok(buffer)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|source| DownloadError::Io {
            path: job.partial.clone(),
            source,
        })
    }

    /// The file is complete: closes it, checks it against its hash and moves it into place.
    async fn finish(&self, job: &FileJob) -> Result<(), DownloadError> {
        let record = lock(&job.book).record.clone();
        let stored = self.cache.store(&job.file).await;
        if matches!(stored, Ok(()) | Err(DownloadError::Checksum { .. })) {
            let _ = tokio::fs::remove_file(&record).await;
        }
        if let Err(error) = stored {
            if matches!(error, DownloadError::Checksum { .. }) {
                self.meter.take_back(job.file.size);
            }
            return Err(error);
        }
        self.meter.finished(&job.file.path);
        Ok(())
    }
}

/// A range answer must start where it was asked to.
fn check_range(response: &reqwest::Response, start: u64, path: &str) -> Result<(), DownloadError> {
    let served_from = response
        .headers()
        .get(reqwest::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.parse::<u64>().ok());
    if served_from == Some(start) {
        Ok(())
    } else {
        Err(DownloadError::Http(format!(
            "the hub answered a range of {path} from byte {served_from:?} instead of {start}"
        )))
    }
}
