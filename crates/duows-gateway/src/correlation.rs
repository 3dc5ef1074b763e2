//! Request ids: taken from the client's `X-Request-Id` (or GitLab's `X-Gitlab-Correlation-Id`)
//! when usable, made up otherwise; sent upstream, returned to the client, written to the log.

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

/// What the access check learnt about a request, for the handlers.
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    /// The id returned as `X-Request-Id` and sent upstream.
    pub request_id: HeaderValue,
    /// GitLab's correlation id, when the client sent one (sent upstream as well).
    pub gitlab_correlation: Option<HeaderValue>,
    /// The id of the API key used, if any.
    pub key_id: Option<Arc<str>>,
    /// When the gateway received the request.
    pub started: Instant,
    /// The same moment on the wall clock, for the log.
    pub received_at: SystemTime,
}

/// The request id and GitLab correlation id of a request.
pub(crate) fn ids(headers: &HeaderMap) -> (HeaderValue, Option<HeaderValue>) {
    let gitlab = headers.get(X_GITLAB_CORRELATION_ID).and_then(sanitize);
    let id = headers
        .get(X_REQUEST_ID)
        .and_then(sanitize)
        .or_else(|| gitlab.clone())
        .unwrap_or_else(generate);
    (id, gitlab)
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

/// A fresh id: 32 random hex digits.
fn generate() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let mut out = [0u8; 32];
    for (i, b) in random.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    HeaderValue::from_bytes(&out).unwrap_or(HeaderValue::from_static("unidentified"))
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
        let (id, gitlab) = ids(&headers(&[(&X_REQUEST_ID, b"abc-123")]));
        assert_eq!(id, "abc-123");
        assert!(gitlab.is_none());
        let (id, gitlab) = ids(&headers(&[(&X_GITLAB_CORRELATION_ID, b"gl-1")]));
        assert_eq!(id, "gl-1");
        assert_eq!(gitlab.expect("kept"), "gl-1");
        let (id, _) = ids(&headers(&[(&X_REQUEST_ID, b"a b\tc\xff")]));
        assert_eq!(id, "abc");
        let long = "x".repeat(300);
        let (id, _) = ids(&headers(&[(&X_REQUEST_ID, long.as_bytes())]));
        assert_eq!(id.len(), 128);
        let (id, _) = ids(&headers(&[(&X_REQUEST_ID, b"   ")]));
        assert_eq!(id.len(), 32);
        let (other, _) = ids(&HeaderMap::new());
        assert_ne!(id, other);
    }
}
