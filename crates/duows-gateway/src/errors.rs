//! Errors: the OpenAI-shaped replies clients receive, the stable codes behind them, and the
//! error of starting a gateway where it would be unsafe.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::keys::KeyError;

/// Why a gateway may not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Listening on an address other than loopback while no API key is active.
    #[error(
        "refusing to listen on {addr} without an API key: anyone who can reach this machine \
         could use its models. Create one with `duows keys create --name N`, or listen on \
         127.0.0.1 instead."
    )]
    KeysRequired {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The key file could not be read.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// The stable codes of the errors the gateway itself produces (clean upstream errors pass
/// through untouched). Each is counted in `/metrics` and written to the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `Host` names another site (DNS-rebinding defence).
    ForbiddenHost,
    /// `Origin` is a page of another site.
    ForbiddenOrigin,
    /// No `Authorization: Bearer` key where one is needed.
    MissingApiKey,
    /// The key presented is not one of ours.
    InvalidApiKey,
    /// The key presented was revoked.
    RevokedApiKey,
    /// The key presented has expired.
    ExpiredApiKey,
    /// The body is larger than `max_body_bytes`.
    BodyTooLarge,
    /// The body could not be read from the client.
    BodyUnreadable,
    /// The body is not JSON, or not a JSON object.
    InvalidJson,
    /// The body has no string `model`.
    MissingModel,
    /// A parameter the endpoint needs is absent (`messages`, `prompt`).
    MissingParameter,
    /// A parameter has the wrong type or is out of range (`max_tokens: -5`, `top_p: 5`).
    InvalidParameter,
    /// No alias, deployment or served model has that name.
    ModelNotFound,
    /// The alias exists but no model is assigned to it.
    ModelNotAssigned,
    /// The deployment is starting or stopped.
    ModelNotReady,
    /// The deployment could not be reached.
    UpstreamUnreachable,
    /// The deployment did not answer within `ttfb_timeout`.
    UpstreamTimeout,
    /// The deployment's answer broke off.
    UpstreamFailed,
    /// The deployment refused the request (4xx) with an answer unfit for clients (a
    /// traceback, file paths, no OpenAI error); the client gets a cleaned one.
    UpstreamRejected,
    /// The deployment failed (5xx) with an answer unfit for clients; the client gets a
    /// cleaned one.
    UpstreamError,
    /// The deployment fell silent mid-answer for longer than `idle_timeout`.
    UpstreamIdle,
    /// The client went away before the answer was complete.
    ClientDisconnected,
    /// No such route.
    NotFound,
    /// The route exists but not with that method.
    MethodNotAllowed,
}

impl ErrorCode {
    /// Every code, in the order of [`ErrorCode::index`].
    pub const ALL: [ErrorCode; 24] = [
        Self::ForbiddenHost,
        Self::ForbiddenOrigin,
        Self::MissingApiKey,
        Self::InvalidApiKey,
        Self::RevokedApiKey,
        Self::ExpiredApiKey,
        Self::BodyTooLarge,
        Self::BodyUnreadable,
        Self::InvalidJson,
        Self::MissingModel,
        Self::MissingParameter,
        Self::InvalidParameter,
        Self::ModelNotFound,
        Self::ModelNotAssigned,
        Self::ModelNotReady,
        Self::UpstreamUnreachable,
        Self::UpstreamTimeout,
        Self::UpstreamFailed,
        Self::UpstreamRejected,
        Self::UpstreamError,
        Self::UpstreamIdle,
        Self::ClientDisconnected,
        Self::NotFound,
        Self::MethodNotAllowed,
    ];

