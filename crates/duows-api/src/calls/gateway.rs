//! The gateway calls: what to give GitLab (the endpoint and a model identifier per
//! feature), the deployments it routes to, and its API keys (created, listed, revoked).

use duows_core::catalog::Catalog;
use duows_core::secrets::SecretStoreInfo;
use duows_gateway::{KeyError, KeyInfo};
use serde::{Deserialize, Serialize};

use super::deployments::DeploymentView;
use crate::gateway_service::key_store;
use crate::{ApiError, ApiState, ErrorCode};
use duows_core::routing::{feature_routes, FeatureRoute};

/// What the gateway page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GatewayInfo {
    /// Whether this program runs the gateway.
    pub running: bool,
    /// The address to give GitLab and other clients (this machine's name, ending in `/v1`).
    pub base_url: Option<String>,
    /// Where it listens.
    pub listen: Option<String>,
    /// Whether it listens on loopback only (then only this machine can reach it).
    pub loopback_only: bool,
    /// The command-line option that fixed where it listens for this run
    /// (`--gateway-host 0.0.0.0`); `None` when the settings' network switch decides.
    pub listen_pinned_by: Option<String>,
    /// Why it does not listen where the settings say, when it does not (e.g. opened to the
    /// network while no key is active: it then stays on this machine).
    pub listen_problem: Option<String>,
    /// Whether clients need a key (they do once any key exists).
    pub keys_required: bool,
    /// Each Duo feature's alias and model.
    pub features: Vec<FeatureRoute>,
    /// Every deployment: the engines and external deployments it routes to, and the
    /// Bedrock and Azure deployments GitLab's AI gateway calls itself.
    pub deployments: Vec<DeploymentView>,
    /// Where deployment keys and tokens are kept.
    pub secret_store: SecretStoreInfo,
}

/// Body of `key_create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct KeyCreateParams {
    /// A name for people (who or what uses the key).
    pub name: String,
    /// Days until it stops working (none: until revoked).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A new key: shown once, never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CreatedKey {
    /// Its public facts.
    pub key: KeyInfo,
    /// The key itself.
    pub secret: String,
}

/// Body of `key_revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct KeyRevokeParams {
    /// The key's id (its public prefix) or its name.
    pub id: String,
}

/// `gateway_info`: the endpoint, the feature aliases and the deployments.
pub async fn gateway_info(state: &ApiState) -> Result<GatewayInfo, ApiError> {
    let state = state.clone();
    super::blocking(move || gateway_info_now(&state)).await
}

fn gateway_info_now(state: &ApiState) -> Result<GatewayInfo, ApiError> {
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let settings = state.settings_snapshot();
    let engines = state
        .existing_supervisor()
        .map(|s| s.endpoints())
        .unwrap_or_default();
    let deployments = super::deployments::deployment_views(state, &settings, catalog, &engines);
    let handle = state.gateway();
    let addr = handle
        .filter(|h| h.listener.is_listening())
        .map(|h| h.local_addr());
    let base_url = addr.map(|addr| {
        let host = if addr.ip().is_loopback() {
            "localhost".to_owned()
        } else {
            duows_core::hardware::SystemFacts::hostname().unwrap_or_else(|| addr.ip().to_string())
        };
        format!("http://{host}:{}/v1", addr.port())
    });
    Ok(GatewayInfo {
        running: addr.is_some(),
        base_url,
        listen: addr.map(|a| a.to_string()),
        loopback_only: addr.is_none_or(|a| a.ip().is_loopback()),
        listen_pinned_by: handle.and_then(|h| h.listener.pinned_by().map(str::to_owned)),
        listen_problem: handle.and_then(|h| h.listener.problem()),
        keys_required: key_store(state)?.has_active_keys(),
        features: feature_routes(&settings, catalog),
        deployments,
        secret_store: state.secrets().info(),
    })
}

/// `keys`: every key, without secrets.
pub async fn keys(state: &ApiState) -> Result<Vec<KeyInfo>, ApiError> {
    let state = state.clone();
    super::blocking(move || key_store(&state)?.list().map_err(key_error)).await
}

/// `key_create`: a new key; the secret is in this answer only.
pub async fn key_create(state: &ApiState, params: KeyCreateParams) -> Result<CreatedKey, ApiError> {
    let state = state.clone();
    super::blocking(move || key_create_now(&state, params)).await
}

fn key_create_now(state: &ApiState, params: KeyCreateParams) -> Result<CreatedKey, ApiError> {
    if params.expires_in_days == Some(0) {
        return Err(
            ApiError::new(ErrorCode::InvalidKey, "expires_in_days must be at least 1")
                .with_field("expires_in_days"),
        );
    }
    let expires_at = params
        .expires_in_days
        .map(|days| duows_base::clock::now_secs() + u64::from(days) * 86_400);
    let (key, secret) = key_store(state)?
        .create(&params.name, expires_at)
        .map_err(key_error)?;
    // Whether keys are required may have changed: the live views hear of it.
    state.notify_change();
    Ok(CreatedKey {
        key,
        secret: secret.expose().to_owned(),
    })
}

/// `key_revoke`: stops a key from working (within about a second, also in a running gateway).
pub async fn key_revoke(state: &ApiState, params: KeyRevokeParams) -> Result<KeyInfo, ApiError> {
    let state = state.clone();
    super::blocking(move || {
        let revoked = key_store(&state)?.revoke(&params.id).map_err(key_error)?;
        state.notify_change();
        Ok(revoked)
    })
    .await
}

fn key_error(error: KeyError) -> ApiError {
    match &error {
        KeyError::Invalid { field, .. } => {
            ApiError::new(ErrorCode::InvalidKey, error.to_string()).with_field(*field)
        }
        KeyError::NameTaken { .. } => {
            ApiError::new(ErrorCode::KeyNameTaken, error.to_string()).with_field("name")
        }
        KeyError::NotFound { .. } => {
            ApiError::new(ErrorCode::UnknownKey, error.to_string()).with_field("id")
        }
        _ => ApiError::new(ErrorCode::KeysUnavailable, error.to_string()),
    }
}
