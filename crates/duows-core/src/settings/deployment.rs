//! External deployments: models served outside this app that Duo features can use, as GitLab
//! models them ("self-hosted models"): a name, a platform, an endpoint, a model, a family
//! and a key.
//!
//! An OpenAI-compatible server (another vLLM, a hosted service) is reached through this
//! app's gateway, so GitLab keeps one endpoint and the per-feature aliases; it may have
//! replicas (more endpoints serving the same model) that the gateway spreads requests over.
//! AWS Bedrock and Azure OpenAI are called by GitLab's AI gateway itself, so GitLab is given
//! them as they are. The rules each platform's values follow are in
//! [`super::platform_rules`], and a replica's in [`super::replica_rules`].

use duows_base::Secret;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Family};

/// Where a deployment's model runs, as GitLab's AI gateway reaches it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// An OpenAI-compatible server (vLLM, a hosted OpenAI-compatible service): `/v1` endpoint.
    #[default]
    OpenaiCompatible,
    /// AWS Bedrock: no endpoint or key; the AI gateway uses its AWS credentials and region.
    Bedrock,
    /// Azure OpenAI: the resource's endpoint, a deployment name and its key.
    AzureOpenai,
}

impl Platform {
    /// Its name in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::OpenaiCompatible => "OpenAI-compatible server",
            Self::Bedrock => "AWS Bedrock",
            Self::AzureOpenai => "Azure OpenAI",
        }
    }

    /// Whether this app's gateway relays it (only OpenAI-compatible servers); the others are
    /// registered in GitLab as they are.
    pub fn through_gateway(self) -> bool {
        self == Self::OpenaiCompatible
    }

    /// GitLab's `AiSelfHostedModelProvider` for it (19.x): Azure goes through LiteLLM's
    /// `azure/` identifier on the `API` provider.
    pub fn gitlab_provider(self) -> &'static str {
        match self {
            Self::Bedrock => "BEDROCK",
            Self::OpenaiCompatible | Self::AzureOpenai => "API",
        }
    }
}

/// A deployment the user added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ExternalDeployment {
    /// The name features are routed to (and GitLab's deployment name for Bedrock and Azure).
    pub name: String,
    /// Where the model runs.
    #[serde(default)]
    pub platform: Platform,
    /// OpenAI-compatible: base URL ending in `/v1`, e.g. `http://gpu-2.internal:8000/v1`.
    /// Azure: the resource, e.g. `https://team.openai.azure.com`. Bedrock: empty.
    #[serde(default)]
    pub endpoint: String,
    /// The model: the served name (`data[].id`), the Bedrock model id or inference-profile
    /// ARN, or the Azure deployment name.
    pub served_model: String,
    /// GitLab's model family; `None`: the catalog's for the model, else guessed from its name,
    /// else `GENERAL`.
    #[serde(default)]
    pub family: Option<Family>,
    /// Bedrock: the AWS region of the AI gateway (`AWS_REGION`), which a cross-region
    /// prefix (`us.`, `eu.`, `apac.`) must match.
    #[serde(default)]
    pub region: Option<String>,
    /// An environment variable holding its API key (read when needed, never stored).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Whether its API key is kept in this app's secret store.
    #[serde(default)]
    pub api_key_stored: bool,
    /// OpenAI-compatible: more endpoints serving the same model (another node, another
    /// server), behind the same name; the gateway spreads requests over those that answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<Replica>,
}

/// Another endpoint of an OpenAI-compatible deployment, serving the same model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Replica {
    /// Base URL ending in `/v1`, e.g. `http://gpu-3.internal:8000/v1`.
    pub endpoint: String,
    /// An environment variable holding its API key; `None`: the deployment's own key.
    #[serde(default)]
    pub api_key_env: Option<String>,
}

impl ExternalDeployment {
    /// An OpenAI-compatible deployment without a key (other fields at their defaults).
    pub fn openai(name: &str, endpoint: &str, served_model: &str) -> Self {
        Self {
            name: name.into(),
            platform: Platform::OpenaiCompatible,
            endpoint: endpoint.into(),
            served_model: served_model.into(),
            family: None,
            region: None,
            api_key_env: None,
            api_key_stored: false,
            replicas: Vec::new(),
        }
    }

    /// The key from its environment variable, when it names one that is set. A key in the
    /// secret store is read through [`crate::secrets::SecretStore::deployment_key`].
    pub fn api_key_from_env(&self) -> Option<String> {
        self.api_key_env
            .as_ref()
            .and_then(|var| std::env::var(var).ok())
            .filter(|key| !key.is_empty())
    }

    /// Where its key comes from, in words: `$VAR`, `secret store`, or `None` without a key.
    pub fn key_source(&self) -> Option<String> {
        match (&self.api_key_env, self.api_key_stored) {
            (Some(var), _) => Some(format!("${var}")),
            (None, true) => Some("secret store".to_owned()),
            (None, false) => None,
        }
    }

