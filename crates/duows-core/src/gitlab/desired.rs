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
mod tests {
    use super::*;
    use crate::settings::ExternalDeployment;

    fn inputs() -> DesiredInputs {
        DesiredInputs::parse("gpu-box.example.com", None, None, None).expect("inputs")
    }

    #[test]
    fn each_routed_alias_becomes_one_model_with_its_catalog_family() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut settings = Settings::default();
        settings
            .features
            .insert("duo_chat".into(), "mistral-7b-instruct-v0.3".into());
        settings
            .features
            .insert("code_completions".into(), "gpu-2".into());
        settings
            .features
            .insert("code_generations".into(), "my-finetune".into());
        settings.deployments.push(ExternalDeployment::openai(
            "gpu-2",
            "http://gpu-2:8000/v1",
            "mistralai/Codestral-22B-v0.1",
        ));
        let desired = desired_for_settings(&settings, catalog, &BTreeMap::new(), inputs());
        assert_eq!(desired.endpoint, "http://gpu-box.example.com:8000/v1");
        let model = |alias: &str| {
            desired
                .models
                .iter()
                .find(|m| m.alias == alias)
                .unwrap_or_else(|| panic!("{alias}"))
        };
        let chat = model("duo-chat");
        assert_eq!(chat.name, "duo-workstation-duo-chat");
        assert_eq!(chat.identifier, "custom_openai/duo-chat");
        assert_eq!(chat.family, Family::Mistral);
        assert_eq!(chat.feature, "duo_chat");
        assert_eq!(model("duo-code-completion").family, Family::Codestral);
        assert_eq!(
            model("duo-code-generation").family,
            Family::General,
            "not in the catalog"
        );
        // Chat sub-features borrow General Chat's model, under their own alias.
        let explain = model("duo-chat-explain-code");
        assert_eq!(explain.family, Family::Mistral);
        assert_eq!(explain.served_by, "mistral-7b-instruct-v0.3");
        assert!(
            desired
                .models
                .iter()
                .all(|m| m.feature != "glab_ask_git_command"),
            "a feature without a route or fallback has no model"
        );
    }

    #[test]
    fn nothing_routed_wants_no_models() {
        let catalog = Catalog::builtin().expect("catalog");
        let routes = feature_routes(&Settings::default(), catalog);
        let desired = desired_config(&routes, catalog, &BTreeMap::new(), &[], inputs());
        assert!(desired.models.is_empty());
    }

    #[test]
    fn bedrock_and_azure_deployments_are_registered_as_they_are() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut settings = Settings::default();
        settings.deployments.push(ExternalDeployment {
            platform: Platform::Bedrock,
            region: Some("us-east-1".into()),
            ..ExternalDeployment::openai(
                "claude",
                "",
                "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            )
        });
        settings.deployments.push(ExternalDeployment {
            platform: Platform::AzureOpenai,
            api_key_stored: true,
            ..ExternalDeployment::openai("team-gpt", "https://team.openai.azure.com/", "gpt-4o")
        });
        settings.features.insert("duo_chat".into(), "claude".into());
        settings
            .features
            .insert("code_generations".into(), "claude".into());
        settings
            .features
            .insert("code_completions".into(), "team-gpt".into());
        settings
            .disabled_features
            .insert("glab_ask_git_command".into());
        settings.validate().expect("valid");
        let desired = desired_for_settings(&settings, catalog, &BTreeMap::new(), inputs());
        let chat = desired
            .models
            .iter()
            .find(|m| m.feature == "duo_chat")
            .expect("chat");
        assert_eq!(chat.name, "duo-workstation-claude");
        assert_eq!(
            chat.identifier,
            "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"
        );
        assert_eq!(
            (chat.family, chat.endpoint.as_deref()),
            (Family::Claude3, None)
        );
        assert_eq!(chat.key_of_deployment, None);
        let generation = desired
            .models
            .iter()
            .find(|m| m.feature == "code_generations")
            .expect("generation");
        assert_eq!(generation.name, chat.name, "one model for both features");
        let completion = desired
            .models
            .iter()
            .find(|m| m.feature == "code_completions")
            .expect("completion");
        assert_eq!(completion.identifier, "azure/gpt-4o");
        assert_eq!(
            completion.endpoint.as_deref(),
            Some("https://team.openai.azure.com")
        );
        assert_eq!(completion.key_of_deployment.as_deref(), Some("team-gpt"));
        assert_eq!(completion.family, Family::Gpt);
        assert_eq!(
            desired.disabled,
            vec![(
                "glab_ask_git_command".to_owned(),
                "GitLab Duo for CLI".to_owned()
            )]
        );
    }

    #[test]
    fn inputs_are_validated_naming_the_field() {
        let error = DesiredInputs::parse("127.0.0.1:8000", None, None, None).expect_err("loopback");
        assert_eq!(error.field(), Some("endpoint_address"));
        let error = DesiredInputs::parse("gpu-box", Some("aigw"), None, None).expect_err("url");
        assert_eq!(error.field(), Some("ai_gateway_url"));
        let error = DesiredInputs::parse("gpu-box", None, Some(30), None).expect_err("timeout");
        assert_eq!(error.field(), Some("ai_gateway_timeout_seconds"));
        let key = Secret::new("dwk_abc def");
        let error = DesiredInputs::parse("gpu-box", None, None, Some(key)).expect_err("key");
        assert_eq!(error.field(), Some("model_api_key"));
        assert!(
            !error.to_string().contains("dwk_abc"),
            "the key is never quoted"
        );
        let ok =
            DesiredInputs::parse("gpu-box", None, None, Some(Secret::new("dwk_1"))).expect("ok");
        assert!(!format!("{ok:?}").contains("dwk_1"), "Debug hides the key");
    }
}
