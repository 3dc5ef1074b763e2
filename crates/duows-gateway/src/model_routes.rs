//! Where each model name leads: the route table the owner sets, and its compiled form the
//! request path reads (name lookup, each deployment's replicas with their addresses and auth
//! headers, the `/v1/models` body).

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use bytes::Bytes;

use duows_base::Secret;

use crate::errors::{ErrorCode, OpenAiError};
use crate::replicas::{ReplicaHealth, ReplicaRegistry, ReplicaStatus};

mod target;

use target::compile_target;
pub(crate) use target::{Target, Upstream};

/// Whether a deployment takes requests now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Serving.
    Ready,
    /// Starting, stopping or failed: requests get 503 with `Retry-After`.
    NotReady {
        /// Why, for people (e.g. "loading weights").
        reason: String,
        /// Seconds after which a retry may succeed.
        retry_after_s: u32,
    },
}

/// What `GET /v1/models` says of a deployment when its owner knows more than whether it
/// takes requests: an external deployment's last check (requests are still forwarded, and
/// their own failure says why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedState {
    /// Whether the last check found it serving the model.
    pub ready: bool,
    /// `reachable`, `unreachable`, `wrong_key`, `model_missing`, `unchecked`.
    pub status: String,
    /// Why it is not ready.
    pub reason: Option<String>,
}

/// One running engine behind the gateway.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The name clients may use, e.g. `qwen3-coder`.
    pub name: String,
    /// The model name the engine answers to (vLLM's `--served-model-name`).
    pub served_model: String,
    /// The engine's OpenAI base URL, ending with `/v1`, e.g. `http://127.0.0.1:41234/v1`.
    pub base_url: String,
    /// The key the engine wants, sent as `Authorization: Bearer`.
    pub api_key: Option<Secret>,
    /// Whether it takes requests now.
    pub readiness: Readiness,
    /// What `GET /v1/models` says of it; `None`: its readiness.
    pub listing: Option<ListedState>,
    /// More upstreams serving the same model besides `base_url` (engines on other nodes,
    /// other endpoints): requests are spread over every one that is up.
    pub replicas: Vec<Replica>,
}

/// One more upstream of a deployment, serving the same model.
#[derive(Debug, Clone)]
pub struct Replica {
    /// Its OpenAI base URL, ending with `/v1`.
    pub base_url: String,
    /// The key it wants, sent as `Authorization: Bearer`.
    pub api_key: Option<Secret>,
}

impl Deployment {
    /// Its state as `GET /v1/models` lists it.
    fn listed_state(&self) -> ListedState {
        if let Some(listing) = &self.listing {
            return listing.clone();
        }
        match &self.readiness {
            Readiness::Ready => ListedState {
                ready: true,
                status: "ready".into(),
                reason: None,
            },
            Readiness::NotReady { reason, .. } => ListedState {
                ready: false,
                status: "not_ready".into(),
                reason: Some(reason.clone()),
            },
        }
    }
}

/// A stable name (e.g. `duo-chat`) that points at a deployment.
#[derive(Debug, Clone)]
pub struct Alias {
    /// The name clients use.
    pub name: String,
    /// The deployment it points at; `None` while no model is assigned.
    pub target: Option<String>,
}

/// Every deployment and alias the gateway routes to.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Running engines.
    pub deployments: Vec<Deployment>,
    /// Stable names.
    pub aliases: Vec<Alias>,
}

/// The two proxied OpenAI endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/v1/chat/completions`.
    ChatCompletions,
    /// `/v1/completions`.
    Completions,
}

/// What a model name means.
#[derive(Debug, Clone)]
enum Meaning {
    /// A deployment, maybe reached through an alias.
    Deployment {
        target: usize,
        alias: Option<Arc<str>>,
    },
    /// An alias with no model assigned.
    Unassigned,
    /// An alias whose deployment is not in the table.
    Dangling { target: String },
}

/// A resolved request: the deployment, and the alias used to reach it.
pub(crate) struct Resolved<'a> {
    pub target: &'a Target,
    pub alias: Option<&'a Arc<str>>,
}

/// The compiled route table.
#[derive(Debug)]
pub(crate) struct Routes {
    /// The table as the owner set it.
    pub table: Arc<RouteTable>,
    targets: Vec<Target>,
    names: HashMap<String, Meaning>,
    /// The body of `GET /v1/models`.
    pub models_json: Bytes,
    /// Names clients may use, for "unknown model" messages.
    available: String,
    /// The names `GET /v1/models` lists, sorted, with the state of what each leads to.
    listed: Vec<(String, ListedState)>,
}

