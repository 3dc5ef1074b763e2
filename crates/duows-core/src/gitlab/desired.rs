//! What GitLab should hold for this app, derived from its settings and catalog (pure): for
//! every gateway alias with a model routed to it, one self-hosted model
//! `duo-workstation-<alias>` at the gateway's address with the identifier
//! `custom_openai/<alias>` and the family of the catalog model behind the alias (`GENERAL`
//! for a model outside the catalog), and that alias's feature served by it (`SELF_HOSTED`).
//!
//! One model per alias, not per engine: GitLab is configured once, and which engine serves a
//! feature stays the app's decision. A feature routed to an AWS Bedrock or Azure OpenAI
//! deployment is different: GitLab's AI gateway calls those itself, so the deployment is
//! registered as it is (`duo-workstation-<deployment>`, its identifier, endpoint and key), one
//! model for all the features routed to it. A feature turned off is set to `DISABLED`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{Catalog, Family};
use crate::routing::{feature_routes, FeatureRoute};
use crate::settings::{ExternalDeployment, Platform, Settings};
use duows_base::Secret;

use super::address::{parse_ai_gateway_url, GatewayAddress};
use super::model::MAX_NAME_LEN;
use super::GitlabError;

/// Every model this app registers in GitLab is named with this prefix and its alias.
pub const MODEL_NAME_PREFIX: &str = "duo-workstation-";

/// GitLab accepts AI gateway timeouts in this range (seconds).
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 60..=600;

/// One self-hosted model this app wants in GitLab, and the feature it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DesiredModel {
    /// The gateway alias, e.g. `duo-chat`.
    pub alias: String,
    /// The feature key it serves, e.g. `duo_chat`.
    pub feature: String,
    /// The feature's title in GitLab's admin page.
    pub feature_title: String,
    /// The feature's release state in the catalog (`ga`, `beta`, `experiment`).
    pub feature_state: String,
    /// Its name in GitLab: `duo-workstation-<alias>`.
    pub name: String,
    /// The family of the model behind the alias.
    pub family: Family,
    /// `custom_openai/<alias>`, or a Bedrock or Azure deployment's identifier.
    pub identifier: String,
    /// The deployment the gateway routes the alias to (an engine or external deployment).
    pub served_by: String,
    /// The catalog model behind it, when it is one.
    pub catalog_model: Option<String>,
    /// Where it runs: an OpenAI-compatible platform is this app's gateway.
    pub platform: Platform,
    /// Its endpoint: the gateway's, an Azure resource's, none for Bedrock.
    pub endpoint: Option<String>,
    /// A Bedrock or Azure deployment's name, whose own key GitLab is given (instead of the
    /// gateway key), when it has one.
    pub key_of_deployment: Option<String>,
    /// A Bedrock deployment's AWS region (GitLab 18.x requires an endpoint: its runtime's).
    pub region: Option<String>,
}

/// What the user gives beyond the app's settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredInputs {
    /// Where GitLab reaches the gateway.
    pub gateway: GatewayAddress,
    /// The AI gateway URL to set, when one is given.
    pub ai_gateway_url: Option<String>,
    /// The AI gateway timeout to set, when one is given.
    pub ai_gateway_timeout_seconds: Option<u32>,
    /// The gateway key GitLab is to send (a `Secret`: never printed).
    pub model_api_key: Option<Secret>,
    /// Whether the gateway refuses requests without a key (it does once a key exists).
    pub gateway_requires_key: bool,
}

impl DesiredInputs {
    /// Validates the inputs; each error names its field (`endpoint_address`,
    /// `ai_gateway_url`, `ai_gateway_timeout_seconds`, `model_api_key`).
    pub fn parse(
        endpoint_address: &str,
        ai_gateway_url: Option<&str>,
        ai_gateway_timeout_seconds: Option<u32>,
        model_api_key: Option<Secret>,
    ) -> Result<Self, GitlabError> {
        let gateway = GatewayAddress::parse(endpoint_address)?;
        let ai_gateway_url = ai_gateway_url
            .filter(|u| !u.trim().is_empty())
            .map(parse_ai_gateway_url)
            .transpose()?;
        if let Some(seconds) = ai_gateway_timeout_seconds {
            if !TIMEOUT_RANGE.contains(&seconds) {
                return Err(GitlabError::invalid(
                    "ai_gateway_timeout_seconds",
                    format!("{seconds} is outside GitLab's range of 60 to 600 seconds"),
                ));
            }
        }
        let model_api_key = model_api_key.filter(|k| !k.expose().is_empty());
        if let Some(key) = &model_api_key {
            if key.expose().len() > 2000 || key.expose().contains(char::is_whitespace) {
                return Err(GitlabError::invalid(
                    "model_api_key",
                    "is not a gateway key (at most 2000 characters, no spaces)",
                ));
            }
        }
        Ok(Self {
            gateway,
            ai_gateway_url,
            ai_gateway_timeout_seconds,
            model_api_key,
            gateway_requires_key: false,
        })
    }
}

