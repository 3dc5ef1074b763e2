//! The deployment calls: every deployment as the gateway page shows it (engines, external
//! OpenAI-compatible servers with their latest check, Bedrock and Azure deployments that
//! GitLab's AI gateway calls itself), a check now, a key kept in the secret store, and "use
//! this model for every feature it is rated for".

use std::collections::BTreeMap;

use duows_base::Secret;
use duows_core::catalog::{Catalog, Family};
use duows_core::deployment_check::{DeploymentCheck, Reachability};
use duows_core::engine::EngineEndpoint;
use duows_core::secrets::SecretName;
use duows_core::settings::{ExternalDeployment, Platform, Replica, Settings};
use duows_gateway::Readiness;
use serde::{Deserialize, Serialize};

use crate::deployment_checks::{listed_state, unchecked_state};
use crate::gateway_routes::route_table;
use crate::{ApiError, ApiState, ErrorCode};

/// One place a feature can be served from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DeploymentView {
    /// Its name (what features are routed to).
    pub name: String,
    /// `engine` (run by this app) or `external`.
    pub source: String,
    /// Where an external deployment runs (engines are OpenAI-compatible).
    pub platform: Platform,
    /// The model name it serves (a Bedrock model id, an Azure deployment).
    pub served_model: String,
    /// Its base URL (empty for Bedrock).
    pub endpoint: String,
    /// More endpoints serving the same model, that the gateway spreads requests over (an
    /// external OpenAI-compatible deployment's; the dashboard shows each one's state).
    pub replicas: Vec<Replica>,
    /// The family GitLab is given for it (external deployments; engines: their catalog
    /// model's, when known).
    pub family: Option<Family>,
    /// The identifier GitLab is given when it is registered as itself (Bedrock, Azure);
    /// through the gateway, features use their aliases.
    pub gitlab_identifier: Option<String>,
    /// Where its key comes from: `secret store`, `$VAR`, or none.
    pub key_source: Option<String>,
    /// Whether it takes requests now: an engine that is ready, or an external deployment
    /// whose last check found it serving the model. Never true for an unchecked or
    /// unreachable endpoint.
    pub ready: bool,
    /// What is known: an engine's state (`starting`, `ready`, `failed`, …), or for an
    /// external deployment `unchecked`, `reachable`, `unreachable`, `wrong_key`,
    /// `model_missing` or `checked_by_gitlab`.
    pub status: String,
    /// Why it is not ready, when it is not (or what the last check found).
    pub reason: Option<String>,
    /// When an external deployment was last checked (ms since the epoch).
    pub checked_at_ms: Option<u64>,
    /// How long its last check's answer took.
    pub latency_ms: Option<u64>,
}

/// Every deployment, for `gateway_info`.
pub(super) fn deployment_views(
    state: &ApiState,
    settings: &Settings,
    catalog: &Catalog,
    engines: &[EngineEndpoint],
) -> Vec<DeploymentView> {
    let keys = state.secrets().deployment_keys(settings);
    let checks = crate::gateway_routes::deployment_states(state, settings);
    let table = route_table(settings, catalog, engines, &keys, &checks);
    let mut views: Vec<DeploymentView> = table
        .deployments
        .iter()
        .map(|d| {
            let external = settings.deployments.iter().find(|e| e.name == d.name);
            let view = DeploymentView {
                name: d.name.clone(),
                source: "engine".into(),
                platform: Platform::OpenaiCompatible,
                served_model: d.served_model.clone(),
                endpoint: d.base_url.clone(),
                replicas: Vec::new(),
                family: catalog.model(&d.served_model).map(|m| m.family),
                gitlab_identifier: None,
                key_source: None,
                ready: false,
                status: String::new(),
                reason: None,
                checked_at_ms: None,
                latency_ms: None,
            };
            if let Some(engine) = engines.iter().find(|e| e.status.name == d.name) {
                let (ready, reason) = match &d.readiness {
                    Readiness::Ready => (true, None),
                    Readiness::NotReady { reason, .. } => (false, Some(reason.clone())),
                };
                return DeploymentView {
                    ready,
                    status: snake_name(&engine.status.state),
                    reason,
                    ..view
                };
            }
            match external {
                Some(e) => external_view(state, e, catalog, view),
                None => view,
            }
        })
        .collect();
    for direct in settings
        .deployments
        .iter()
        .filter(|d| !d.platform.through_gateway())
    {
        let view = DeploymentView {
            name: direct.name.clone(),
            source: "external".into(),
            platform: direct.platform,
            served_model: direct.served_model.clone(),
            endpoint: direct.endpoint.clone(),
            replicas: Vec::new(),
            family: None,
            gitlab_identifier: Some(direct.gitlab_identifier()),
            key_source: None,
            ready: false,
            status: String::new(),
            reason: None,
            checked_at_ms: None,
            latency_ms: None,
        };
        views.push(external_view(state, direct, catalog, view));
    }
    views
}

