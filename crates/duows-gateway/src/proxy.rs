//! Forwarding one completion request: read and check the body, resolve the model, send it
//! to a replica of the deployment (the one with the fewest requests outstanding) with that
//! replica's own key and a fresh request id, wait for the first byte within the
//! time-to-first-byte limit, then hand the rest to the [`Relay`]. A replica that fails
//! before answering is taken out and the request goes to another; once a byte has reached
//! the client it is never sent again. An error answer is read whole first, to keep
//! tracebacks and paths from the client ([`crate::upstream_error`]).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::context_fit;
use crate::correlation::{self, RequestContext};
use crate::errors::{ErrorCode, OpenAiError};
use crate::exchange::Exchange;
use crate::model_routes::Endpoint;
use crate::relay::{error_chain, Relay, UpstreamBody};
use crate::request_body;
use crate::state::Shared;
use crate::upstream_error::{self, Verdict};

/// Why no first byte came from the upstream.
enum Silence {
    /// The request could not be sent, or no answer head came back.
    Send(reqwest::Error),
    /// The answer's first chunk could not be read.
    Body(reqwest::Error),
    /// No first byte within the limit.
    Timeout,
}

impl Silence {
    /// The error the client gets when `deployment` at `base_url` did not answer.
    fn into_error(self, deployment: &str, base_url: &str, shared: &Shared) -> OpenAiError {
        match self {
            Silence::Send(e) if e.is_connect() => OpenAiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamUnreachable,
                format!(
                    "the deployment `{deployment}` at {base_url} cannot be reached ({}); is its engine running?",
                    error_chain(&e)
                ),
            ),
            Silence::Send(e) | Silence::Body(e) => OpenAiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamFailed,
                format!(
                    "the deployment `{deployment}` failed before answering: {}",
                    error_chain(&e)
                ),
            ),
            Silence::Timeout => OpenAiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::UpstreamTimeout,
                format!(
                    "the deployment `{deployment}` did not start answering within {} s",
                    shared.config.ttfb_timeout.as_secs_f64()
                ),
            ),
        }
    }
}

mod failover;

use failover::{first_answer, Answered};

/// Sends one request and waits for the answer's first byte within the time-to-first-byte
/// limit.
async fn send(
    shared: &Shared,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Head, Silence> {
    let pending = shared.client.post(url).headers(headers).body(body).send();
    let first_byte = async move {
        let response = pending.await.map_err(Silence::Send)?;
        let status = response.status();
        let headers = passed_headers(response.headers());
        let mut body: UpstreamBody = Box::pin(response.bytes_stream());
        let first = body.next().await.transpose().map_err(Silence::Body)?;
        Ok(Head {
            status,
            headers,
            first,
            body,
        })
    };
    match tokio::time::timeout(shared.config.ttfb_timeout, first_byte).await {
        Ok(result) => result,
        Err(_) => Err(Silence::Timeout),
    }
}

/// The upstream answer once its first byte is in.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    first: Option<Bytes>,
    body: UpstreamBody,
}