impl Routes {
    /// Compiles `table`, with each replica's health from `registry` (which then forgets the
    /// replicas no longer routed to). Never fails: a deployment with an unusable base URL or
    /// key gets an error reply naming it when a request reaches it.
    pub fn compile(table: RouteTable, registry: &ReplicaRegistry) -> Self {
        let targets: Vec<Target> = table
            .deployments
            .iter()
            .map(|d| compile_target(d, registry))
            .collect();
        let current: Vec<&Arc<ReplicaHealth>> = targets
            .iter()
            .flat_map(|t| t.upstreams.iter().map(|u| &u.health))
            .collect();
        registry.keep_only(&current);
        let mut names = HashMap::new();
        // Later inserts win: alias names, then deployment names, then served models.
        for (i, d) in table.deployments.iter().enumerate() {
            names.insert(
                d.served_model.clone(),
                Meaning::Deployment {
                    target: i,
                    alias: None,
                },
            );
        }
        for (i, d) in table.deployments.iter().enumerate() {
            names.insert(
                d.name.clone(),
                Meaning::Deployment {
                    target: i,
                    alias: None,
                },
            );
        }
        let mut listed: Vec<&str> = table.deployments.iter().map(|d| d.name.as_str()).collect();
        for alias in &table.aliases {
            let meaning = match &alias.target {
                None => Meaning::Unassigned,
                Some(target) => match table.deployments.iter().position(|d| &d.name == target) {
                    Some(i) => {
                        listed.push(&alias.name);
                        Meaning::Deployment {
                            target: i,
                            alias: Some(Arc::from(alias.name.as_str())),
                        }
                    }
                    None => Meaning::Dangling {
                        target: target.clone(),
                    },
                },
            };
            names.insert(alias.name.clone(), meaning);
        }
        listed.sort_unstable();
        listed.dedup();
        let listed: Vec<(String, ListedState)> = listed
            .into_iter()
            .map(|name| {
                let state = match names.get(name) {
                    Some(Meaning::Deployment { target, .. }) => {
                        table.deployments[*target].listed_state()
                    }
                    _ => ListedState {
                        ready: false,
                        status: "unassigned".into(),
                        reason: None,
                    },
                };
                (name.to_owned(), state)
            })
            .collect();
        let models_json = models_body(&listed);
        let available = if listed.is_empty() {
            "none: no model is running".to_owned()
        } else {
            let names: Vec<&str> = listed.iter().map(|(name, _)| name.as_str()).collect();
            names.join(", ")
        };
        Self {
            table: Arc::new(table),
            targets,
            names,
            models_json,
            available,
            listed,
        }
    }

    /// The deployment `model` leads to, or the error reply saying why there is none.
    pub fn resolve(&self, model: &str) -> Result<Resolved<'_>, OpenAiError> {
        let not_found = |message: String| {
            OpenAiError::new(StatusCode::NOT_FOUND, ErrorCode::ModelNotFound, message)
                .with_param("model")
        };
        let (target, alias) = match self.names.get(model) {
            Some(Meaning::Deployment { target, alias }) => (&self.targets[*target], alias.as_ref()),
            Some(Meaning::Unassigned) => {
                return Err(OpenAiError::new(
                    StatusCode::NOT_FOUND,
                    ErrorCode::ModelNotAssigned,
                    format!(
                        "the alias `{model}` has no model assigned; assign one in Duo Workstation \
                         or use one of: {}",
                        self.available
                    ),
                )
                .with_param("model"))
            }
            Some(Meaning::Dangling { target }) => {
                return Err(not_found(format!(
                    "the alias `{model}` points to `{target}`, which is not running; \
                     available models: {}",
                    self.available
                )))
            }
            None => {
                return Err(not_found(format!(
                    "the model `{model}` does not exist; available models: {}",
                    self.available
                )))
            }
        };
        if let Readiness::NotReady {
            reason,
            retry_after_s,
        } = &target.readiness
        {
            return Err(OpenAiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ModelNotReady,
                format!(
                    "the model `{}` is not ready: {reason}; retry in {retry_after_s} s",
                    target.name
                ),
            )
            .with_retry_after(*retry_after_s));
        }
        Ok(Resolved { target, alias })
    }
}

impl Routes {
    /// Every replica of every deployment, in the table's order.
    pub fn replica_statuses(&self) -> Vec<ReplicaStatus> {
        self.targets
            .iter()
            .flat_map(|t| t.upstreams.iter().map(|u| u.health.status()))
            .collect()
    }

    /// The body of `GET /v1/models/{name}`, for a listed name.
    pub fn model_json(&self, name: &str) -> Option<Bytes> {
        self.listed
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| Bytes::from(model_entry(name, &self.listed[i].1).to_string()))
    }

    /// The error reply for a name `GET /v1/models/{name}` does not know.
    pub fn unknown_model(&self, name: &str) -> OpenAiError {
        OpenAiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::ModelNotFound,
            format!(
                "the model `{name}` does not exist; available models: {}",
                self.available
            ),
        )
        .with_param("model")
    }
}

/// One model object of OpenAI's list, with what is known of the deployment behind it
/// (`ready`, `status`, `reason`: fields OpenAI clients ignore).
fn model_entry(name: &str, state: &ListedState) -> serde_json::Value {
    let mut entry = serde_json::json!({
        "id": name,
        "object": "model",
        "created": 0,
        "owned_by": "duo-workstation",
        "ready": state.ready,
        "status": state.status,
    });
    if let Some(reason) = &state.reason {
        entry["reason"] = serde_json::json!(reason);
    }
    entry
}

/// `{"object":"list","data":[{"id":..,"object":"model","created":0,"owned_by":"duo-workstation",…}]}`
fn models_body(listed: &[(String, ListedState)]) -> Bytes {
    let data: Vec<serde_json::Value> = listed
        .iter()
        .map(|(name, state)| model_entry(name, state))
        .collect();
    let body = serde_json::json!({ "object": "list", "data": data });
    Bytes::from(body.to_string())
}

#[cfg(test)]
#[path = "model_routes_tests.rs"]
mod tests;
