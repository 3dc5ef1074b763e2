//! The GitLab calls: the plan for configuring a GitLab from this app's routes, applying it
//! (only with `confirm: true`), and the same configuration as steps to type by hand. The
//! decisions are the core's (`duows_core::gitlab`); here the request becomes its inputs —
//! the settings, the models the engines serve, whether the gateway needs a key — and its
//! errors become API errors.

use std::collections::BTreeMap;

use duows_base::Secret;
use duows_core::catalog::Catalog;
use duows_core::gitlab::{
    self, desired_for_settings, manual_steps, ApiShape, ApplyReport, DesiredConfig, DesiredInputs,
    GitlabClient, GitlabError, GitlabUrl, ManualSteps, Plan,
};
use duows_core::secrets::SecretName;
use serde::{Deserialize, Serialize};

use crate::gateway_service::key_store;
use crate::{ApiError, ApiState, ErrorCode};

/// Body of `gitlab_plan` and `gitlab_apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct GitlabParams {
    /// GitLab's address, e.g. `https://gitlab.example.com`.
    pub url: String,
    /// An administrator's personal access token with the `api` scope: sent to GitLab only,
    /// never logged or returned. Absent: the one remembered in the secret store.
    #[serde(default)]
    pub token: Option<Secret>,
    /// Keep the given token in the secret store (once GitLab has accepted it), so the next
    /// request needs none.
    #[serde(default)]
    pub remember_token: Option<bool>,
    /// The address GitLab reaches this machine's gateway at: `HOST[:PORT]` (port 8000 by
    /// default) or an http(s) URL; never a loopback name.
    pub endpoint_address: String,
    /// GitLab's AI gateway URL to set (left as it is when absent).
    #[serde(default)]
    pub ai_gateway_url: Option<String>,
    /// The AI gateway timeout to set, 60–600 s (GitLab 19.0 and newer; older ones by hand).
    #[serde(default)]
    pub ai_gateway_timeout_seconds: Option<u32>,
    /// A key of this gateway for GitLab to send with every model request.
    #[serde(default)]
    pub model_api_key: Option<Secret>,
    /// `gitlab_apply` only: must be `true`, after reviewing `gitlab_plan`'s plan.
    #[serde(default)]
    pub confirm: Option<bool>,
}

/// Body of `gitlab_steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct GitlabStepsParams {
    /// The address GitLab reaches this machine's gateway at.
    pub endpoint_address: String,
    /// GitLab's AI gateway URL, when known.
    #[serde(default)]
    pub ai_gateway_url: Option<String>,
    /// The AI gateway timeout to enter, 60–600 s.
    #[serde(default)]
    pub ai_gateway_timeout_seconds: Option<u32>,
    /// The GitLab version (e.g. `18.6`), to leave out what it lacks.
    #[serde(default)]
    pub gitlab_version: Option<String>,
}

/// `gitlab_plan`: reads the GitLab and says what applying would change. Changes nothing.
pub async fn gitlab_plan(state: &ApiState, params: GitlabParams) -> Result<Plan, ApiError> {
    let remember = remembered_token(&params);
    let (client, desired) = prepare(state, params).await?;
    let plan = gitlab::plan_against(&client, &desired).await?;
    keep_token(state, remember).await?;
    Ok(plan)
}

/// The token to keep once GitLab accepted it, when asked to.
fn remembered_token(params: &GitlabParams) -> Option<Secret> {
    params
        .token
        .clone()
        .filter(|_| params.remember_token == Some(true))
}

async fn keep_token(state: &ApiState, token: Option<Secret>) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Ok(());
    };
    let secrets = state.secrets().clone();
    super::blocking(move || {
        secrets
            .set(&SecretName::GitlabToken, &token)
            .map_err(ApiError::from)
    })
    .await
}

/// `gitlab_apply`: reads the GitLab again, plans, and applies; refused without `confirm`.
pub async fn gitlab_apply(state: &ApiState, params: GitlabParams) -> Result<ApplyReport, ApiError> {
    if params.confirm != Some(true) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "gitlab_apply changes GitLab: review gitlab_plan's plan, then send confirm: true",
        )
        .with_field("confirm"));
    }
    let remember = remembered_token(&params);
    let (client, desired) = prepare(state, params).await?;
    let plan = gitlab::plan_against(&client, &desired).await?;
    keep_token(state, remember).await?;
    tracing::info!(gitlab = %client.url(), changes = plan.change_count(), "applying the GitLab configuration");
    let (settings, secrets) = (state.settings_snapshot(), state.secrets().clone());
    let deployment_keys = super::blocking(move || Ok(secrets.deployment_keys(&settings))).await?;
    let keys = gitlab::ModelKeys {
        gateway: desired.model_api_key.as_ref(),
        deployments: &deployment_keys,
    };
    let report = gitlab::apply(&client, &plan, keys).await?;
    Ok(report)
}

