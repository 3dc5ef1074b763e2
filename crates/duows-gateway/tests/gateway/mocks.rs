//! Mock engines: axum servers that answer like vLLM, record what they receive, and can be
//! told to stream slowly, die mid-answer, fall silent, or never answer.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::stream;

use crate::common::Recorder;

/// A non-streaming answer with unusual spacing, to check it arrives byte for byte.
pub const ANSWER: &str = "{\"id\":\"chatcmpl-1\",  \"object\":\"chat.completion\",\n \"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi \\u00e9\"}}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4,\"total_tokens\":15}}";

async fn record(rec: &Recorder, request: Request) -> (HeaderMap, Bytes) {
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .expect("request body");
    rec.record(&path, &headers, &body);
    (headers, body)
}

/// Answers every completion request with [`ANSWER`] (status 200, `application/json; charset=utf-8`).
pub fn answering(rec: Arc<Recorder>) -> Router {
    async fn handler(State(rec): State<Arc<Recorder>>, request: Request) -> Response {
        record(&rec, request).await;
        (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            ANSWER,
        )
            .into_response()
    }
    Router::new()
        .route("/v1/chat/completions", post(handler))
        .route("/v1/completions", post(handler))
        .with_state(rec)
}

/// Answers with an engine error: 400 and vLLM's error body.
pub fn refusing(rec: Arc<Recorder>) -> Router {
    async fn handler(State(rec): State<Arc<Recorder>>, request: Request) -> Response {
        record(&rec, request).await;
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}"#,
        )
            .into_response()
    }
    Router::new()
        .route("/v1/chat/completions", post(handler))
        .with_state(rec)
}

/// Answers every completion request with `status`, `content_type` and `body`, like an engine
/// that fails (a traceback in a 500, an empty 400).
pub fn failing(
    rec: Arc<Recorder>,
    status: StatusCode,
    content_type: &'static str,
    body: &'static str,
) -> Router {
    let handler = move |State(rec): State<Arc<Recorder>>, request: Request| async move {
        record(&rec, request).await;
        (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    Router::new()
        .route("/v1/chat/completions", post(handler))
        .route("/v1/completions", post(handler))
        .with_state(rec)
}

/// Waits `delay` before answering.
pub fn slow(rec: Arc<Recorder>, delay: Duration) -> Router {
    Router::new()
        .route(
            "/v1/chat/completions",
            post(
                move |State(rec): State<Arc<Recorder>>, request: Request| async move {
                    record(&rec, request).await;
                    tokio::time::sleep(delay).await;
                    ANSWER
                },
            ),
        )
        .with_state(rec)
}

/// How a streamed answer ends.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// `data: [DONE]`, then the end of the body.
    Done,
    /// The connection breaks.
    Die,
    /// Nothing more is sent, ever.
    Hang,
}

/// Sets the recorder's `dropped` flag if the stream is dropped before it ends.
struct DropWatch {
    rec: Arc<Recorder>,
    ended: bool,
}

impl Drop for DropWatch {
    fn drop(&mut self) {
        if !self.ended {
            self.rec.dropped.store(true, Ordering::SeqCst);
        }
    }
}

/// Streams `events` (each sent as `data: <event>\n\n`), `gap` apart, the first at once,
/// marking each send in the recorder; then ends as `end` says.
pub fn streaming(rec: Arc<Recorder>, events: Vec<String>, gap: Duration, end: End) -> Router {
    let handler = move |State(rec): State<Arc<Recorder>>, request: Request| {
        let events = events.clone();
        async move {
            record(&rec, request).await;
            let watch = DropWatch {
                rec: rec.clone(),
                ended: false,
            };
            let count = events.len();
            let body = stream::unfold(
                (0usize, watch, events),
                move |(i, mut watch, events)| async move {
                    if i < count {
                        if i > 0 {
                            tokio::time::sleep(gap).await;
                        }
                        watch.rec.mark_sent();
                        let chunk = Bytes::from(format!("data: {}\n\n", events[i]));
                        return Some((Ok(chunk), (i + 1, watch, events)));
                    }
                    match end {
                        End::Done if i == count => {
                            watch.ended = true;
                            Some((
                                Ok(Bytes::from_static(b"data: [DONE]\n\n")),
                                (i + 1, watch, events),
                            ))
                        }
                        End::Done => None,
                        End::Die if i == count => {
                            watch.ended = true;
                            Some((
                                Err(std::io::Error::other("engine crashed")),
                                (i + 1, watch, events),
                            ))
                        }
                        End::Die => None,
                        End::Hang => {
                            std::future::pending::<()>().await;
                            None
                        }
                    }
                },
            );
            (
                [(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")],
                Body::from_stream(body),
            )
        }
    };
    Router::new()
        .route("/v1/chat/completions", post(handler))
        .with_state(rec)
}

/// `n` chat-completion chunk events numbered 0.., then one with `usage`.
pub fn chunk_events(n: usize) -> Vec<String> {
    let mut events: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"c","object":"chat.completion.chunk","choices":[{{"index":0,"delta":{{"content":"t{i}"}}}}],"i":{i}}}"#
            )
        })
        .collect();
    events.push(
        r#"{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":5,"total_tokens":26}}"#
            .to_owned(),
    );
    events
}

/// Reads a streamed body: each read's bytes and when it arrived.
pub async fn read_chunks(mut response: reqwest::Response) -> Vec<(std::time::Instant, Bytes)> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.expect("read a chunk") {
        out.push((std::time::Instant::now(), chunk));
    }
    out
}

/// All of a streamed body as text.
pub fn text_of(chunks: &[(std::time::Instant, Bytes)]) -> String {
    chunks
        .iter()
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .collect()
}
