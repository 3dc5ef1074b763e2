//! Fetching the missing files over many connections at once. Every file is cut into pieces
//! ([`Ranges`]); connections take pieces in file order from one queue, so one large file
//! gets every connection and many small files share them, and files finish one after the
//! other (each is checked while the next arrives). Connections are added while they make
//! the download faster ([`Growth`]), up to the limit. Each piece is a range
//! request written at its offset in the partial file; its progress is recorded beside it,
//! so a killed download resumes every piece where it stopped. Memory is one buffer per
//! connection, whatever the file sizes.
//!
//! A piece whose connection drops or stalls is tried again from where it got to
//! ([`PieceRetry`](super::retry::PieceRetry)); the download stops only when a piece's tries
//! run out, or at a failure no retry mends. `receive` writes one answer's body.
//!
//! The first request of a file follows the hub's redirect once; its pieces then go to the
//! address it led to. A server that ignores ranges (answers 200) sends the file whole over
//! that first connection (again from its start, if it breaks).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

use super::cache::RepoCache;
use super::connections::{Growth, TransferLimits};
use super::hub::Hub;
use super::partial::{lock, Book};
use super::progress::Meter;
use super::ranges::Ranges;
use super::retry::TryError;
use super::types::{DownloadError, RepoFile};

mod receive;

use receive::check_range;

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

/// How a piece's fetch ended.
enum Landed {
    /// The piece is on disk.
    Piece,
    /// The whole file is on disk (a server that ignores ranges).
    WholeFile,
    /// Another connection brings the whole file; nothing to do here.
    Elsewhere,
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
    ) -> Result<(Route, reqwest::Response), TryError> {
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

    /// Fetches what is missing of piece `index` of `job`, trying again from where it got to
    /// (after a growing wait) while its connection breaks and tries are left, and finishes
    /// the file when it was its last.
    async fn fetch_piece(&self, job: &FileJob, index: usize) -> Result<(), DownloadError> {
        let mut whole = false;
        let mut tries = 0;
        let landed = loop {
            tries += 1;
            match self.try_piece(job, index, &mut whole).await {
                Ok(landed) => break landed,
                Err(error) => match (&error, self.limits.retry.wait(tries)) {
                    (TryError::Broken(_), Some(wait)) => tokio::time::sleep(wait).await,
                    _ => return Err(error.into_download_error(&job.file.path, tries)),
                },
            }
        };
        match landed {
            Landed::Elsewhere => Ok(()),
            Landed::WholeFile => {
                job.remaining.store(0, Ordering::Release);
                self.finish(job).await
            }
            Landed::Piece => {
                if job.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                    self.finish(job).await?;
                }
                Ok(())
            }
        }
    }

    /// One try at piece `index`, from the byte it got to. `whole` says that this piece's
    /// connection carries the whole file (a server that ignores ranges): set by the try that
    /// finds so, it makes a further try fetch the file again from its start.
    async fn try_piece(
        &self,
        job: &FileJob,
        index: usize,
        whole: &mut bool,
    ) -> Result<Landed, TryError> {
        let piece = lock(&job.book).ranges.pieces()[index];
        if piece.missing() == 0 && !*whole {
            return Ok(Landed::Piece);
        }
        let mut first = None;
        let slot = &mut first;
        let route = job
            .route
            .get_or_try_init(|| async move {
                let (route, response) = self.open(job, piece.next(), piece.end).await?;
                *slot = Some(response);
                Ok::<_, TryError>(route)
            })
            .await?;
        let response = match first {
            Some(response) => response,
            // Another connection brings the file whole.
            None if route.whole && !*whole => return Ok(Landed::Elsewhere),
            None if route.whole => {
                self.hub
                    .get_range(&route.url, self.commit, 0, job.file.size)
                    .await?
            }
            None => {
                self.hub
                    .get_range(&route.url, self.commit, piece.next(), piece.end)
                    .await?
            }
        };
        if route.whole {
            *whole = true;
            let had = {
                let mut book = lock(&job.book);
                let had = book.ranges.done();
                book.ranges.restart();
                had
            };
            self.meter.take_back(had);
            self.receive(job, route, response, None, 0, job.file.size)
                .await?;
            lock(&job.book).ranges.complete();
            return Ok(Landed::WholeFile);
        }
        check_range(&response, piece.next(), &job.file.path)?;
        self.receive(job, route, response, Some(index), piece.next(), piece.end)
            .await?;
        Ok(Landed::Piece)
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