/// `gitlab_steps`: the values to type into GitLab's admin pages, in order (no token needed).
pub async fn gitlab_steps(
    state: &ApiState,
    params: GitlabStepsParams,
) -> Result<ManualSteps, ApiError> {
    let shape = match params
        .gitlab_version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        None => None,
        Some(text) => Some(shape_of(text)?),
    };
    let inputs = DesiredInputs::parse(
        &params.endpoint_address,
        params.ai_gateway_url.as_deref(),
        params.ai_gateway_timeout_seconds,
        None,
    )?;
    let desired = desired_now(state, inputs).await?;
    Ok(manual_steps(&desired, shape))
}

fn shape_of(text: &str) -> Result<ApiShape, ApiError> {
    duows_core::gitlab::model::parse_version(text)
        .and_then(ApiShape::for_version)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("`{text}` is not a GitLab version of 17.9 or newer, e.g. 18.6"),
            )
            .with_field("gitlab_version")
        })
}

/// The client and the desired configuration for a request.
async fn prepare(
    state: &ApiState,
    params: GitlabParams,
) -> Result<(GitlabClient, DesiredConfig), ApiError> {
    let url = GitlabUrl::parse(&params.url)?;
    let token = match params.token.filter(|t| !t.expose().trim().is_empty()) {
        Some(token) => token,
        None => {
            let secrets = state.secrets().clone();
            let stored = super::blocking(move || {
                secrets
                    .get(&SecretName::GitlabToken)
                    .map_err(ApiError::from)
            })
            .await?;
            stored.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    "give an administrator's personal access token with the api scope (none is remembered)",
                )
                .with_field("token")
            })?
        }
    };
    let client = GitlabClient::new(url, token)?;
    let inputs = DesiredInputs::parse(
        &params.endpoint_address,
        params.ai_gateway_url.as_deref(),
        params.ai_gateway_timeout_seconds,
        params.model_api_key,
    )?;
    Ok((client, desired_now(state, inputs).await?))
}

/// The desired configuration from the settings in force, the models the running engines
/// serve, and the gateway's keys (a given key must be one of them).
async fn desired_now(
    state: &ApiState,
    mut inputs: DesiredInputs,
) -> Result<DesiredConfig, ApiError> {
    let state = state.clone();
    super::blocking(move || {
        let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
        let settings = state.settings_snapshot();
        let mut engines = BTreeMap::new();
        if let Some(supervisor) = state.existing_supervisor() {
            for engine in supervisor.statuses() {
                if let Some(model) = state.engine_params(&engine.name).and_then(|p| p.model) {
                    engines.insert(engine.name, model);
                }
            }
        }
        let keys = key_store(&state)?;
        inputs.gateway_requires_key = keys.has_active_keys();
        if let Some(key) = &inputs.model_api_key {
            if keys.verify(key.expose()).is_none() {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    "model_api_key is not an active key of this gateway: create one (duows keys create --name gitlab) and give the key it prints",
                )
                .with_field("model_api_key"));
            }
        }
        Ok(desired_for_settings(&settings, catalog, &engines, inputs))
    })
    .await
}

impl From<GitlabError> for ApiError {
    fn from(error: GitlabError) -> Self {
        let code = match &error {
            GitlabError::Invalid { .. } => ErrorCode::InvalidParameter,
            GitlabError::Unreachable { .. } => ErrorCode::GitlabUnreachable,
            GitlabError::TokenRefused { .. } | GitlabError::Forbidden { .. } => {
                ErrorCode::GitlabTokenRefused
            }
            GitlabError::NotAdmin { .. } => ErrorCode::GitlabNotAdmin,
            GitlabError::NotGitlab { .. } | GitlabError::Unsupported { .. } => {
                ErrorCode::GitlabUnsupported
            }
            GitlabError::Graphql { .. } | GitlabError::UnexpectedAnswer { .. } => {
                ErrorCode::GitlabError
            }
            GitlabError::StepFailed { .. } => ErrorCode::GitlabStepFailed,
        };
        let api = ApiError::new(code, error.to_string());
        match error.field() {
            Some(field) => api.with_field(field),
            None => api,
        }
    }
}
