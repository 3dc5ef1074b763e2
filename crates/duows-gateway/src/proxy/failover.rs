//! The replica a request goes to, and another when it fails before answering: nothing has
//! reached the client then, so the request is sent again, at most once to each replica.

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use bytes::Bytes;

use super::{send, Head, Silence};
use crate::correlation::{RequestContext, X_GITLAB_CORRELATION_ID, X_REQUEST_ID};
use crate::errors::{ErrorCode, OpenAiError};
use crate::exchange::Exchange;
use crate::model_routes::{Endpoint, Target, Upstream};
use crate::state::Shared;

/// The first answer of a replica, and how it was asked.
pub(super) struct Answered<'t> {
    pub head: Head,
    pub upstream: &'t Upstream,
    pub url: reqwest::Url,
    pub headers: HeaderMap,
}

/// Sends the request to a replica of `target` (the one with the fewest requests
/// outstanding) and waits for its first byte. A replica that fails before answering
/// (refused, reset, no answer head, a 502/503) is taken out, and the request goes on to
/// another that is up, at most once each: nothing has reached the client yet. The last
/// replica's 502/503 is passed on like any error answer.
pub(super) async fn first_answer<'t>(
    shared: &Shared,
    target: &'t Target,
    endpoint: Endpoint,
    exchange: &mut Exchange,
    body: &Bytes,
) -> Result<Answered<'t>, OpenAiError> {
    let mut tried = 0u64;
    let mut next = target.choose(tried);
    let mut unusable = None;
    while let Some(i) = next {
        tried |= 1 << i;
        let upstream = &target.upstreams[i];
        // Replacing the lease ends the time outstanding on the replica tried before.
        exchange.replica = Some(upstream.health.lease());
        exchange.attempts = exchange.attempts.saturating_add(1);
        let (url, headers) = match request_parts(target, upstream, endpoint, &exchange.ctx) {
            Ok(parts) => parts,
            Err(error) => {
                unusable = Some(error);
                next = target.choose(tried);
                continue;
            }
        };
        let result = send(shared, url.clone(), headers.clone(), body.clone()).await;
        let failed_early = match &result {
            Ok(head) => matches!(
                head.status,
                StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE
            ),
            Err(silence) => matches!(silence, Silence::Send(_)),
        };
        match &result {
            Ok(head) if !failed_early => {
                upstream.health.answered();
                if head.status.is_server_error() {
                    upstream.health.error();
                }
            }
            _ => upstream.health.error(),
        }
        if failed_early {
            shared.take_out(upstream);
            next = target.choose(tried);
            if next.is_some() {
                upstream.health.retried();
                tracing::debug!(
                    request_id = %String::from_utf8_lossy(exchange.ctx.ids.request_id.as_bytes()),
                    deployment = %target.name,
                    replica = %upstream.base_url,
                    "a replica failed before answering; trying another"
                );
                continue;
            }
        }
        return match result {
            Ok(head) => Ok(Answered {
                head,
                upstream,
                url,
                headers,
            }),
            Err(silence) => Err(silence.into_error(&target.name, &upstream.base_url, shared)),
        };
    }
    Err(unusable.unwrap_or_else(|| {
        OpenAiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamUnreachable,
            format!("the deployment `{}` has no upstream", target.name),
        )
    }))
}

/// The URL and headers of the request to `upstream`: its own key, the upstream request id,
/// GitLab's correlation id.
fn request_parts(
    target: &Target,
    upstream: &Upstream,
    endpoint: Endpoint,
    ctx: &RequestContext,
) -> Result<(reqwest::Url, HeaderMap), OpenAiError> {
    let bad_gateway = |message: String| {
        OpenAiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamUnreachable,
            message,
        )
    };
    let url = upstream
        .url(endpoint)
        .map_err(|message| bad_gateway(message.to_owned()))?
        .clone();
    let Ok(auth) = &upstream.auth else {
        return Err(bad_gateway(format!(
            "the deployment `{}` has an API key that cannot be sent in a header",
            target.name
        )));
    };
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(auth) = auth {
        headers.insert(AUTHORIZATION, auth.clone());
    }
    headers.insert(X_REQUEST_ID, ctx.ids.upstream_id.clone());
    if let Some(gitlab) = &ctx.ids.gitlab_correlation {
        headers.insert(X_GITLAB_CORRELATION_ID, gitlab.clone());
    }
    Ok((url, headers))
}