/// The whole configuration this app wants in GitLab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredConfig {
    /// The endpoint of every model: the gateway's address and `/v1`.
    pub endpoint: String,
    /// The models, one per routed alias (a Bedrock or Azure deployment once per feature it
    /// serves, under one name), in the catalog's feature order.
    pub models: Vec<DesiredModel>,
    /// The features to turn off (`DISABLED`), with their titles.
    pub disabled: Vec<(String, String)>,
    /// The AI gateway URL to set, if any.
    pub ai_gateway_url: Option<String>,
    /// The AI gateway timeout to set, if any.
    pub ai_gateway_timeout_seconds: Option<u32>,
    /// The gateway key GitLab is to send, if any.
    pub model_api_key: Option<Secret>,
    /// Whether the gateway needs a key.
    pub gateway_requires_key: bool,
}

/// The desired configuration: `routes` (from [`crate::routing::feature_routes`]) with a
/// target each become a model; `served_models` names the model each deployment serves (an
/// engine's catalog id or an external deployment's served model), so the family is the
/// catalog's for it, else `GENERAL`.
pub fn desired_config(
    routes: &[FeatureRoute],
    catalog: &Catalog,
    served_models: &BTreeMap<String, String>,
    direct: &[ExternalDeployment],
    inputs: DesiredInputs,
) -> DesiredConfig {
    let endpoint = inputs.gateway.endpoint();
    let models = routes
        .iter()
        .filter_map(|route| {
            let target = route.target.as_ref()?;
            if let Some(deployment) = direct.iter().find(|d| &d.name == target) {
                return Some(direct_model(route, catalog, deployment));
            }
            let served = served_models.get(target).unwrap_or(target);
            let catalog_model = catalog.model(served).or_else(|| catalog.model(target));
            let feature = catalog.feature(&route.feature);
            let mut name = format!("{MODEL_NAME_PREFIX}{}", route.alias);
            name.truncate(MAX_NAME_LEN);
            Some(DesiredModel {
                alias: route.alias.clone(),
                feature: route.feature.clone(),
                feature_title: route.title.clone(),
                feature_state: feature.map_or_else(|| "ga".to_owned(), |f| f.state.clone()),
                name,
                family: catalog_model.map_or(Family::General, |m| m.family),
                identifier: route.gitlab_identifier.clone(),
                served_by: target.clone(),
                catalog_model: catalog_model.map(|m| m.id.clone()),
                platform: Platform::OpenaiCompatible,
                endpoint: Some(endpoint.clone()),
                key_of_deployment: None,
                region: None,
            })
        })
        .collect();
    let disabled = routes
        .iter()
        .filter(|r| r.disabled)
        .map(|r| (r.feature.clone(), r.title.clone()))
        .collect();
    DesiredConfig {
        endpoint,
        models,
        disabled,
        ai_gateway_url: inputs.ai_gateway_url,
        ai_gateway_timeout_seconds: inputs.ai_gateway_timeout_seconds,
        model_api_key: inputs.model_api_key,
        gateway_requires_key: inputs.gateway_requires_key,
    }
}

/// A feature routed to a Bedrock or Azure deployment: the deployment as GitLab models it.
fn direct_model(
    route: &FeatureRoute,
    catalog: &Catalog,
    deployment: &ExternalDeployment,
) -> DesiredModel {
    let mut name = format!("{MODEL_NAME_PREFIX}{}", deployment.name);
    name.truncate(MAX_NAME_LEN);
    let has_key = deployment.api_key_stored || deployment.api_key_env.is_some();
    DesiredModel {
        alias: route.alias.clone(),
        feature: route.feature.clone(),
        feature_title: route.title.clone(),
        feature_state: route.state.clone(),
        name,
        family: deployment.effective_family(catalog),
        identifier: deployment.gitlab_identifier(),
        served_by: deployment.name.clone(),
        catalog_model: catalog
            .model(&deployment.served_model)
            .map(|m| m.id.clone()),
        platform: deployment.platform,
        endpoint: Some(deployment.endpoint.trim().trim_end_matches('/').to_owned())
            .filter(|e| !e.is_empty()),
        key_of_deployment: has_key.then(|| deployment.name.clone()),
        region: deployment.region.clone(),
    }
}

/// The model each deployment of `settings` serves: external deployments' served models.
/// Engines are named after their catalog model unless renamed; the caller adds what it
/// knows of running engines.
pub fn served_models_of(settings: &Settings) -> BTreeMap<String, String> {
    settings
        .deployments
        .iter()
        .map(|d| (d.name.clone(), d.served_model.clone()))
        .collect()
}

/// [`desired_config`] for `settings`: its routes, the models of its external deployments,
/// and the models `engines` serve (engine name → catalog id, for engines renamed at start).
pub fn desired_for_settings(
    settings: &Settings,
    catalog: &Catalog,
    engines: &BTreeMap<String, String>,
    inputs: DesiredInputs,
) -> DesiredConfig {
    let mut served = served_models_of(settings);
    served.extend(engines.iter().map(|(k, v)| (k.clone(), v.clone())));
    let direct: Vec<ExternalDeployment> = settings
        .deployments
        .iter()
        .filter(|d| !d.platform.through_gateway())
        .cloned()
        .collect();
    desired_config(
        &feature_routes(settings, catalog),
        catalog,
        &served,
        &direct,
        inputs,
    )
}

#[cfg(test)]
#[path = "desired_tests.rs"]
mod tests;
