//! One proxied request from arrival to the end of its answer: what it asked for, where it
//! went (and on which replica, holding it as outstanding there until the answer ends), how
//! long each part took. When it ends (or the client leaves and it is dropped), it is counted
//! in the metrics and written to the request log.

use std::sync::Arc;
use std::time::Instant;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::correlation::RequestContext;
use crate::errors::{ErrorCode, OpenAiError};
use crate::metrics::UNKNOWN_MODEL;
use crate::replicas::ReplicaLease;
use crate::request_log::{LogRecord, UsageSource};
use crate::state::Shared;

/// The most of an answer kept for the log (usage reading or logged bodies).
const KEEP_BYTES: usize = 4 * 1024 * 1024;

/// Status recorded when the client left before the answer began (nginx's convention).
const CLIENT_CLOSED: u16 = 499;

pub(crate) struct Exchange {
    shared: Arc<Shared>,
    pub ctx: RequestContext,
    /// The model as asked for.
    pub model: Option<String>,
    pub alias: Option<Arc<str>>,
    pub deployment: Option<Arc<str>>,
    pub stream: bool,
    /// Status sent (or about to be sent) to the client.
    pub status: u16,
    pub error: Option<ErrorCode>,
    /// When the request was sent upstream.
    pub sent_at: Option<Instant>,
    /// When the first byte of the answer arrived.
    pub first_byte_at: Option<Instant>,
    /// When the upstream answer ended cleanly.
    pub upstream_done_at: Option<Instant>,
    /// An upstream error answer the client got cleaned, kept whole for the log.
    pub upstream_error: Option<String>,
    /// What the gateway changed in the request to make it succeed.
    pub adjusted: Option<String>,
    /// The replica the request went to last; it counts as outstanding there until the end.
    pub replica: Option<ReplicaLease>,
    /// Whether the deployment has more than one replica (then the log names the replica).
    pub several_replicas: bool,
    /// Replicas tried (more than one when it failed before answering and went on).
    pub attempts: u8,
    usage: UsageSource,
    kept_bytes: usize,
    request_body: Option<Bytes>,
    response_body: Option<Vec<Bytes>>,
    finished: bool,
}

impl Exchange {
    pub fn begin(shared: Arc<Shared>, ctx: RequestContext) -> Self {
        shared.metrics.started();
        Self {
            shared,
            ctx,
            model: None,
            alias: None,
            deployment: None,
            stream: false,
            status: CLIENT_CLOSED,
            error: None,
            sent_at: None,
            first_byte_at: None,
            upstream_done_at: None,
            upstream_error: None,
            adjusted: None,
            replica: None,
            several_replicas: false,
            attempts: 0,
            usage: UsageSource::None,
            kept_bytes: 0,
            request_body: None,
            response_body: None,
            finished: false,
        }
    }

    /// Whether answers are read for the log (usage, bodies).
    pub fn logging(&self) -> bool {
        self.shared.log.is_some()
    }

    /// Whether prompts and outputs are logged.
    pub fn logging_bodies(&self) -> bool {
        self.shared.log.is_some() && self.shared.config.log_bodies
    }

    /// Keeps the request body for the log, when bodies are logged.
    pub fn keep_request(&mut self, body: &Bytes) {
        if self.logging_bodies() {
            self.request_body = Some(body.clone());
        }
    }

    /// Sees one chunk of the answer: keeps what the log needs.
    pub fn keep_chunk(&mut self, chunk: &Bytes, event_stream: bool) {
        if !self.logging() {
            return;
        }
        self.kept_bytes += chunk.len();
        let within = self.kept_bytes <= KEEP_BYTES;
        if self.shared.config.log_bodies {
            if within {
                self.response_body
                    .get_or_insert_with(Vec::new)
                    .push(chunk.clone());
            } else {
                self.response_body = None;
            }
        }
        if event_stream {
            self.keep_usage_event(chunk);
        } else {
            match (&mut self.usage, within) {
                (UsageSource::Json(chunks), true) => chunks.push(chunk.clone()),
                (UsageSource::None, true) if self.kept_bytes == chunk.len() => {
                    self.usage = UsageSource::Json(vec![chunk.clone()]);
                }
                _ => self.usage = UsageSource::None,
            }
        }
    }

