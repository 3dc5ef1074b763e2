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
    family_from_gitlab, family_label, family_name, Deprecation, Family, Feature, GitlabVersion,
    RatedAs, Rating, RatingRange, ReleaseState,
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

    /// The model and checkpoint a checkpoint's repository holds (`zai-org/GLM-5.1-FP8`: GLM-5.1,
    /// `fp8`), when no model is known by that name.
    pub fn checkpoint(&self, repo: &str) -> Option<(&Model, &Variant)> {
        let wanted = repo.trim();
        self.models.iter().find_map(|m| {
            m.variants
                .iter()
                .find(|v| v.repo.eq_ignore_ascii_case(wanted))
                .map(|v| (m, v))
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
        assert_eq!(catalog.features.len(), 22);
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
        let (glm, fp8) = catalog
            .checkpoint("zai-org/GLM-5.1-FP8")
            .expect("checkpoint");
        assert_eq!((glm.id.as_str(), fp8.name.as_str()), ("glm-5.1", "fp8"));
        assert!(catalog.checkpoint("nope/nope").is_none());
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
        assert_eq!(gpt.release_in(v("19.1")), ReleaseState::Ga);
    }

    fn v(text: &str) -> GitlabVersion {
        text.parse().expect("version")
    }

    /// Completion / generation / chat / agent platform in `version`.
    fn ratings(model: &Model, version: &str) -> Option<[Rating; 4]> {
        model
            .ratings_in(v(version))
            .map(|r| [r.completion, r.generation, r.chat, r.agent_platform])
    }

    #[test]
    fn the_2026_models_are_there_with_their_family_and_ratings_in_19_x() {
        use Rating::{Full, Listed, NotListed, Partial};
        let catalog = Catalog::builtin().expect("valid catalog");
        let none = Rating::None;
        let expected = [
            ("devstral-2-123b-instruct-2512", Family::Mistral, [Full; 4]),
            ("mistral-medium-3.5-128b", Family::Mistral, [Full; 4]),
            ("glm-5.1", Family::General, [none, none, Full, Full]),
            ("kimi-k2.5", Family::General, [none, none, Partial, Partial]),
            ("kimi-k2.6", Family::General, [none, none, Partial, Partial]),
            (
                "minimax-m2.7",
                Family::General,
                [none, none, Partial, Partial],
            ),
            (
                "gemma-4-31b-it",
                Family::General,
                [NotListed, NotListed, NotListed, Listed],
            ),
            (
                "qwen3.6-35b-a3b",
                Family::General,
                [NotListed, NotListed, NotListed, Listed],
            ),
        ];
        for (id, family, in_19) in expected {
            let model = catalog.model(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(model.family, family, "{id}");
            assert!(
                model.family_note.as_deref().is_some_and(|n| !n.is_empty()),
                "{id} says why it is {family:?}"
            );
            for version in ["19.0", "19.1", "19.3"] {
                assert_eq!(ratings(model, version), Some(in_19), "{id} in {version}");
            }
            let release = model.release_in(v("19.1"));
            let expected_release = if family == Family::Mistral {
                ReleaseState::Ga
            } else {
                ReleaseState::Beta
            };
            assert_eq!(release, expected_release, "{id}");
            assert!(ratings(model, "18.9").is_none(), "{id} is new after 18.9");
        }
        // The previous table: Devstral 2 was unsuited to code suggestions, and Mistral
        // Medium 3.5 did not exist yet.
        let devstral = catalog.model("mistralai/Devstral-2-123B-Instruct-2512");
        let devstral = devstral.expect("by repo");
        assert_eq!(ratings(devstral, "18.11"), Some([none, none, Full, Full]));
        let medium = catalog.model("mistral-medium-3.5-128b").expect("model");
        assert!(ratings(medium, "18.11").is_none());
        // GitLab lists GLM-5.1's FP8 repository; the catalog has it as a checkpoint.
        let glm = catalog.model("glm-5.1").expect("model");
        let fp8 = glm.variant(Some("fp8")).expect("fp8");
        assert_eq!(fp8.repo, "zai-org/GLM-5.1-FP8");
        assert_eq!(fp8.quantization, Quantization::Fp8);
        // Every model in GitLab's GENERAL family says why.
        for model in catalog
            .models
            .iter()
            .filter(|m| m.family == Family::General)
        {
            assert!(model.family_note.is_some(), "{}", model.id);
        }
    }

    #[test]
    fn gitlab_18_9_and_later_list_no_mistral_7b_mixtral_or_gpt_oss_20b() {
        let catalog = Catalog::builtin().expect("valid catalog");
        let gone = |id: &str| {
            id.starts_with("mistral-7b") || id.starts_with("mixtral") || id == "gpt-oss-20b"
        };
        for version in ["18.10", "18.11", "19.0", "19.1", "19.3"] {
            let listed: Vec<&str> = catalog
                .models
                .iter()
                .filter(|m| m.ratings_in(v(version)).is_some())
                .map(|m| m.id.as_str())
                .collect();
            assert!(!listed.iter().any(|id| gone(id)), "{version}: {listed:?}");
        }
        let listed_in_18_9 = |id: &str| {
            catalog
                .model(id)
                .is_some_and(|m| m.ratings_in(v("18.9")).is_some())
        };
        for id in [
            "mistral-7b-instruct-v0.3",
            "mistral-7b-instruct-v0.2",
            "mixtral-8x7b-instruct-v0.1",
            "mixtral-8x22b-instruct-v0.1",
        ] {
            assert!(!listed_in_18_9(id), "{id} is gone in 18.9");
        }
        assert!(listed_in_18_9("gpt-oss-20b"), "GPT-OSS 20B went in 18.10");
    }

    #[test]
    fn recommendations_for_19_x_are_the_models_gitlab_lists_today() {
        use crate::fit::{recommend, FitConstants, RecommendRequest, Slot};
        use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription};
        let catalog = Catalog::builtin().expect("valid catalog");
        let description = HardwareDescription::from_spec("8xH200-141GB").expect("spec");
        let gpus = DescribedProbe::new(description)
            .inventory()
            .expect("inventory")
            .gpus;
        let slots = Slot::from_gpus(&gpus, &|_| None);
        let rec = recommend(&RecommendRequest {
            catalog,
            slots: &slots,
            gitlab: Some(v("19.1")),
            feature: None,
            context: None,
            concurrency: 1,
            gpu_memory_utilization: None,
            constants: FitConstants::default(),
            system_memory_bytes: None,
        })
        .expect("recommend");
        for feature in &rec.features {
            for ranked in &feature.ranked {
                assert!(
                    !ranked.model.starts_with("mistral-7b") && !ranked.model.starts_with("mixtral"),
                    "{}: {}",
                    feature.feature,
                    ranked.model
                );
            }
        }
        let ranked = |feature: &str| -> Vec<&str> {
            rec.features
                .iter()
                .find(|f| f.feature == feature)
                .expect(feature)
                .ranked
                .iter()
                .map(|r| r.model.as_str())
                .collect()
        };
        let agents = ranked("duo_agent_platform");
        for id in ["devstral-2-123b-instruct-2512", "mistral-medium-3.5-128b"] {
            assert!(agents.contains(&id), "{id} in {agents:?}");
        }
        let completion = ranked("code_completions");
        assert!(
            completion.contains(&"devstral-2-123b-instruct-2512"),
            "{completion:?}"
        );
        assert!(
            !completion.contains(&"glm-5.1"),
            "GitLab rates GLM-5.1 limited for completion: {completion:?}"
        );
    }
}
