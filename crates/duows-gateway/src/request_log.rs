//! The request log: one JSON object per line in `requests.jsonl`, rotated by size. Records
//! travel over a bounded channel to a writer thread, so the request path never waits on
//! the disk; when the writer falls behind, records are dropped and counted.
//!
//! Token counts are read from the engine's `usage` report here, on the writer thread, not
//! on the request path. Prompts and outputs are written only when the user turned that on.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use duows_base::clock::rfc3339;
use serde::{Deserialize, Serialize};

use crate::errors::ErrorCode;

/// The log file's name in its folder.
pub const LOG_FILE: &str = "requests.jsonl";
/// Size at which the log is rotated.
const ROTATE_BYTES: u64 = 20 * 1024 * 1024;
/// Rotated files kept (`requests.jsonl.1` is the newest).
const KEEP: u32 = 3;
/// Records that may wait for the writer.
const QUEUE: usize = 8192;
/// How long a busy writer gathers records before writing them (the queue holds 8,192, so
/// up to 160,000 requests/s).
const BATCH_EVERY: Duration = Duration::from_millis(50);

/// What the answer's body tells about token usage, kept for the writer to read.
#[derive(Debug, Default)]
pub(crate) enum UsageSource {
    /// Nothing to read.
    #[default]
    None,
    /// A whole JSON answer, in chunks.
    Json(Vec<Bytes>),
    /// The last chunks of an event stream that mentioned `"usage"`.
    Events(Vec<Bytes>),
}

/// One finished request.
#[derive(Debug)]
pub(crate) struct LogRecord {
    pub time: SystemTime,
    pub request_id: String,
    /// The id the engine got (`X-Request-Id` upstream), when the request was sent upstream.
    pub upstream_request_id: Option<String>,
    pub key_id: Option<Arc<str>>,
    pub model: Option<String>,
    pub alias: Option<Arc<str>>,
    pub deployment: Option<Arc<str>>,
    pub status: u16,
    pub stream: bool,
    pub latency: Duration,
    pub ttfb: Option<Duration>,
    pub error: Option<ErrorCode>,
    pub usage: UsageSource,
    /// The request body, only when bodies are logged.
    pub request_body: Option<Bytes>,
    /// The answer as received, only when bodies are logged.
    pub response_body: Option<Vec<Bytes>>,
    /// An engine's error answer that did not reach the client as sent (a traceback, file
    /// paths, no OpenAI error), kept whole here; the client got a cleaned one.
    pub upstream_error: Option<String>,
    /// What the gateway changed in the request to make it succeed (e.g. `max_tokens` lowered
    /// to the engine's context).
    pub adjusted: Option<String>,
    /// The replica that answered (or failed last), for a deployment with several.
    pub replica: Option<Arc<str>>,
    /// Replicas tried; more than one when the request failed before answering and went on.
    pub attempts: u8,
}

/// The sending side of the request log.
#[derive(Debug, Clone)]
pub(crate) struct RequestLog {
    sender: SyncSender<LogRecord>,
}

impl RequestLog {
    /// Starts the writer thread for `dir`; the folder and file are created when the first
    /// record arrives. The thread ends when every sender is gone.
    pub fn start(dir: PathBuf) -> io::Result<Self> {
        Self::start_with(dir, ROTATE_BYTES)
    }

    fn start_with(dir: PathBuf, rotate_bytes: u64) -> io::Result<Self> {
        let (sender, receiver) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("duows-request-log".into())
            .spawn(move || {
                LogWriter {
                    dir,
                    rotate_bytes,
                    file: None,
                    written: 0,
                    failing: false,
                }
                .run(receiver)
            })?;
        Ok(Self { sender })
    }

