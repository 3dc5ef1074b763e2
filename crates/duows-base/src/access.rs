//! Who is calling, as far as both servers agree: whether a request's `Host` and `Origin`
//! name this machine (the DNS-rebinding defence), and whether a bearer token matches, in
//! constant time. Each server keeps its own policy (which paths need a token, what a key
//! is) and its own error bodies; the checks themselves live only here.
//!
//! A web page on another site can make a browser send requests to 127.0.0.1 by pointing
//! its own domain there (DNS rebinding); such requests carry that domain in `Host` and its
//! origin in `Origin`. So a server accepts only IP literals, `localhost`, and names the
//! operator allowed.

use std::net::IpAddr;

use http::header::{AUTHORIZATION, HOST, ORIGIN};
use http::{HeaderMap, Uri};

/// Why a request does not come from this machine's own pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The host the request names is not this machine; the value as sent (`""` when none).
    Host(String),
    /// The request comes from a page on another site; the `Origin` as sent.
    Origin(String),
}

/// Host names a server answers to, besides IP literals and `localhost`.
#[derive(Debug, Clone, Default)]
pub struct HostRules {
    /// Extra names (lower case, no port).
    allowed: Vec<String>,
}

impl HostRules {
    /// Accepts IP literals, `localhost`, and `extra` (case-insensitive, no port).
    pub fn new(extra: impl IntoIterator<Item = String>) -> Self {
        Self::default().with(extra)
    }

    /// Adds more accepted names.
    pub fn with(mut self, extra: impl IntoIterator<Item = String>) -> Self {
        self.allowed
            .extend(extra.into_iter().map(|h| h.to_ascii_lowercase()));
        self
    }

    /// Whether `host` (a `Host` header value, port optional) names this server.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host.trim()).to_ascii_lowercase();
        if name.is_empty() {
            return false;
        }
        name == "localhost"
            || name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok()
            || self.allowed.contains(&name)
    }

    /// Whether an `Origin` header value is a page served by an allowed host.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false; // includes the opaque origin "null"
        };
        matches!(scheme, "http" | "https") && !rest.contains('/') && self.host_allowed(rest)
    }

    /// Checks a request's host ([`request_host`]) and, when it has one, its `Origin`.
    pub fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), Refusal> {
        let host = request_host(headers, uri);
        if !self.host_allowed(host) {
            return Err(Refusal::Host(host.to_owned()));
        }
        if let Some(origin) = headers.get(ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            if !self.origin_allowed(origin) {
                return Err(Refusal::Origin(origin.to_owned()));
            }
        }
        Ok(())
    }
}

/// The host a request names: its `Host` header (`""` when that is not text), or, without
/// one (HTTP/2 sends `:authority` instead), the authority of its URI.
pub fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> &'a str {
    match headers.get(HOST) {
        Some(host) => host.to_str().unwrap_or(""),
        None => uri.authority().map_or("", |a| a.as_str()),
    }
}

/// The token of an `Authorization: Bearer <token>` header, trimmed. The scheme name is
/// case-insensitive (RFC 7235); the token is not.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// Whether the request's bearer token is `expected`, compared in constant time.
pub fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    let given = bearer_token(headers).unwrap_or("");
    constant_time_eq(given.as_bytes(), expected.as_bytes())
}

/// The host part of a `Host` header value: `"[::1]:8765"` → `"[::1]"`, `"a:80"` → `"a"`.
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.find(']').map_or(host, |end| &host[..end + 2]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let rules = HostRules::default();
        for ok in [
            "127.0.0.1:8765",
            "localhost:8765",
            "[::1]:8765",
            "localhost",
            "192.168.1.5:80",
        ] {
            assert!(rules.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8765",
            "",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
        ] {
            assert!(!rules.host_allowed(bad), "{bad}");
        }
        assert!(HostRules::new(["GPU-Box".to_owned()]).host_allowed("gpu-box:8765"));
    }

    #[test]
    fn origins() {
        let rules = HostRules::default();
        assert!(rules.origin_allowed("http://127.0.0.1:8765"));
        assert!(rules.origin_allowed("http://localhost:5173"));
        assert!(!rules.origin_allowed("null"));
        assert!(!rules.origin_allowed("https://evil.example"));
        assert!(!rules.origin_allowed("file://"));
    }

    fn headers(pairs: &[(http::header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    http::HeaderValue::from_str(value).expect("value"),
                )
            })
            .collect()
    }

    #[test]
    fn requests() {
        let rules = HostRules::default();
        let uri = Uri::from_static("/api/version");
        let ok = headers(&[(HOST, "127.0.0.1:8765")]);
        assert_eq!(rules.check(&ok, &uri), Ok(()));
        let evil = headers(&[(HOST, "evil.example")]);
        assert_eq!(
            rules.check(&evil, &uri),
            Err(Refusal::Host("evil.example".into()))
        );
        assert_eq!(
            rules.check(&HeaderMap::new(), &uri),
            Err(Refusal::Host(String::new())),
            "no host at all"
        );
        let h2 = Uri::from_static("http://localhost:8000/v1/models");
        assert_eq!(
            rules.check(&HeaderMap::new(), &h2),
            Ok(()),
            "HTTP/2 authority"
        );
        assert_eq!(
            rules.check(&evil, &h2),
            Err(Refusal::Host("evil.example".into())),
            "a Host header wins over the authority"
        );
        let cross = headers(&[(HOST, "localhost"), (ORIGIN, "https://evil.example")]);
        assert_eq!(
            rules.check(&cross, &uri),
            Err(Refusal::Origin("https://evil.example".into()))
        );
        let own = headers(&[(HOST, "localhost"), (ORIGIN, "http://localhost:5173")]);
        assert_eq!(rules.check(&own, &uri), Ok(()));
    }

    #[test]
    fn bearer_tokens() {
        let sent = |value: &str| headers(&[(AUTHORIZATION, value)]);
        assert_eq!(bearer_token(&sent("Bearer abc ")), Some("abc"));
        assert_eq!(bearer_token(&sent("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&sent("Basic abc")), None);
        assert_eq!(bearer_token(&sent("abc")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
        assert!(bearer_matches(&sent("BEARER abc"), "abc"));
        assert!(!bearer_matches(&sent("Bearer ABC"), "abc"));
        assert!(!bearer_matches(&HeaderMap::new(), "abc"));
    }

    #[test]
    fn secrets() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
