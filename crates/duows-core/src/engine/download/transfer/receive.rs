//! One answer's body onto disk: bytes gathered into the connection's buffer, written at
//! their offset of the partial file and counted in their piece, so a break keeps everything
//! that arrived before it and the next try starts after it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::StreamExt;

use super::super::partial::{lock, write_all_at};
use super::super::retry::TryError;
use super::super::types::DownloadError;
use super::{FileJob, Route, Transfer, RECORD_EVERY, WRITE_BUFFER};

impl Transfer<'_> {
    /// Writes the body of `response` at `start..end` of the partial file, counting it in
    /// piece `index` (none: the whole file, recorded once complete). A body that breaks off
    /// or stalls is [`TryError::Broken`]; a whole file's bytes then count for nothing.
    pub(super) async fn receive(
        &self,
        job: &FileJob,
        route: &Route,
        response: reqwest::Response,
        index: Option<usize>,
        start: u64,
        end: u64,
    ) -> Result<(), TryError> {
        let mut body = response.bytes_stream();
        let mut offset = start;
        let mut buffer = Vec::with_capacity(WRITE_BUFFER);
        let broke_off = |detail: String, offset: u64| {
            if index.is_none() {
                self.meter.take_back(offset - start);
            }
            TryError::Broken(detail)
        };
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
                return Err(broke_off(failure.to_string(), offset));
            }
            if offset >= end {
                if chunk.is_some() {
                    // Reading the end of the body lets the connection serve the next piece.
                    let _ = body.next().await;
                }
                return Ok(());
            }
            if chunk.is_none() {
                return Err(broke_off(
                    format!("the answer ended {} bytes short", end - offset),
                    offset,
                ));
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
}

/// A range answer must start where it was asked to.
pub(super) fn check_range(
    response: &reqwest::Response,
    start: u64,
    path: &str,
) -> Result<(), DownloadError> {
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