    /// Keeps the latest event-stream chunk that mentions `"usage"`, plus the chunks that
    /// complete its event.
    fn keep_usage_event(&mut self, chunk: &Bytes) {
        if memchr::memmem::find(chunk, b"\"usage\"").is_some() {
            self.usage = UsageSource::Events(vec![chunk.clone()]);
            return;
        }
        if let UsageSource::Events(chunks) = &mut self.usage {
            let open = chunks.last().is_some_and(|c| !c.ends_with(b"\n\n"));
            if open && chunks.len() < 16 {
                chunks.push(chunk.clone());
            }
        }
    }

    /// Ends the request with an error reply.
    pub fn fail(mut self, error: OpenAiError) -> Response {
        self.status = error.status.as_u16();
        self.error = Some(error.code);
        self.finish();
        error.into_response()
    }

    /// Counts and logs the request, once.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let now = Instant::now();
        let metrics = &self.shared.metrics;
        let latency = now - self.ctx.started;
        metrics.ended();
        let label = match (&self.deployment, &self.model) {
            (Some(_), Some(model)) => model.as_str(),
            _ => UNKNOWN_MODEL,
        };
        metrics.request(label, self.status, latency);
        if let Some(code) = self.error {
            metrics.error(code);
        }
        let ttfb = self
            .sent_at
            .zip(self.first_byte_at)
            .map(|(sent, first)| first - sent);
        if let Some(ttfb) = ttfb {
            metrics.ttfb(ttfb);
        }
        if let (Some(sent), Some(done)) = (self.sent_at, self.upstream_done_at) {
            let upstream = done - sent;
            metrics.overhead(latency.saturating_sub(upstream));
        }
        // Releasing the lease ends the request's time as outstanding on its replica. Failures
        // before the answer began were counted where they happened; an answer that broke off
        // is counted here.
        let replica = self.replica.take();
        if let Some(lease) = &replica {
            let broke_off = matches!(
                self.error,
                Some(ErrorCode::UpstreamFailed | ErrorCode::UpstreamIdle)
            );
            if broke_off && self.first_byte_at.is_some() {
                lease.health().error();
            }
        }
        let Some(log) = &self.shared.log else { return };
        let record = LogRecord {
            time: self.ctx.received_at,
            request_id: String::from_utf8_lossy(self.ctx.ids.request_id.as_bytes()).into_owned(),
            // The engine saw an id only when the request went upstream.
            upstream_request_id: self
                .sent_at
                .map(|_| String::from_utf8_lossy(self.ctx.ids.upstream_id.as_bytes()).into_owned()),
            key_id: self.ctx.key_id.clone(),
            model: self.model.take(),
            alias: self.alias.take(),
            deployment: self.deployment.take(),
            status: self.status,
            stream: self.stream,
            latency,
            // In the log, time to first byte counts from the request's arrival.
            ttfb: self.first_byte_at.map(|first| first - self.ctx.started),
            error: self.error,
            usage: std::mem::take(&mut self.usage),
            request_body: self.request_body.take(),
            response_body: self.response_body.take(),
            upstream_error: self.upstream_error.take(),
            adjusted: self.adjusted.take(),
            replica: replica
                .filter(|_| self.several_replicas)
                .map(|lease| lease.health().base_url.clone()),
            attempts: self.attempts,
        };
        if !log.send(record) {
            metrics.log_dropped();
        }
    }
}

impl Drop for Exchange {
    /// A request dropped before it finished lost its client.
    fn drop(&mut self) {
        if !self.finished {
            self.error.get_or_insert(ErrorCode::ClientDisconnected);
            self.finish();
        }
    }
}