    /// The code as sent to clients, e.g. `model_not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ForbiddenHost => "forbidden_host",
            Self::ForbiddenOrigin => "forbidden_origin",
            Self::MissingApiKey => "missing_api_key",
            Self::InvalidApiKey => "invalid_api_key",
            Self::RevokedApiKey => "revoked_api_key",
            Self::ExpiredApiKey => "expired_api_key",
            Self::BodyTooLarge => "body_too_large",
            Self::BodyUnreadable => "body_unreadable",
            Self::InvalidJson => "invalid_json",
            Self::MissingModel => "missing_model",
            Self::MissingParameter => "missing_required_parameter",
            Self::InvalidParameter => "invalid_parameter",
            Self::ModelNotFound => "model_not_found",
            Self::ModelNotAssigned => "model_not_assigned",
            Self::ModelNotReady => "model_not_ready",
            Self::UpstreamUnreachable => "upstream_unreachable",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::UpstreamFailed => "upstream_failed",
            Self::UpstreamRejected => "upstream_rejected",
            Self::UpstreamError => "upstream_error",
            Self::UpstreamIdle => "upstream_idle_timeout",
            Self::ClientDisconnected => "client_disconnected",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// Position in [`ErrorCode::ALL`], for per-code counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// OpenAI's error `type` for this code.
    fn kind(self) -> &'static str {
        match self {
            Self::MissingApiKey
            | Self::InvalidApiKey
            | Self::RevokedApiKey
            | Self::ExpiredApiKey => "authentication_error",
            Self::ForbiddenHost | Self::ForbiddenOrigin => "permission_error",
            Self::UpstreamUnreachable
            | Self::UpstreamTimeout
            | Self::UpstreamFailed
            | Self::UpstreamError
            | Self::UpstreamIdle
            | Self::ModelNotReady
            | Self::ClientDisconnected => "server_error",
            _ => "invalid_request_error",
        }
    }
}

/// An error reply in OpenAI's shape:
/// `{"error":{"message","type","param","code"}}`.
#[derive(Debug, Clone)]
pub struct OpenAiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: ErrorCode,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The request field at fault, when there is one, e.g. `top_p` or `messages[2].content`.
    pub param: Option<Cow<'static, str>>,
    /// Seconds to wait before retrying (sent as `Retry-After`).
    pub retry_after_s: Option<u32>,
}

impl OpenAiError {
    /// An error with no field at fault.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            param: None,
            retry_after_s: None,
        }
    }

    /// Names the request field at fault.
    pub fn with_param(mut self, param: impl Into<Cow<'static, str>>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Adds a `Retry-After` header.
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    /// The JSON body, `{"error":{...}}`.
    pub fn to_json(&self) -> String {
        error_json(&self.message, self.code, self.param.as_deref())
    }
}

/// Renders `{"error":{...}}` for a code and message.
pub(crate) fn error_json(message: &str, code: ErrorCode, param: Option<&str>) -> String {
    let mut out = String::with_capacity(message.len() + 96);
    out.push_str(r#"{"error":{"message":"#);
    push_json_string(&mut out, message);
    out.push_str(r#","type":""#);
    out.push_str(code.kind());
    out.push_str(r#"","param":"#);
    match param {
        Some(p) => push_json_string(&mut out, p),
        None => out.push_str("null"),
    }
    out.push_str(r#","code":""#);
    out.push_str(code.as_str());
    out.push_str(r#""}}"#);
    out
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.to_json(),
        )
            .into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let e = OpenAiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::ModelNotFound,
            "no \"x\"\nhere",
        )
        .with_param("model");
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).expect("valid JSON");
        assert_eq!(v["error"]["message"], "no \"x\"\nhere");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "model");
        assert_eq!(v["error"]["code"], "model_not_found");
        let v: serde_json::Value =
            serde_json::from_str(&error_json("\u{1}", ErrorCode::UpstreamIdle, None))
                .expect("valid JSON");
        assert_eq!(v["error"]["param"], serde_json::Value::Null);
        assert_eq!(v["error"]["type"], "server_error");
    }

    #[test]
    fn codes_index_in_order() {
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(code.index(), i, "{}", code.as_str());
        }
    }
}
