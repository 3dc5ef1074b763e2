//! The difference between what a GitLab holds and what this app wants (pure): which
//! self-hosted models to create, update or leave, which features to point at them, which Duo
//! settings to set, and notes for everything that is not sent and why.
//!
//! GitLab is the authority on what it accepts: a feature it does not list (or whose enum
//! value its version lacks) is not sent; a family it does not accept for a feature (its
//! `compatibleLlms`, or its enum) becomes `GENERAL` where GitLab accepts that, else the
//! feature is not sent. Every such decision is a note in the plan. Models of this app that
//! are no longer wanted, and everyone else's models, are left as they are.

use crate::catalog::Family;

use super::desired::{DesiredConfig, DesiredModel, MODEL_NAME_PREFIX};
use super::documents::ApiShape;
use super::model::{family_from_gitlab, family_name, FeatureProvider, GitlabModel, GitlabState};
use super::plan_settings::{plan_disabled, plan_duo_settings};

pub use super::plan_types::{
    FeatureAction, ModelAction, Plan, PlannedDuoSettings, PlannedFeature, PlannedModel,
};

/// The plan for `gitlab` to hold `desired`. Pure.
pub fn plan(gitlab_url: &str, desired: &DesiredConfig, gitlab: &GitlabState) -> Plan {
    let mut notes = Vec::new();
    let mut models = Vec::new();
    let mut features = Vec::new();
    for wanted in &desired.models {
        let Some(family) = choose_family(wanted, gitlab, &mut notes) else {
            continue;
        };
        let Some(setting) = gitlab.feature(&wanted.feature) else {
            continue;
        };
        let model = match models
            .iter()
            .find(|m: &&PlannedModel| m.name == wanted.name)
        {
            // A Bedrock or Azure deployment serving several features: planned once.
            Some(planned) => planned.clone(),
            None => planned_model(wanted, family, desired, gitlab),
        };
        let model_id = match &model.action {
            ModelAction::Update { id, .. } | ModelAction::Keep { id } => Some(id.as_str()),
            ModelAction::Create => None,
        };
        let uses_it = setting.provider() == Some(FeatureProvider::SelfHosted)
            && model_id.is_some()
            && setting.self_hosted_model_id.as_deref() == model_id;
        if let (ModelAction::Keep { id }, false) =
            (&model.action, setting.valid_model_ids.is_empty())
        {
            if !setting.valid_model_ids.contains(id) {
                notes.push(format!(
                    "GitLab does not list {} among the models valid for {}; it may refuse it",
                    model.name, wanted.feature_title
                ));
            }
        }
        features.push(PlannedFeature {
            feature: wanted.feature.clone(),
            title: wanted.feature_title.clone(),
            model_name: Some(model.name.clone()),
            provider_now: setting.provider.to_ascii_lowercase(),
            action: if uses_it {
                FeatureAction::Keep
            } else {
                FeatureAction::Set
            },
        });
        if !models.iter().any(|m| m.name == model.name) {
            models.push(model);
        }
    }
    features.extend(plan_disabled(desired, gitlab, &mut notes));
    for other in gitlab.models.iter().filter(|m| {
        m.name.starts_with(MODEL_NAME_PREFIX) && !models.iter().any(|p| p.name == m.name)
    }) {
        notes.push(format!(
            "{} is in GitLab but no longer routed here; it is left as it is (delete it in GitLab if no feature uses it)",
            other.name
        ));
    }
    if desired.models.is_empty() && desired.disabled.is_empty() {
        notes.push(
            "no Duo feature has a model routed in this app: route one first (`duows features set duo_chat <engine>`)"
                .into(),
        );
    }
    if desired.model_api_key.is_none() && desired.gateway_requires_key && !models.is_empty() {
        notes.push(
            "the gateway requires a key, and none is given for GitLab to send: create one (`duows keys create --name gitlab`) and give it, or the models' requests will be refused"
                .into(),
        );
    }
    let duo_settings = plan_duo_settings(desired, gitlab, &mut notes);
    Plan {
        gitlab_url: gitlab_url.to_owned(),
        gitlab_version: gitlab.version_text.clone(),
        shape: gitlab.shape,
        endpoint: desired.endpoint.clone(),
        models,
        features,
        duo_settings,
        notes,
    }
}