    /// The model identifier GitLab is given for it: `custom_openai/<served name>`,
    /// `bedrock/<model id>`, `bedrock/converse/<inference-profile ARN>` or
    /// `azure/<deployment>`.
    pub fn gitlab_identifier(&self) -> String {
        let model = self.served_model.trim();
        match self.platform {
            Platform::OpenaiCompatible => format!("custom_openai/{model}"),
            Platform::Bedrock if model.starts_with("arn:") => format!("bedrock/converse/{model}"),
            Platform::Bedrock => format!("bedrock/{model}"),
            Platform::AzureOpenai => format!("azure/{model}"),
        }
    }

    /// The family GitLab is given: the one set, else the catalog's for the served model,
    /// else one recognised in the model's name, else `GENERAL`.
    pub fn effective_family(&self, catalog: &Catalog) -> Family {
        self.family
            .or_else(|| catalog.model(&self.served_model).map(|m| m.family))
            .or_else(|| family_in_name(&self.served_model))
            .unwrap_or(Family::General)
    }
}

impl Replica {
    /// The key it sends: from its own variable when it names one (none when that is unset:
    /// another host's key is never sent in its place), else the deployment's.
    pub fn key(&self, deployment_key: Option<&Secret>) -> Option<Secret> {
        match &self.api_key_env {
            Some(var) => std::env::var(var)
                .ok()
                .filter(|key| !key.is_empty())
                .map(Secret::new),
            None => deployment_key.cloned(),
        }
    }

    /// Where its key comes from, in words: `$VAR`, or `None` for the deployment's own.
    pub fn key_source(&self) -> Option<String> {
        self.api_key_env.as_ref().map(|var| format!("${var}"))
    }
}

/// A family recognised in a model's name (`anthropic.claude-3-5-sonnet…` → `CLAUDE_3`,
/// `gpt-4o` → `GPT`), for models outside the catalog. `None` when nothing is recognised.
pub fn family_in_name(model: &str) -> Option<Family> {
    let name = model.to_ascii_lowercase();
    let rules: [(&[&str], Family); 9] = [
        (&["claude"], Family::Claude3),
        (&["codestral"], Family::Codestral),
        (&["mixtral"], Family::Mixtral),
        (&["mistral", "devstral"], Family::Mistral),
        (&["codellama", "code-llama"], Family::Codellama),
        (&["llama3", "llama-3"], Family::Llama3),
        (&["codegemma"], Family::Codegemma),
        (&["deepseek-coder", "deepseekcoder"], Family::Deepseekcoder),
        (&["gpt-"], Family::Gpt),
    ];
    rules
        .iter()
        .find(|(words, _)| words.iter().any(|w| name.contains(w)))
        .map(|(_, family)| *family)
        .or_else(|| name.contains("gemini").then_some(Family::Gemini))
}

/// Whether `name` can name a deployment: 1–64 of letters, digits, `.`, `_`, `-`, starting
/// with a letter or digit.
pub fn valid_deployment_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_gitlabs_formats() {
        let mut d = ExternalDeployment::openai("gpu-2", "http://gpu-2:8000/v1", "mistral-small");
        assert_eq!(d.gitlab_identifier(), "custom_openai/mistral-small");
        d.platform = Platform::Bedrock;
        d.served_model = "us.anthropic.claude-3-5-sonnet-20241022-v2:0".into();
        assert_eq!(
            d.gitlab_identifier(),
            "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"
        );
        d.served_model =
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-3-70b-instruct-v1:0"
                .into();
        assert!(d
            .gitlab_identifier()
            .starts_with("bedrock/converse/arn:aws:bedrock:"));
        d.platform = Platform::AzureOpenai;
        d.served_model = "gpt-4o-team".into();
        assert_eq!(d.gitlab_identifier(), "azure/gpt-4o-team");
    }

    #[test]
    fn the_family_comes_from_the_setting_the_catalog_or_the_name() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut d = ExternalDeployment::openai("a", "http://a:8000/v1", "some-private-model");
        assert_eq!(d.effective_family(catalog), Family::General);
        d.served_model = "anthropic.claude-3-haiku-20240307-v1:0".into();
        assert_eq!(d.effective_family(catalog), Family::Claude3);
        d.served_model = "gpt-4o".into();
        assert_eq!(d.effective_family(catalog), Family::Gpt);
        d.served_model = "openai/gpt-oss-120b".into();
        assert_eq!(
            d.effective_family(catalog),
            Family::Gpt,
            "the catalog's family"
        );
        d.served_model = "meta.llama3-70b-instruct-v1:0".into();
        assert_eq!(d.effective_family(catalog), Family::Llama3);
        d.family = Some(Family::Mistral);
        assert_eq!(d.effective_family(catalog), Family::Mistral);
    }
}