fn external_view(
    state: &ApiState,
    deployment: &ExternalDeployment,
    catalog: &Catalog,
    view: DeploymentView,
) -> DeploymentView {
    let view = DeploymentView {
        source: "external".into(),
        platform: deployment.platform,
        family: Some(deployment.effective_family(catalog)),
        key_source: deployment.key_source(),
        replicas: deployment.replicas.clone(),
        ..view
    };
    if !deployment.platform.through_gateway() {
        return DeploymentView {
            status: snake_name(&Reachability::CheckedByGitlab),
            reason: Some(format!(
                "GitLab's AI gateway calls {} itself; GitLab's connection check tests it when the configuration is applied",
                deployment.platform.label()
            )),
            ..view
        };
    }
    let check = state.inner.deployment_checks.latest(deployment);
    let listed = check.as_ref().map_or_else(unchecked_state, listed_state);
    DeploymentView {
        ready: listed.ready,
        status: listed.status,
        reason: listed.reason,
        checked_at_ms: check.as_ref().map(|c| c.checked_at_ms),
        latency_ms: check.and_then(|c| c.latency_ms),
        ..view
    }
}

fn snake_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Body of `deployment_test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRef {
    /// The external deployment's name.
    pub name: String,
}

fn find_deployment(settings: &Settings, name: &str) -> Result<ExternalDeployment, ApiError> {
    settings
        .deployments
        .iter()
        .find(|d| d.name == name)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = settings
                .deployments
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            ApiError::new(
                ErrorCode::UnknownDeployment,
                format!(
                    "no external deployment is called `{name}`; there are: {}",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            )
            .with_field("name")
        })
}

/// `deployment_test`: checks an external deployment now (`GET <endpoint>/models` with its
/// key) and keeps the result for the gateway page and the route table.
pub async fn deployment_test(
    state: &ApiState,
    params: DeploymentRef,
) -> Result<DeploymentCheck, ApiError> {
    let deployment = find_deployment(&state.settings_snapshot(), &params.name)?;
    Ok(crate::deployment_checks::check_now(state, &deployment).await)
}

/// Body of `deployment_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct DeploymentKeyParams {
    /// The external deployment's name.
    pub name: String,
    /// Its API key, kept in the secret store; none forgets the stored one.
    #[serde(default)]
    pub key: Option<Secret>,
}

/// `deployment_key`: keeps a deployment's API key in the secret store (or forgets it), marks
/// the deployment as using it, and checks it again. The key is never shown again.
pub async fn deployment_key(
    state: &ApiState,
    params: DeploymentKeyParams,
) -> Result<Settings, ApiError> {
    let mut settings = state.settings_snapshot();
    find_deployment(&settings, &params.name)?;
    let key = params.key.filter(|k| !k.expose().trim().is_empty());
    if let Some(key) = &key {
        if key.expose().len() > 2000 || key.expose().contains(char::is_whitespace) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "the key must be at most 2000 characters, without spaces",
            )
            .with_field("key"));
        }
    }
    for d in settings
        .deployments
        .iter_mut()
        .filter(|d| d.name == params.name)
    {
        d.api_key_stored = key.is_some();
        if key.is_some() {
            d.api_key_env = None;
        }
    }
    // The settings first: a deployment that takes no key (Bedrock) is refused before
    // anything is stored.
    settings.validate()?;
    let name = SecretName::DeploymentKey(params.name.clone());
    let secrets = state.secrets().clone();
    let stored = super::blocking(move || {
        match &key {
            Some(key) => secrets.set(&name, key),
            None => secrets.remove(&name),
        }
        .map_err(ApiError::from)
    })
    .await;
    stored?;
    let saved = super::update_settings(state, settings).await?;
    state.notify_change();
    Ok(saved)
}

/// Body of `features_rated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct FeaturesRatedParams {
    /// The deployment (an engine or an external deployment).
    pub deployment: String,
    /// The GitLab version whose ratings apply (default: the catalog's).
    #[serde(default)]
    pub gitlab_version: Option<String>,
}

/// What `features_rated` routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RatedAssignment {
    /// The features now routed to the deployment.
    pub features: Vec<String>,
    /// The GitLab version whose ratings were used.
    pub gitlab_version: String,
}

/// `features_rated`: routes the deployment to every feature its model is rated for (beta
/// ones only when beta features are shown; features turned off stay off).
pub async fn features_rated(
    state: &ApiState,
    params: FeaturesRatedParams,
) -> Result<RatedAssignment, ApiError> {
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let gitlab = match params
        .gitlab_version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        Some(text) => text.parse().map_err(|e: String| {
            ApiError::new(ErrorCode::InvalidParameter, e).with_field("gitlab_version")
        })?,
        None => catalog.default_gitlab,
    };
    // Engines by the catalog model they were started with (named after it unless renamed).
    let engines: BTreeMap<String, String> = state
        .existing_supervisor()
        .map(|s| s.endpoints())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            let model = state.engine_params(&e.status.name)?.model?;
            Some((e.status.name.clone(), model))
        })
        .collect();
    let mut settings = state.settings_snapshot();
    let features = duows_core::routing::rated_for_target(
        &settings,
        catalog,
        &params.deployment,
        &engines,
        gitlab,
    )
    .map_err(|reason| {
        ApiError::new(ErrorCode::UnknownDeployment, reason).with_field("deployment")
    })?;
    if features.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "{} is rated for no feature in GitLab {gitlab} that is not turned off",
                params.deployment
            ),
        )
        .with_field("deployment"));
    }
    for feature in &features {
        settings
            .features
            .insert(feature.clone(), params.deployment.clone());
    }
    super::update_settings(state, settings).await?;
    Ok(RatedAssignment {
        features,
        gitlab_version: gitlab.to_string(),
    })
}