/// The family to register `wanted` with in this GitLab, or `None` (with a note) when its
/// feature is not sent.
fn choose_family(
    wanted: &DesiredModel,
    gitlab: &GitlabState,
    notes: &mut Vec<String>,
) -> Option<Family> {
    let shape = gitlab.shape;
    let version = gitlab.version;
    let title = format!("{} ({})", wanted.feature_title, wanted.feature);
    if !shape.features().contains(&wanted.feature.as_str()) {
        notes.push(format!(
            "{title} is not a feature GitLab {version} knows; not sent"
        ));
        return None;
    }
    let Some(setting) = gitlab.feature(&wanted.feature) else {
        let why = if wanted.feature_state == "ga" {
            format!("GitLab {version} does not list it")
        } else {
            "GitLab lists beta and experimental features only after an administrator ticks \
             “Use beta models and features in GitLab Duo Self-Hosted” (Admin > GitLab Duo > \
             Change configuration)"
                .to_owned()
        };
        notes.push(format!("{title}: {why}; not sent"));
        return None;
    };
    let accepts = |family: Family| shape.families().contains(&family) && setting.accepts(family);
    if accepts(wanted.family) {
        return Some(wanted.family);
    }
    let reason = if shape.families().contains(&wanted.family) {
        let list = setting
            .compatible_llms
            .clone()
            .unwrap_or_default()
            .join(", ");
        format!(
            "GitLab {version} does not accept {} for {title} (it accepts: {list})",
            family_name(wanted.family)
        )
    } else {
        format!(
            "GitLab {version} has no family {}",
            family_name(wanted.family)
        )
    };
    if accepts(Family::General) {
        notes.push(format!(
            "{reason}: {} is registered as GENERAL",
            wanted.name
        ));
        Some(Family::General)
    } else {
        notes.push(format!("{reason}, nor GENERAL: not sent"));
        None
    }
}

fn planned_model(
    wanted: &DesiredModel,
    family: Family,
    desired: &DesiredConfig,
    gitlab: &GitlabState,
) -> PlannedModel {
    let sends_key = match &wanted.key_of_deployment {
        Some(_) => true,
        None if wanted.platform.through_gateway() => desired.model_api_key.is_some(),
        None => false,
    };
    let action = match gitlab.model_named(&wanted.name) {
        None => ModelAction::Create,
        Some(existing) => {
            let changes = differences(existing, wanted, family, desired, gitlab.shape);
            if changes.is_empty() {
                ModelAction::Keep {
                    id: existing.id.clone(),
                }
            } else {
                ModelAction::Update {
                    id: existing.id.clone(),
                    changes,
                }
            }
        }
    };
    PlannedModel {
        name: wanted.name.clone(),
        alias: wanted.alias.clone(),
        family,
        endpoint: endpoint_for(wanted, gitlab.shape),
        identifier: wanted.identifier.clone(),
        provider: wanted.platform.gitlab_provider().to_owned(),
        sends_api_token: sends_key,
        key_of_deployment: wanted.key_of_deployment.clone(),
        action,
    }
}

/// What differs between GitLab's model and the wanted one, in words. A stored token is never
/// removed; a given key is written only where GitLab has none (it cannot show which it has).
fn differences(
    existing: &GitlabModel,
    wanted: &DesiredModel,
    family: Family,
    desired: &DesiredConfig,
    shape: ApiShape,
) -> Vec<String> {
    let mut changes = Vec::new();
    let show = |value: Option<&str>| value.unwrap_or("(none)").to_owned();
    if family_from_gitlab(&existing.model) != Some(family) {
        changes.push(format!(
            "family: {} → {}",
            existing.model,
            family_name(family)
        ));
    }
    let endpoint_now = existing.endpoint.as_deref().filter(|e| !e.is_empty());
    let endpoint = endpoint_for(wanted, shape);
    if endpoint_now != endpoint.as_deref() {
        changes.push(format!(
            "endpoint: {} → {}",
            show(endpoint_now),
            show(endpoint.as_deref())
        ));
    }
    if existing.identifier.as_deref() != Some(wanted.identifier.as_str()) {
        changes.push(format!(
            "identifier: {} → {}",
            show(existing.identifier.as_deref()),
            wanted.identifier
        ));
    }
    let provider = wanted.platform.gitlab_provider();
    if shape.has_model_provider()
        && !existing
            .provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(provider))
    {
        changes.push(format!(
            "platform: {} → {provider}",
            show(existing.provider.as_deref())
        ));
    }
    if !existing.has_api_token {
        if wanted.key_of_deployment.is_some() {
            changes.push("API token: none → the deployment's key".into());
        } else if wanted.platform.through_gateway() && desired.model_api_key.is_some() {
            changes.push("API token: none → the given gateway key".into());
        }
    }
    changes
}

/// The endpoint GitLab is given: the model's, or for Bedrock none where the endpoint is
/// optional (19.x) and the runtime of its region where it is required (18.x).
fn endpoint_for(wanted: &DesiredModel, shape: ApiShape) -> Option<String> {
    match (&wanted.endpoint, &wanted.region) {
        (Some(endpoint), _) => Some(endpoint.clone()),
        (None, Some(region)) if !shape.has_model_provider() => {
            Some(format!("https://bedrock-runtime.{region}.amazonaws.com"))
        }
        (None, _) => None,
    }
}