/// Forwards a request to `endpoint` of the deployment its `model` names.
pub(crate) async fn forward(
    shared: Arc<Shared>,
    endpoint: Endpoint,
    mut request: Request,
) -> Response {
    let ctx = request
        .extensions_mut()
        .remove::<RequestContext>()
        .unwrap_or_else(|| context_of(request.headers()));
    let mut exchange = Exchange::begin(shared.clone(), ctx);
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = match request_body::read(request.into_body(), shared.config.max_body_bytes, declared)
        .await
    {
        Ok(body) => body,
        Err(error) => return exchange.fail(error),
    };
    let parsed = match request_body::parse(&body, endpoint) {
        Ok(parsed) => parsed,
        Err(error) => return exchange.fail(error),
    };
    exchange.stream = parsed.stream;
    exchange.keep_request(&body);
    let routes = shared.routes();
    let resolved = routes.resolve(&parsed.model);
    exchange.model = Some(parsed.model.clone());
    let resolved = match resolved {
        Ok(resolved) => resolved,
        Err(error) => return exchange.fail(error),
    };
    let target = resolved.target;
    exchange.deployment = Some(target.name.clone());
    exchange.alias = resolved.alias.cloned();
    exchange.several_replicas = target.upstreams.len() > 1;
    let upstream_body = request_body::with_model(&body, &parsed, &target.model_literal);
    exchange.sent_at = Some(Instant::now());
    let Answered {
        mut head,
        upstream,
        url,
        headers,
    } = match first_answer(&shared, target, endpoint, &mut exchange, &upstream_body).await {
        Ok(answered) => answered,
        Err(error) => return exchange.fail(error),
    };
    if head.status == StatusCode::BAD_REQUEST {
        // An answer too long for the engine's context: lower it to what fits, once.
        let error =
            upstream_error::read(head.first.take(), head.body, shared.config.idle_timeout).await;
        let refit = context_fit::requested_max_tokens(&upstream_body).and_then(|asked| {
            let message = String::from_utf8_lossy(&error.bytes);
            let fits = context_fit::fitting_max_tokens(&message, asked)?;
            Some((
                asked,
                fits,
                context_fit::with_max_tokens(&upstream_body, fits)?,
            ))
        });
        head = match refit {
            Some((asked, fits, lowered)) => {
                tracing::info!(
                    request_id = %String::from_utf8_lossy(exchange.ctx.ids.request_id.as_bytes()),
                    deployment = %target.name,
                    asked,
                    lowered_to = fits,
                    "max_tokens lowered to fit the engine's context"
                );
                exchange.adjusted = Some(format!(
                    "max_tokens lowered from {asked} to {fits} to fit the engine's context"
                ));
                match send(&shared, url, headers, lowered).await {
                    Ok(head) => head,
                    Err(silence) => {
                        upstream.health.error();
                        return exchange.fail(silence.into_error(
                            &target.name,
                            &upstream.base_url,
                            &shared,
                        ));
                    }
                }
            }
            None => Head {
                status: head.status,
                headers: head.headers,
                first: Some(error.bytes),
                body: Box::pin(futures_util::stream::empty()),
            },
        };
    }
    exchange.first_byte_at = Some(Instant::now());
    exchange.status = head.status.as_u16();
    if head.status.is_client_error() || head.status.is_server_error() {
        return error_answer(exchange, head, shared.config.idle_timeout).await;
    }
    let event_stream = head
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/event-stream"));
    let mut headers = head.headers;
    if event_stream {
        headers.remove(CONTENT_LENGTH);
    }
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let relay = Relay::new(
        head.body,
        head.first,
        shared.config.idle_timeout,
        event_stream,
        length,
        exchange,
    );
    let mut response = Response::new(Body::from_stream(relay));
    *response.status_mut() = head.status;
    *response.headers_mut() = headers;
    response
}

/// Passes on an upstream error answer when it is a clean OpenAI error; replaces it otherwise,
/// logging what the engine said.
async fn error_answer(mut exchange: Exchange, head: Head, idle: Duration) -> Response {
    let body = upstream_error::read(head.first, head.body, idle).await;
    exchange.upstream_done_at = Some(Instant::now());
    let request_id = String::from_utf8_lossy(exchange.ctx.ids.request_id.as_bytes()).into_owned();
    let deployment = exchange.deployment.as_deref().unwrap_or("?").to_owned();
    match upstream_error::judge(head.status, &body, &deployment, &request_id) {
        Verdict::PassOn => {
            let mut headers = head.headers;
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.bytes.len()));
            let length = body.bytes.len() as u64;
            let rest: UpstreamBody = Box::pin(futures_util::stream::empty());
            let relay = Relay::new(rest, Some(body.bytes), idle, false, Some(length), exchange);
            let mut response = Response::new(Body::from_stream(relay));
            *response.status_mut() = head.status;
            *response.headers_mut() = headers;
            response
        }
        Verdict::Replace(mut error) => {
            // An engine's error often echoes the request (FastAPI's `input`, a traceback's
            // quoted line): the whole answer is logged only where prompts may be.
            let upstream_body = if exchange.logging_bodies() {
                String::from_utf8_lossy(&body.bytes).into_owned()
            } else {
                format!(
                    "{} (the engine's answer of {} bytes is logged whole only with log_prompts on)",
                    error.message,
                    body.bytes.len()
                )
            };
            tracing::warn!(
                request_id = %request_id,
                upstream_request_id = %String::from_utf8_lossy(exchange.ctx.ids.upstream_id.as_bytes()),
                deployment = %deployment,
                status = head.status.as_u16(),
                complete = body.complete,
                upstream_body = %upstream_body,
                "an engine's error answer was replaced by a clean one"
            );
            exchange.upstream_error = Some(upstream_body);
            let retry_after = head
                .headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u32>().ok());
            if let Some(seconds) = retry_after {
                error = error.with_retry_after(seconds);
            }
            exchange.fail(error)
        }
    }
}

/// The upstream answer's headers that reach the client.
fn passed_headers(upstream: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    for name in [CONTENT_TYPE, CONTENT_LENGTH, CACHE_CONTROL, RETRY_AFTER] {
        if let Some(value) = upstream.get(&name) {
            headers.insert(name, value.clone());
        }
    }
    headers
}

/// A context for a request that bypassed the access middleware (not expected).
fn context_of(headers: &HeaderMap) -> RequestContext {
    RequestContext {
        ids: correlation::ids(headers),
        key_id: None,
        started: Instant::now(),
        received_at: SystemTime::now(),
    }
}
