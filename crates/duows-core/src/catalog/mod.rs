//! The model catalog: GitLab-approved models, their ratings per Duo feature and GitLab
//! version, architecture numbers, checkpoints, and serving needs.
//!
//! The data lives in `catalog/catalog.toml` (data, not code), embedded at build time,
//! parsed and validated once ([`Catalog::builtin`]). A broken entry fails the test suite,
//! not a user's run.

mod gitlab;
mod hf_config;
mod types;
mod validate;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use gitlab::{
    Deprecation, Family, Feature, GitlabVersion, RatedAs, Rating, RatingRange, ReleaseState,
};
pub use hf_config::{read_config_model, ConfigError, ConfigModel};
pub use types::{
    Architecture, Cloud, GgufFile, LatentAttention, LinearAttention, Model, Moe, PrepareStep,
    Quantization, Serving, SlidingWindow, SparseIndexer, Variant,
};

/// The catalog as shipped.
const BUILTIN: &str = include_str!("../../../../catalog/catalog.toml");

/// Why a catalog could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The file is not valid TOML of the catalog's shape.
    #[error("the model catalog cannot be parsed: {0}")]
    Parse(String),
    /// An entry breaks a rule; names the entry and field.
    #[error("the model catalog is invalid: {at}: {reason}")]
    Invalid {
        /// Where, e.g. `model mistral-7b-instruct-v0.3: arch.heads`.
        at: String,
        /// What is wrong.
        reason: String,
    },
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Format of the file; only 1 exists.
    pub schema: u32,
    /// Data version, shown to users.
    pub version: String,
    /// The GitLab version assumed when the user names none.
    pub default_gitlab: GitlabVersion,
    /// Duo features.
    #[serde(rename = "feature")]
    pub features: Vec<Feature>,
    /// Models.
    #[serde(rename = "model")]
    pub models: Vec<Model>,
}

impl Catalog {
    /// Parses and validates catalog text.
    pub fn parse(text: &str) -> Result<Self, CatalogError> {
        let catalog: Self = toml::from_str(text).map_err(|e| CatalogError::Parse(e.to_string()))?;
        validate::check(&catalog)?;
        Ok(catalog)
    }

    /// The catalog shipped with this build, parsed once.
    pub fn builtin() -> Result<&'static Self, CatalogError> {
        static CATALOG: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        CATALOG
            .get_or_init(|| Self::parse(BUILTIN))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A model by id (`gpt-oss-120b`) or Hugging Face repo id (`openai/gpt-oss-120b`),
    /// ignoring letter case.
    pub fn model(&self, id_or_repo: &str) -> Option<&Model> {
        let wanted = id_or_repo.trim();
        self.models.iter().find(|m| {
            m.id.eq_ignore_ascii_case(wanted)
                || m.hf_repo
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(wanted))
        })
    }

    /// A feature by key.
    pub fn feature(&self, key: &str) -> Option<&Feature> {
        self.features
            .iter()
            .find(|f| f.key.eq_ignore_ascii_case(key.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_is_valid() {
        let catalog = Catalog::builtin().expect("valid catalog");
        assert!(!catalog.version.is_empty());
        assert!(
            catalog.models.len() >= 20,
            "{} models",
            catalog.models.len()
        );
        assert_eq!(catalog.features.len(), 21);
    }

    #[test]
    fn every_feature_has_its_own_gateway_alias() {
        let catalog = Catalog::builtin().expect("valid catalog");
        let aliases: Vec<String> = catalog.features.iter().map(|f| f.gateway_alias()).collect();
        for expected in [
            "duo-code-completion",
            "duo-code-generation",
            "duo-chat",
            "duo-chat-explain-code",
        ] {
            assert!(
                aliases.iter().any(|a| a == expected),
                "{expected} in {aliases:?}"
            );
        }
        let mut unique = aliases.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), aliases.len(), "{aliases:?}");
    }

    #[test]
    fn models_are_found_by_id_or_repo() {
        let catalog = Catalog::builtin().expect("valid catalog");
        let by_id = catalog.model("gpt-oss-120b").expect("by id");
        let by_repo = catalog.model("openai/gpt-oss-120b").expect("by repo");
        assert_eq!(by_id.id, by_repo.id);
        assert!(
            catalog.model("Mistral-7B-Instruct-v0.3").is_some(),
            "case-insensitive"
        );
        assert!(catalog.model("nope").is_none());
    }

    #[test]
    fn every_model_of_the_gitlab_tables_is_there() {
        let catalog = Catalog::builtin().expect("valid catalog");
        for id in [
            "codestral-22b-v0.1",
            "mistral-7b-instruct-v0.3",
            "mixtral-8x7b-instruct-v0.1",
            "mixtral-8x22b-instruct-v0.1",
            "mistral-small-3.2-24b-instruct-2506",
            "meta-llama-3-8b-instruct",
            "llama-3.1-8b-instruct",
            "meta-llama-3-70b-instruct",
            "llama-3.1-70b-instruct",
            "llama-3.3-70b-instruct",
            "gpt-oss-20b",
            "gpt-oss-120b",
            "codegemma-2b",
            "codegemma-7b",
            "codegemma-7b-it",
            "codellama-13b-hf",
            "codellama-13b-instruct-hf",
            "deepseek-coder-33b-instruct",
            "deepseek-coder-33b-base",
            "mistral-7b-instruct-v0.2",
        ] {
            let model = catalog.model(id).unwrap_or_else(|| panic!("{id} missing"));
            assert!(model.self_hostable() && model.arch.is_some(), "{id}");
        }
        assert!(catalog
            .models
            .iter()
            .any(|m| m.family == Family::Claude3 && !m.self_hostable()));
        assert!(catalog
            .models
            .iter()
            .any(|m| m.family == Family::Gpt && !m.self_hostable()));
    }

    #[test]
    fn ratings_follow_the_gitlab_version() {
        let catalog = Catalog::builtin().expect("valid catalog");
        let mistral = catalog.model("mistral-7b-instruct-v0.3").expect("model");
        let v = |s: &str| s.parse::<GitlabVersion>().expect("version");
        let at = |version| mistral.ratings_in(v(version)).map(|r| r.completion);
        assert_eq!(at("17.9"), Some(Rating::Full));
        assert_eq!(at("18.4"), Some(Rating::Largely));
        assert_eq!(at("18.9"), None, "no longer listed");
        assert!(!mistral.deprecated_in(v("18.4")));
        assert!(mistral.deprecated_in(v("18.5")));
        let gpt = catalog.model("gpt-oss-120b").expect("model");
        assert_eq!(gpt.release_in(v("18.4")), ReleaseState::Experimental);
        assert_eq!(gpt.release_in(v("18.9")), ReleaseState::Ga);
    }
}
