//! GitLab's Duo Self-Hosted objects as this app knows them: a self-hosted model, a feature's
//! setting, the Duo settings, and the whole configuration read from one instance
//! ([`GitlabState`]). GitLab answers some enum-like fields as strings (`model`, `provider`,
//! `feature`); they are kept as written and compared without regard to case.

use serde::Serialize;

use crate::catalog::{Family, GitlabVersion};

use super::shape::ApiShape;

/// GitLab's limit for a self-hosted model's name and identifier.
pub const MAX_NAME_LEN: usize = 255;

pub use crate::catalog::{family_from_gitlab, family_label, family_name};

/// Who serves a feature (`AiFeatureProviders`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeatureProvider {
    /// Turned off.
    Disabled,
    /// A GitLab-managed model.
    Vendored,
    /// A self-hosted model.
    SelfHosted,
    /// Nothing chosen (GitLab's default).
    Unassigned,
}

impl FeatureProvider {
    /// GitLab's enum value, e.g. `SELF_HOSTED`.
    pub fn graphql_name(self) -> &'static str {
        match self {
            Self::Disabled => "DISABLED",
            Self::Vendored => "VENDORED",
            Self::SelfHosted => "SELF_HOSTED",
            Self::Unassigned => "UNASSIGNED",
        }
    }

    /// Reads GitLab's answer (`self_hosted`, `SELF_HOSTED`).
    pub fn from_gitlab(text: &str) -> Option<Self> {
        [
            Self::Disabled,
            Self::Vendored,
            Self::SelfHosted,
            Self::Unassigned,
        ]
        .into_iter()
        .find(|p| p.graphql_name().eq_ignore_ascii_case(text.trim()))
    }
}

/// A self-hosted model as GitLab holds it. Its API token is never read back: GitLab only says
/// whether it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GitlabModel {
    /// Its global id, `gid://gitlab/Ai::SelfHostedModel/<n>`.
    pub id: String,
    /// Its deployment name (≤255).
    pub name: String,
    /// Its family as GitLab writes it (`mistral`, `general`).
    pub model: String,
    /// Its endpoint (optional from GitLab 19.0).
    pub endpoint: Option<String>,
    /// Its model identifier, e.g. `custom_openai/duo-chat`.
    pub identifier: Option<String>,
    /// Whether GitLab stores an API token for it.
    pub has_api_token: bool,
    /// Its platform (`API`, `BEDROCK`, `VERTEX_AI`; GitLab 19.0 and newer).
    pub provider: Option<String>,
}

/// One feature's setting as GitLab holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GitlabFeature {
    /// The key, e.g. `duo_chat`.
    pub feature: String,
    /// Its title in the admin page.
    pub title: Option<String>,
    /// The group it belongs to (`Duo Chat`, `Code Suggestions`).
    pub main_feature: Option<String>,
    /// Who serves it, as GitLab writes it (`self_hosted`, `vendored`, …).
    pub provider: String,
    /// GA, beta or experiment.
    pub release_state: Option<String>,
    /// The families GitLab accepts for it (lower case, as GitLab writes them).
    pub compatible_llms: Option<Vec<String>>,
    /// The self-hosted model it uses.
    pub self_hosted_model_id: Option<String>,
    /// The self-hosted models GitLab offers for it.
    pub valid_model_ids: Vec<String>,
}

impl GitlabFeature {
    /// Its provider, when GitLab wrote a known one.
    pub fn provider(&self) -> Option<FeatureProvider> {
        FeatureProvider::from_gitlab(&self.provider)
    }

    /// Whether GitLab accepts `family` for it (all families when GitLab does not say).
    pub fn accepts(&self, family: Family) -> bool {
        self.compatible_llms
            .as_ref()
            .is_none_or(|list| list.iter().any(|l| family_from_gitlab(l) == Some(family)))
    }
}

/// GitLab's Duo settings, as far as this app sets them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GitlabDuoSettings {
    /// The AI gateway URL (empty: none).
    pub ai_gateway_url: Option<String>,
    /// The AI gateway request timeout (GitLab 19.0 and newer; not readable before).
    pub ai_gateway_timeout_seconds: Option<u32>,
}

/// Everything read from one GitLab instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GitlabState {
    /// The version GitLab reported, e.g. `18.6.0-ee`.
    pub version_text: String,
    /// Its major and minor version.
    pub version: GitlabVersion,
    /// The shape of the documents it takes.
    pub shape: ApiShape,
    /// Its self-hosted models.
    pub models: Vec<GitlabModel>,
    /// Its configurable features.
    pub features: Vec<GitlabFeature>,
    /// Its Duo settings.
    pub duo_settings: GitlabDuoSettings,
}

impl GitlabState {
    /// The model named `name`.
    pub fn model_named(&self, name: &str) -> Option<&GitlabModel> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The setting of feature `key`.
    pub fn feature(&self, key: &str) -> Option<&GitlabFeature> {
        self.features
            .iter()
            .find(|f| f.feature.eq_ignore_ascii_case(key))
    }
}

/// Reads a version such as `18.6.0-ee` or `19.1.0-pre`.
pub fn parse_version(text: &str) -> Option<GitlabVersion> {
    let numeric: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = numeric.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some(GitlabVersion { major, minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitlab_spellings_are_read() {
        assert_eq!(family_from_gitlab("claude_3"), Some(Family::Claude3));
        assert_eq!(family_from_gitlab("GENERAL"), Some(Family::General));
        assert_eq!(family_from_gitlab("granite"), None);
        assert_eq!(
            FeatureProvider::from_gitlab("self_hosted"),
            Some(FeatureProvider::SelfHosted)
        );
        let v = parse_version("18.6.0-ee").expect("version");
        assert_eq!((v.major, v.minor), (18, 6));
        assert_eq!(parse_version("19.1.0-pre").map(|v| v.minor), Some(1));
        assert_eq!(parse_version("eighteen"), None);
    }

    #[test]
    fn family_names_match_the_catalogs_serde_names() {
        for name in [
            "CODEGEMMA",
            "CODELLAMA",
            "CODESTRAL",
            "MISTRAL",
            "MIXTRAL",
            "DEEPSEEKCODER",
            "LLAMA3",
            "CLAUDE_3",
            "GPT",
            "GEMINI",
            "GENERAL",
        ] {
            let family: Family =
                serde_json::from_value(serde_json::json!(name)).expect("catalog family");
            assert_eq!(family_name(family), name);
        }
    }
}