    /// Queues a record; `false` if the writer is behind (or gone) and it was dropped.
    pub fn send(&self, record: LogRecord) -> bool {
        match self.sender.try_send(record) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

struct LogWriter {
    dir: PathBuf,
    rotate_bytes: u64,
    file: Option<BufWriter<File>>,
    written: u64,
    /// Whether the last attempt to write failed (to report a failure once, not per line).
    failing: bool,
}

impl LogWriter {
    /// Writes records as they come. A record that arrives within [`BATCH_EVERY`] of the last
    /// batch means records are frequent: the writer then gathers them for [`BATCH_EVERY`]
    /// at a time instead of being woken for each (a request's `send` then finds no one to
    /// wake), until a gathering finds nothing and it waits to be woken again. At a few
    /// requests a second it is woken once a request, as before.
    fn run(mut self, receiver: Receiver<LogRecord>) {
        let mut line = Vec::with_capacity(1024);
        let mut last_batch: Option<Instant> = None;
        while let Ok(record) = receiver.recv() {
            let mut next = Some(record);
            let frequent = last_batch.is_some_and(|at| at.elapsed() < BATCH_EVERY);
            loop {
                while let Some(record) = next {
                    line.clear();
                    render(&record, &mut line);
                    let result = self.write(&line);
                    self.report(result);
                    next = receiver.try_recv().ok();
                }
                let result = self.file.as_mut().map_or(Ok(()), |f| f.flush());
                self.report(result);
                last_batch = Some(Instant::now());
                if !frequent {
                    break;
                }
                std::thread::sleep(BATCH_EVERY);
                match receiver.try_recv() {
                    Ok(record) => next = Some(record),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
        }
    }

    fn report(&mut self, result: io::Result<()>) {
        match result {
            Ok(()) => self.failing = false,
            Err(error) => {
                if !self.failing {
                    tracing::error!(%error, dir = %self.dir.display(), "cannot write the request log");
                }
                self.failing = true;
                self.file = None;
            }
        }
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        if self.file.is_some() && self.written >= self.rotate_bytes {
            if let Some(mut file) = self.file.take() {
                file.flush()?;
            }
            rotate(&self.dir)?;
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                fs::create_dir_all(&self.dir)?;
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.join(LOG_FILE))?;
                self.written = file.metadata()?.len();
                self.file.insert(BufWriter::with_capacity(64 * 1024, file))
            }
        };
        file.write_all(line)?;
        self.written += line.len() as u64;
        Ok(())
    }
}

/// `requests.jsonl` → `.1` → `.2` → … → `.KEEP`, the oldest dropped.
fn rotate(dir: &Path) -> io::Result<()> {
    let name = |n: u32| dir.join(format!("{LOG_FILE}.{n}"));
    match fs::remove_file(name(KEEP)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    for n in (1..KEEP).rev() {
        match fs::rename(name(n), name(n + 1)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    fs::rename(dir.join(LOG_FILE), name(1))
}

/// One line of the log.
#[derive(Serialize)]
struct Line<'a> {
    time: String,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_request_id: Option<&'a str>,
    key_id: Option<&'a str>,
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<&'a str>,
    deployment: Option<&'a str>,
    status: u16,
    stream: bool,
    latency_ms: f64,
    ttfb_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_body: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_body: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adjusted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replica: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u8>,
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn render(record: &LogRecord, out: &mut Vec<u8>) {
    let usage = read_usage(&record.usage);
    let line = Line {
        time: rfc3339(record.time),
        request_id: &record.request_id,
        upstream_request_id: record.upstream_request_id.as_deref(),
        key_id: record.key_id.as_deref(),
        model: record.model.as_deref(),
        alias: record.alias.as_deref(),
        deployment: record.deployment.as_deref(),
        status: record.status,
        stream: record.stream,
        latency_ms: millis(record.latency),
        ttfb_ms: record.ttfb.map(millis),
        prompt_tokens: usage.and_then(|u| u.prompt_tokens),
        completion_tokens: usage.and_then(|u| u.completion_tokens),
        error: record.error.map(ErrorCode::as_str),
        request_body: record.request_body.as_ref().map(|b| body_value(b)),
        response_body: record
            .response_body
            .as_ref()
            .map(|chunks| body_value(&chunks.concat())),
        upstream_error: record.upstream_error.as_deref(),
        adjusted: record.adjusted.as_deref(),
        replica: record.replica.as_deref(),
        attempts: (record.attempts > 1).then_some(record.attempts),
    };
    if serde_json::to_writer(&mut *out, &line).is_err() {
        out.clear();
        out.extend_from_slice(br#"{"error":"unserialisable log record"}"#);
    }
    out.push(b'\n');
}

/// A body as JSON when it is JSON, else as text.
fn body_value(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// OpenAI's `usage` object (only the counts the log keeps).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct WithUsage {
    usage: Option<Usage>,
}

fn read_usage(source: &UsageSource) -> Option<Usage> {
    match source {
        UsageSource::None => None,
        UsageSource::Json(chunks) => {
            serde_json::from_slice::<WithUsage>(&chunks.concat())
                .ok()?
                .usage
        }
        UsageSource::Events(chunks) => {
            let text = chunks.concat();
            text.rsplit(|b| *b == b'\n')
                .filter_map(|line| line.strip_prefix(b"data:"))
                .find_map(|data| {
                    serde_json::from_slice::<WithUsage>(data.trim_ascii())
                        .ok()?
                        .usage
                })
        }
    }
}

#[cfg(test)]
#[path = "request_log_tests.rs"]
mod tests;
