//! The answer's body on its way to the client: each upstream chunk is passed on as it
//! arrives, never gathered. A silence longer than the idle timeout, or an upstream that
//! breaks off, ends an event stream with a final `data: {"error":…}` event and no
//! `data: [DONE]` (the status line is already sent); other bodies are cut off so the client
//! sees them incomplete. Dropping the relay (the client left) drops the upstream connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::Stream;
use tokio::time::Sleep;

use crate::errors::{error_json, ErrorCode};
use crate::exchange::Exchange;

/// The upstream body.
pub(crate) type UpstreamBody = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

pub(crate) struct Relay {
    upstream: Option<UpstreamBody>,
    /// The chunk read while waiting for the first byte, not yet passed on.
    first: Option<Bytes>,
    idle: Pin<Box<Sleep>>,
    idle_timeout: Duration,
    event_stream: bool,
    /// The last two bytes passed on, to end a broken event cleanly.
    tail: [u8; 2],
    /// Bytes still to come when the upstream declared a length. The server stops reading a
    /// body once that many bytes are out, so the answer counts as complete right then.
    remaining: Option<u64>,
    exchange: Exchange,
}

impl Relay {
    pub fn new(
        upstream: UpstreamBody,
        first: Option<Bytes>,
        idle_timeout: Duration,
        event_stream: bool,
        length: Option<u64>,
        exchange: Exchange,
    ) -> Self {
        let ended = first.is_none() || length == Some(0);
        let mut relay = Self {
            upstream: Some(upstream),
            first,
            idle: Box::pin(tokio::time::sleep(idle_timeout)),
            idle_timeout,
            event_stream,
            tail: *b"\n\n",
            remaining: length,
            exchange,
        };
        if ended {
            relay.end();
        }
        relay
    }

    /// Passes a chunk on.
    fn pass(&mut self, chunk: Bytes) -> Poll<Option<io::Result<Bytes>>> {
        self.exchange.keep_chunk(&chunk, self.event_stream);
        match chunk.len() {
            0 => {}
            1 => self.tail = [self.tail[1], chunk[0]],
            n => self.tail = [chunk[n - 2], chunk[n - 1]],
        }
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining.saturating_sub(chunk.len() as u64);
            if *remaining == 0 && self.upstream.is_some() {
                self.end();
            }
        }
        Poll::Ready(Some(Ok(chunk)))
    }

    /// The upstream answer ended cleanly.
    fn end(&mut self) {
        self.upstream = None;
        self.exchange.upstream_done_at = Some(Instant::now());
        self.exchange.finish();
    }

    /// The upstream answer broke off: tell the client in the way the body allows.
    fn fail(&mut self, code: ErrorCode, message: String) -> Poll<Option<io::Result<Bytes>>> {
        self.upstream = None;
        self.exchange.error = Some(code);
        self.exchange.finish();
        if !self.event_stream {
            return Poll::Ready(Some(Err(io::Error::other(message))));
        }
        let mut event = String::with_capacity(message.len() + 128);
        // Close whatever event the upstream left half-written.
        if self.tail != *b"\n\n" {
            event.push_str(if self.tail[1] == b'\n' { "\n" } else { "\n\n" });
        }
        event.push_str("data: ");
        event.push_str(&error_json(&message, code, None));
        event.push_str("\n\n");
        Poll::Ready(Some(Ok(Bytes::from(event))))
    }

    fn deployment(&self) -> &str {
        self.exchange.deployment.as_deref().unwrap_or("?")
    }
}

/// The innermost cause of an HTTP client error, e.g. "Connection refused (os error 111)".
pub(crate) fn error_chain(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    cause.to_string()
}

impl Stream for Relay {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return this.pass(first);
        }
        let Some(upstream) = this.upstream.as_mut() else {
            return Poll::Ready(None);
        };
        match upstream.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let deadline = tokio::time::Instant::now() + this.idle_timeout;
                this.idle.as_mut().reset(deadline);
                this.pass(chunk)
            }
            Poll::Ready(Some(Err(error))) => {
                let message = format!(
                    "the deployment `{}` broke off its answer: {}; the answer is incomplete",
                    this.deployment(),
                    error_chain(&error)
                );
                this.fail(ErrorCode::UpstreamFailed, message)
            }
            Poll::Ready(None) => {
                this.end();
                Poll::Ready(None)
            }
            Poll::Pending => match this.idle.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let message = format!(
                        "the deployment `{}` sent nothing for {} s; the answer is incomplete",
                        this.deployment(),
                        this.idle_timeout.as_secs_f64()
                    );
                    this.fail(ErrorCode::UpstreamIdle, message)
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
