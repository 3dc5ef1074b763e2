//! Who may call the gateway, checked before any route runs: `Host` and `Origin` must name
//! this machine (DNS-rebinding defence), `/v1/*` needs an API key once one exists (always,
//! off loopback), and `/metrics` needs one off loopback. Every answer carries the request id.
//! The host, origin and bearer checks are `duows_base::access`, shared with the control
//! API; which paths need a key, and the OpenAI-shaped refusals, are the gateway's own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use duows_base::access::{bearer_token, strip_port, Refusal};

use crate::correlation::{self, RequestContext, X_REQUEST_ID};
use crate::errors::{ErrorCode, GatewayError, OpenAiError};
use crate::keys::{KeyCheck, KeyStore};
use crate::request_log::{LogRecord, UsageSource};
use crate::state::Shared;

/// How to make a key, for messages.
const CREATE_KEY: &str = "create one with `duows keys create --name N`";

/// Refuses to listen off loopback unless at least one API key is active.
pub fn check_bind(addr: SocketAddr, keys: &KeyStore) -> Result<(), GatewayError> {
    if addr.ip().is_loopback() || keys.has_active_keys() {
        Ok(())
    } else {
        Err(GatewayError::KeysRequired { addr })
    }
}

/// Middleware: checks access, records the request id for the handlers, and returns it.
pub(crate) async fn front_door(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let ids = correlation::ids(request.headers());
    let request_id = ids.request_id.clone();
    let mut response = match admit(&shared, &request) {
        Ok(key_id) => {
            request.extensions_mut().insert(RequestContext {
                ids,
                key_id,
                started,
                received_at: SystemTime::now(),
            });
            next.run(request).await
        }
        Err(error) => {
            refused(&shared, &request, &request_id, &error, started);
            error.into_response()
        }
    };
    response.headers_mut().insert(X_REQUEST_ID, request_id);
    response
}

/// Checks one request; `Ok` carries the id of the key used, if any.
fn admit(shared: &Shared, request: &Request) -> Result<Option<Arc<str>>, OpenAiError> {
    let headers = request.headers();
    match shared.config.hosts.check(headers, request.uri()) {
        Ok(()) => {}
        Err(Refusal::Host(host)) => {
            return Err(OpenAiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ForbiddenHost,
                format!(
                    "requests for host `{host}` are refused: this gateway answers only to its \
                     own address (DNS-rebinding defence). Allow the name `{}` in the gateway \
                     settings to accept it.",
                    strip_port(&host)
                ),
            ));
        }
        Err(Refusal::Origin(origin)) => {
            return Err(OpenAiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ForbiddenOrigin,
                format!("requests from pages at `{origin}` are refused (cross-site request)"),
            ));
        }
    }
    let path = request.uri().path();
    let needs_key = if path.starts_with("/v1/") {
        !shared.loopback() || shared.keys.has_active_keys()
    } else {
        path == "/metrics" && !shared.loopback()
    };
    if !needs_key {
        return Ok(None);
    }
    let presented = bearer_token(headers);
    let denied =
        |code, message: String| Err(OpenAiError::new(StatusCode::UNAUTHORIZED, code, message));
    let Some(presented) = presented else {
        return denied(
            ErrorCode::MissingApiKey,
            format!(
                "this gateway needs an API key: send `Authorization: Bearer <key>`. To get a \
                 key, {CREATE_KEY}."
            ),
        );
    };
    match shared.keys.check(presented) {
        KeyCheck::Valid(id) => Ok(Some(id)),
        KeyCheck::Unknown => denied(
            ErrorCode::InvalidApiKey,
            format!(
                "the API key sent is not valid for this gateway (keys start with `dwk_`); \
                 check it, or {CREATE_KEY}."
            ),
        ),
        KeyCheck::Revoked => denied(
            ErrorCode::RevokedApiKey,
            format!("the API key sent has been revoked; {CREATE_KEY}."),
        ),
        KeyCheck::Expired => denied(
            ErrorCode::ExpiredApiKey,
            format!("the API key sent has expired; {CREATE_KEY}."),
        ),
    }
}

/// Counts a refused request, and logs it when it was meant for the API.
fn refused(
    shared: &Shared,
    request: &Request,
    request_id: &axum::http::HeaderValue,
    error: &OpenAiError,
    started: Instant,
) {
    let latency = started.elapsed();
    shared.metrics.error(error.code);
    shared.metrics.request(
        crate::metrics::UNKNOWN_MODEL,
        error.status.as_u16(),
        latency,
    );
    let Some(log) = &shared.log else { return };
    if !request.uri().path().starts_with("/v1/") {
        return;
    }
    let record = LogRecord {
        time: SystemTime::now(),
        request_id: String::from_utf8_lossy(request_id.as_bytes()).into_owned(),
        upstream_request_id: None,
        key_id: None,
        model: None,
        alias: None,
        deployment: None,
        status: error.status.as_u16(),
        stream: false,
        latency,
        ttfb: None,
        error: Some(error.code),
        usage: UsageSource::None,
        request_body: None,
        response_body: None,
        upstream_error: None,
        adjusted: None,
        replica: None,
        attempts: 0,
    };
    if !log.send(record) {
        shared.metrics.log_dropped();
    }
}
