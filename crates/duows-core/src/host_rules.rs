//! Which `Host` and `Origin` values name this machine: the DNS-rebinding defence shared by
//! the control API and the gateway, plus a constant-time comparison for secrets.
//!
//! A web page on another site can make a browser send requests to 127.0.0.1 by pointing
//! its own domain there (DNS rebinding); such requests carry that domain in `Host` and its
//! origin in `Origin`. So a server accepts only IP literals, `localhost`, and names the
//! operator allowed.

use std::net::IpAddr;

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

    #[test]
    fn secrets() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
