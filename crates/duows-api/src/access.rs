//! Who may call the control API: the DNS-rebinding defence and the access token.
//!
//! A web page on another site can make a browser send requests to 127.0.0.1 by pointing
//! its own domain there (DNS rebinding); such requests carry that domain in `Host` and
//! its origin in `Origin`. So every request must name this machine in `Host` (an IP
//! literal, `localhost`, or a name the operator allowed) and, when it has an `Origin`,
//! come from such a host too. Off loopback, `/api/*` also needs the token that
//! `duows serve` prints once at start, sent as `Authorization: Bearer <token>`.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use duows_core::host_rules::{constant_time_eq, strip_port, HostRules};
use rand::RngCore;

use crate::ApiError;

/// The access rules of one listening server.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    /// Names accepted in `Host` and `Origin`.
    hosts: HostRules,
    /// The token `/api/*` needs; `None` on loopback.
    token: Option<String>,
}

impl AccessPolicy {
    /// Loopback: no token; only local names and IP literals in `Host`.
    pub fn loopback() -> Self {
        Self {
            hosts: HostRules::default(),
            token: None,
        }
    }

    /// Off loopback: a fresh random token, and the given host names (e.g. this machine's
    /// name) accepted besides IP literals and `localhost`.
    pub fn with_token(allowed_hosts: impl IntoIterator<Item = String>) -> Self {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            hosts: HostRules::new(allowed_hosts),
            token: Some(token),
        }
    }

    /// Adds names accepted in `Host` (for a reverse proxy or a DNS name of this machine).
    pub fn allow_hosts(mut self, hosts: impl IntoIterator<Item = String>) -> Self {
        self.hosts = self.hosts.with(hosts);
        self
    }

    /// The token clients must send, when one is required.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn token_matches(&self, header: Option<&str>) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        // The scheme name is case-insensitive (RFC 7235); the token is not.
        let given = header
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map_or("", |(_, token)| token.trim());
        constant_time_eq(given.as_bytes(), expected.as_bytes())
    }

    /// Checks one request; `Err` is the response to send instead.
    fn check(&self, request: &Request) -> Result<(), ApiError> {
        let headers = request.headers();
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !self.hosts.host_allowed(host) {
            return Err(ApiError::new(
                403,
                "forbidden_host",
                format!(
                    "requests for host `{host}` are refused: this server answers only to its own \
                     address (DNS-rebinding defence). Start it with --allow-host {} to accept that name.",
                    strip_port(host)
                ),
            ));
        }
        if let Some(origin) = headers.get(ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            if !self.hosts.origin_allowed(origin) {
                return Err(ApiError::new(
                    403,
                    "forbidden_origin",
                    format!("requests from pages at `{origin}` are refused (cross-site request)."),
                ));
            }
        }
        if request.uri().path().starts_with("/api/") {
            let auth = headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok());
            if !self.token_matches(auth) {
                return Err(ApiError::new(
                    401,
                    "unauthorized",
                    "this server needs the access token that `duows serve` printed when it started; \
                     open the printed address, or send `Authorization: Bearer <token>`.",
                ));
            }
        }
        Ok(())
    }
}

/// Middleware applying an [`AccessPolicy`] to every request.
pub async fn enforce(State(policy): State<AccessPolicy>, request: Request, next: Next) -> Response {
    match policy.check(&request) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let p = AccessPolicy::with_token([]);
        let token = p.token().expect("token").to_owned();
        assert_eq!(token.len(), 48);
        assert!(p.token_matches(Some(&format!("Bearer {token}"))));
        assert!(p.token_matches(Some(&format!("bearer {token}"))));
        assert!(!p.token_matches(Some("Bearer nope")));
        assert!(!p.token_matches(Some(&format!("Basic {token}"))));
        assert!(!p.token_matches(Some(&token)));
        assert!(!p.token_matches(None));
        assert!(AccessPolicy::loopback().token_matches(None));
        assert_ne!(
            AccessPolicy::with_token([]).token(),
            Some(token.as_str()),
            "fresh per start"
        );
    }
}
