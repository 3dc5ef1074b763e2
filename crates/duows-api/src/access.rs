//! Who may call the control API: the DNS-rebinding defence and the access token.
//!
//! A web page on another site can make a browser send requests to 127.0.0.1 by pointing
//! its own domain there (DNS rebinding); such requests carry that domain in `Host` and
//! its origin in `Origin`. So every request must name this machine in `Host` (an IP
//! literal, `localhost`, or a name the operator allowed) and, when it has an `Origin`,
//! come from such a host too. Off loopback, `/api/*` also needs the token that
//! `duows serve` prints once at start, sent as `Authorization: Bearer <token>`.
//! The host, origin and bearer checks are `duows_base::access`, shared with the gateway;
//! which paths need the token, and the `{ code, message }` refusals, are this server's own.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use duows_base::access::{bearer_matches, strip_port, HostRules, Refusal};
use rand::RngCore;

use crate::{ApiError, ErrorCode};

/// The paths a cluster's nodes call with their own bearer (a join token, a node key) in
/// place of the access token; their handlers check it.
const MEMBER_PATHS: &[&str] = &["/api/cluster/admit", "/api/cluster/heartbeat"];

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

    fn token_matches(&self, headers: &HeaderMap) -> bool {
        self.token
            .as_deref()
            .is_none_or(|expected| bearer_matches(headers, expected))
    }

    /// Checks one request; `Err` is the response to send instead.
    fn check(&self, request: &Request) -> Result<(), ApiError> {
        let headers = request.headers();
        match self.hosts.check(headers, request.uri()) {
            Ok(()) => {}
            Err(Refusal::Host(host)) => {
                return Err(ApiError::new(ErrorCode::ForbiddenHost,
                    format!(
                        "requests for host `{host}` are refused: this server answers only to its own \
                         address (DNS-rebinding defence). Start it with --allow-host {} to accept that name.",
                        strip_port(&host)
                    ),
                ));
            }
            Err(Refusal::Origin(origin)) => {
                return Err(ApiError::new(
                    ErrorCode::ForbiddenOrigin,
                    format!("requests from pages at `{origin}` are refused (cross-site request)."),
                ));
            }
        }
        let path = request.uri().path();
        if path.starts_with("/api/")
            && !MEMBER_PATHS.contains(&path)
            && !self.token_matches(headers)
        {
            return Err(ApiError::new(
                ErrorCode::Unauthorized,
                "this server needs the access token that `duows serve` printed when it started; \
                 open the printed address, or send `Authorization: Bearer <token>`.",
            ));
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

    fn auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::AUTHORIZATION,
            value.parse().expect("header"),
        );
        headers
    }

    #[test]
    fn tokens() {
        let p = AccessPolicy::with_token([]);
        let token = p.token().expect("token").to_owned();
        assert_eq!(token.len(), 48);
        assert!(p.token_matches(&auth(&format!("Bearer {token}"))));
        assert!(p.token_matches(&auth(&format!("bearer {token}"))));
        assert!(!p.token_matches(&auth("Bearer nope")));
        assert!(!p.token_matches(&auth(&format!("Basic {token}"))));
        assert!(!p.token_matches(&auth(&token)));
        assert!(!p.token_matches(&HeaderMap::new()));
        assert!(AccessPolicy::loopback().token_matches(&HeaderMap::new()));
        assert_ne!(
            AccessPolicy::with_token([]).token(),
            Some(token.as_str()),
            "fresh per start"
        );
    }
}
