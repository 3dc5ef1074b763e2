//! Request ids: taken from the client's `X-Request-Id` (or GitLab's `X-Gitlab-Correlation-Id`)
//! when usable, made up otherwise; returned to the client and written to the log.
//!
//! Engines get their own id. The client's id is never sent upstream as `X-Request-Id`,
//! because engines give that header a meaning of their own: llama.cpp's server
//! (llama-cpp-python) answers 400 with an empty body to any value that is not a UUID, and
//! vLLM makes it the id of the request inside the engine, which must be unique (two requests
//! in flight with one id are refused, "Request id … already running"). Clients reuse ids:
//! GitLab's correlation id (`01HQ3K5Z…`, not a UUID) covers every model call of one user
//! action. So each upstream request gets a fresh UUID v4 ([`Correlation::upstream_id`]),
//! which every engine accepts and which finds the request in the engine's log; the request
//! log holds it next to the client's id. When the client sent no id, the gateway's own id is
//! that UUID, so one id covers the whole path.
//!
//! `X-Gitlab-Correlation-Id` goes upstream as the client sent it (limited to visible ASCII
//! and 128 characters): no engine reads it (llama-cpp-python only checks `X-Request-Id`),
//! and it ties engine-side traces to GitLab's.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rand::RngCore;

/// `X-Request-Id`.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `X-Gitlab-Correlation-Id`.
pub const X_GITLAB_CORRELATION_ID: HeaderName = HeaderName::from_static("x-gitlab-correlation-id");

/// The longest id accepted from a client.
const MAX_ID_LEN: usize = 128;

/// The ids of one request.
#[derive(Debug, Clone)]
pub(crate) struct Correlation {
    /// The client's id (or the gateway's when the client sent none): returned as
    /// `X-Request-Id` and written to the log.
    pub request_id: HeaderValue,
    /// The UUID sent upstream as `X-Request-Id`; equal to `request_id` when the gateway made
    /// that one up.
    pub upstream_id: HeaderValue,
    /// GitLab's correlation id, when the client sent one (sent upstream as well).
    pub gitlab_correlation: Option<HeaderValue>,
}

/// What the access check learnt about a request, for the handlers.
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    /// The request's ids.
    pub ids: Correlation,
    /// The id of the API key used, if any.
    pub key_id: Option<Arc<str>>,
    /// When the gateway received the request.
    pub started: Instant,
    /// The same moment on the wall clock, for the log.
    pub received_at: SystemTime,
}

/// The ids of a request: the client's (cleaned) or a new one, and a new one for upstream.
pub(crate) fn ids(headers: &HeaderMap) -> Correlation {
    let gitlab_correlation = headers.get(X_GITLAB_CORRELATION_ID).and_then(sanitize);
    let upstream_id = uuid_v4();
    let request_id = headers
        .get(X_REQUEST_ID)
        .and_then(sanitize)
        .or_else(|| gitlab_correlation.clone())
        .unwrap_or_else(|| upstream_id.clone());
    Correlation {
        request_id,
        upstream_id,
        gitlab_correlation,
    }
}

/// A client's id limited to visible ASCII and 128 characters; `None` if nothing is left.
fn sanitize(value: &HeaderValue) -> Option<HeaderValue> {
    let bytes = value.as_bytes();
    let visible = |b: &u8| (0x21..=0x7e).contains(b);
    if !bytes.is_empty() && bytes.len() <= MAX_ID_LEN && bytes.iter().all(visible) {
        return Some(value.clone());
    }
    let kept: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(visible)
        .take(MAX_ID_LEN)
        .collect();
    if kept.is_empty() {
        return None;
    }
    HeaderValue::from_bytes(&kept).ok()
}

/// A fresh random UUID (version 4) in its usual form, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
fn uuid_v4() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    random[6] = (random[6] & 0x0f) | 0x40; // version 4
    random[8] = (random[8] & 0x3f) | 0x80; // RFC 4122 variant
    let mut out = [0u8; 36];
    let mut at = 0;
    for (i, b) in random.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out[at] = b'-';
            at += 1;
        }
        out[at] = HEX[usize::from(b >> 4)];
        out[at + 1] = HEX[usize::from(b & 0xf)];
        at += 2;
    }
    HeaderValue::from_bytes(&out).unwrap_or(HeaderValue::from_static("unidentified"))
}

/// Whether `value` is a UUID in its usual hyphenated form.
#[cfg(test)]
fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&HeaderName, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                (*name).clone(),
                HeaderValue::from_bytes(value).expect("header value"),
            );
        }
        map
    }

    #[test]
    fn client_ids_are_kept_cleaned_or_replaced() {
        let ids_of = |pairs: &[(&HeaderName, &[u8])]| ids(&headers(pairs));
        let c = ids_of(&[(&X_REQUEST_ID, b"abc-123")]);
        assert_eq!(c.request_id, "abc-123");
        assert!(c.gitlab_correlation.is_none());
        let c = ids_of(&[(&X_GITLAB_CORRELATION_ID, b"gl-1")]);
        assert_eq!(c.request_id, "gl-1");
        assert_eq!(c.gitlab_correlation.expect("kept"), "gl-1");
        let c = ids_of(&[(&X_REQUEST_ID, b"a b\tc\xff")]);
        assert_eq!(c.request_id, "abc");
        let long = "x".repeat(300);
        let c = ids_of(&[(&X_REQUEST_ID, long.as_bytes())]);
        assert_eq!(c.request_id.len(), 128);
        let made_up = ids_of(&[(&X_REQUEST_ID, b"   ")]);
        assert!(is_uuid(made_up.request_id.as_bytes()));
        let other = ids(&HeaderMap::new());
        assert_ne!(made_up.request_id, other.request_id);
    }

    #[test]
    fn engines_get_a_fresh_uuid_whatever_the_client_sent() {
        for sent in [
            &b"01HQ3K5Z8Y9X7W6V5T4S3R2Q1P"[..],
            b"req-42",
            b"0b9e2f4c-1d2a-4c3b-9e8f-7a6b5c4d3e2f",
        ] {
            let c = ids(&headers(&[(&X_REQUEST_ID, sent)]));
            assert_eq!(c.request_id, sent, "the client's id is kept");
            let upstream = c.upstream_id.as_bytes();
            assert!(is_uuid(upstream), "{:?}", c.upstream_id);
            assert_eq!(upstream[14], b'4', "version 4");
            assert!(b"89ab".contains(&upstream[19]), "RFC 4122 variant");
            let again = ids(&headers(&[(&X_REQUEST_ID, sent)]));
            assert_ne!(c.upstream_id, again.upstream_id, "unique per request");
        }
        let none = ids(&HeaderMap::new());
        assert_eq!(
            none.request_id, none.upstream_id,
            "one id when the gateway made it"
        );
    }
}
