//! A deployment compiled for the request path: each replica's URLs, auth header and health,
//! and the choice among them.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use axum::http::HeaderValue;
use bytes::Bytes;

use super::{Deployment, Endpoint, Readiness, Replica};
use crate::replicas::{self, ReplicaHealth, ReplicaRegistry, MAX_REPLICAS};

/// One upstream of a deployment, ready for the request path.
#[derive(Debug)]
pub(crate) struct Upstream {
    /// Upstream URLs, or why the base URL is unusable.
    chat_url: Result<reqwest::Url, String>,
    completions_url: Result<reqwest::Url, String>,
    /// `<base>/models`, where a replica taken out is probed.
    pub models_url: Option<reqwest::Url>,
    /// `Bearer <key>`, marked sensitive; `Err` when the key cannot be a header value.
    pub auth: Result<Option<HeaderValue>, ()>,
    /// The base URL, for error messages.
    pub base_url: String,
    /// Its state and counters, kept across route-table swaps.
    pub health: Arc<ReplicaHealth>,
}

impl Upstream {
    /// The upstream URL for `endpoint`.
    pub fn url(&self, endpoint: Endpoint) -> Result<&reqwest::Url, &str> {
        let url = match endpoint {
            Endpoint::ChatCompletions => &self.chat_url,
            Endpoint::Completions => &self.completions_url,
        };
        url.as_ref().map_err(String::as_str)
    }
}

/// One deployment, ready for the request path.
#[derive(Debug)]
pub(crate) struct Target {
    /// The deployment's name.
    pub name: Arc<str>,
    /// `served_model` as a JSON string literal, spliced into request bodies.
    pub model_literal: Bytes,
    /// Its replicas: `base_url` first, then the others (at least one).
    pub upstreams: Box<[Upstream]>,
    /// Where the round-robin among equally loaded replicas starts next.
    cursor: AtomicUsize,
    /// Whether it takes requests now.
    pub readiness: Readiness,
}

impl Target {
    /// The replica to send to, given those already tried (bit `i` for replica `i`); see
    /// [`replicas::choose`].
    pub fn choose(&self, tried: u64) -> Option<usize> {
        replicas::choose(self.upstreams.len(), &self.cursor, tried, |i| {
            let health = &self.upstreams[i].health;
            (health.is_in(), health.outstanding())
        })
    }
}

/// Compiles `d`: its base URL, then its replicas, each with its health from `registry`.
pub(super) fn compile_target(d: &Deployment, registry: &ReplicaRegistry) -> Target {
    let first = Replica {
        base_url: d.base_url.clone(),
        api_key: d.api_key.clone(),
    };
    let replicas = std::iter::once(&first).chain(&d.replicas);
    if d.replicas.len() >= MAX_REPLICAS {
        tracing::warn!(
            deployment = %d.name,
            "only the first {MAX_REPLICAS} replicas of a deployment are used"
        );
    }
    let upstreams = replicas
        .take(MAX_REPLICAS)
        .map(|r| compile_upstream(&d.name, r, registry))
        .collect();
    let literal = serde_json::to_string(&d.served_model).unwrap_or_else(|_| "\"\"".to_owned());
    Target {
        name: Arc::from(d.name.as_str()),
        model_literal: Bytes::from(literal),
        upstreams,
        cursor: AtomicUsize::new(0),
        readiness: d.readiness.clone(),
    }
}

/// One replica's URLs and auth header; an unusable address or key is kept as the error
/// its requests get.
fn compile_upstream(deployment: &str, replica: &Replica, registry: &ReplicaRegistry) -> Upstream {
    let base = replica.base_url.trim_end_matches('/');
    let url = |path: &str| {
        reqwest::Url::parse(&format!("{base}{path}")).map_err(|e| {
            format!(
                "the deployment `{deployment}` has an unusable address `{}`: {e}",
                replica.base_url
            )
        })
    };
    let auth = match &replica.api_key {
        None => Ok(None),
        Some(key) => HeaderValue::try_from(format!("Bearer {}", key.expose()))
            .map(|mut v| {
                v.set_sensitive(true);
                Some(v)
            })
            .map_err(|_| ()),
    };
    Upstream {
        chat_url: url("/chat/completions"),
        completions_url: url("/completions"),
        models_url: url("/models").ok(),
        auth,
        base_url: replica.base_url.clone(),
        health: registry.get(deployment, &replica.base_url),
    }
}
