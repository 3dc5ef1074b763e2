//! The plan's types: what happens to each self-hosted model and each feature, the Duo
//! settings to set, and the notes — what `gitlab plan` shows and `gitlab apply` sends.

use serde::Serialize;

use crate::catalog::Family;

use super::documents::ApiShape;

/// What happens to one self-hosted model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ModelAction {
    /// It does not exist in GitLab: create it.
    Create,
    /// It exists with other values: update it.
    Update {
        /// Its global id.
        id: String,
        /// What changes, in words (`endpoint: http://a/v1 → http://b/v1`).
        changes: Vec<String>,
    },
    /// It exists as wanted.
    Keep {
        /// Its global id.
        id: String,
    },
}

/// One self-hosted model in the plan, with the values it will have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PlannedModel {
    /// Deployment name, `duo-workstation-<alias>`.
    pub name: String,
    /// The gateway alias it stands for.
    pub alias: String,
    /// Its family (GitLab's choice where it differs from the catalog's).
    pub family: Family,
    /// Endpoint (ending in `/v1` for the gateway); none for Bedrock.
    pub endpoint: Option<String>,
    /// `custom_openai/<alias>`, or a Bedrock or Azure deployment's identifier.
    pub identifier: String,
    /// GitLab's platform for it (`API`, `BEDROCK`; sent to 19.x).
    pub provider: String,
    /// Whether a key is sent with it: the gateway key, or the deployment's own.
    pub sends_api_token: bool,
    /// The Bedrock or Azure deployment whose own key is sent (none: the gateway key).
    pub key_of_deployment: Option<String>,
    /// What happens to it.
    pub action: ModelAction,
}

/// What happens to one feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FeatureAction {
    /// Point it at the model (`SELF_HOSTED`).
    Set,
    /// Turn it off (`DISABLED`).
    Disable,
    /// It is as wanted already.
    Keep,
}

/// One feature in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PlannedFeature {
    /// The key, e.g. `duo_chat`.
    pub feature: String,
    /// Its title in GitLab's admin page.
    pub title: String,
    /// The model (its name in GitLab) it is to use; none when it is turned off.
    pub model_name: Option<String>,
    /// Its provider now, as GitLab wrote it.
    pub provider_now: String,
    /// What happens to it.
    pub action: FeatureAction,
}

/// Duo settings to set: only the values that change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PlannedDuoSettings {
    /// The AI gateway URL to set, and the one GitLab has.
    pub ai_gateway_url: Option<String>,
    /// GitLab's AI gateway URL now.
    pub ai_gateway_url_now: Option<String>,
    /// The AI gateway timeout to set (GitLab 19.0 and newer).
    pub ai_gateway_timeout_seconds: Option<u32>,
    /// GitLab's timeout now.
    pub ai_gateway_timeout_seconds_now: Option<u32>,
}

/// The plan: GitLab's state against the desired one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Plan {
    /// The GitLab instance.
    pub gitlab_url: String,
    /// Its version as it reported it.
    pub gitlab_version: String,
    /// The shape of the documents it takes.
    pub shape: ApiShape,
    /// The endpoint every model gets.
    pub endpoint: String,
    /// The models, in the order they are applied.
    pub models: Vec<PlannedModel>,
    /// The features, in the catalog's order.
    pub features: Vec<PlannedFeature>,
    /// Duo settings to set, if any change.
    pub duo_settings: Option<PlannedDuoSettings>,
    /// What is not sent and why, GitLab's decisions, and what to do by hand.
    pub notes: Vec<String>,
}

impl Plan {
    /// How many changes applying it sends (connection checks aside).
    pub fn change_count(&self) -> usize {
        let models = self
            .models
            .iter()
            .filter(|m| !matches!(m.action, ModelAction::Keep { .. }))
            .count();
        let features = self
            .features
            .iter()
            .filter(|f| f.action != FeatureAction::Keep)
            .count();
        models + features + usize::from(self.duo_settings.is_some())
    }
}
