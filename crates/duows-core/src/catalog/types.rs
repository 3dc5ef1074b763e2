//! The catalog's shapes, as `catalog/catalog.toml` writes them (and as JSON carries them).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// GitLab's model families (`AiAcceptedSelfHostedModels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum Family {
    Codegemma,
    Codellama,
    Codestral,
    Mistral,
    Mixtral,
    Deepseekcoder,
    Llama3,
    #[serde(rename = "CLAUDE_3")]
    Claude3,
    Gpt,
    Gemini,
    General,
}

/// Release state of a model in GitLab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// Generally available.
    Ga,
    /// Beta: behind the "Use beta models and features" toggle.
    Beta,
    /// Experimental.
    Experimental,
}

/// GitLab's compatibility rating of a model for one kind of feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Fully compatible.
    Full,
    /// Largely compatible.
    Largely,
    /// Partially compatible.
    Partial,
    /// Supported, but GitLab publishes no rating.
    Listed,
    /// Not compatible.
    None,
    /// Not listed for this feature.
    NotListed,
}

impl Rating {
    /// Higher is better; 0 means "do not use for this feature".
    pub fn score(self) -> u8 {
        match self {
            Self::Full => 4,
            Self::Largely => 3,
            Self::Partial => 2,
            Self::Listed => 1,
            Self::None | Self::NotListed => 0,
        }
    }
}

/// Which rating column a feature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RatedAs {
    /// Code completion.
    Completion,
    /// Code generation.
    Generation,
    /// Duo Chat and the features GitLab rates with it.
    Chat,
    /// Agent Platform (18.9+).
    AgentPlatform,
}

/// A GitLab version such as 18.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub struct GitlabVersion {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

impl FromStr for GitlabVersion {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a GitLab version like 18.4");
        let mut parts = text.trim().split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        // A patch level (18.4.2) is accepted and does not matter here.
        if parts.next().is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(bad());
        }
        Ok(Self { major, minor })
    }
}

impl fmt::Display for GitlabVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for GitlabVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GitlabVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A Duo feature that can be mapped to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// GitLab's enum value in lower case, e.g. `code_completions`.
    pub key: String,
    /// Title in GitLab's admin page.
    pub title: String,
    /// Group in GitLab's admin page.
    pub group: String,
    /// `ga`, `beta` or `experiment`: beta and experiment need GitLab's beta toggle.
    pub state: String,
    /// First GitLab version that has it.
    #[serde(default)]
    pub since: Option<GitlabVersion>,
    /// Which rating column applies.
    pub rated_as: RatedAs,
    /// A Chat sub-feature with no model of its own uses this feature's model.
    #[serde(default)]
    pub falls_back_to: Option<String>,
    /// Not available on GitLab Premium.
    #[serde(default)]
    pub not_on_premium: bool,
    /// Families GitLab accepts for it.
    pub families: Vec<Family>,
}

impl Feature {
    /// The stable model name the gateway answers to for this feature (`duo-chat`,
    /// `duo-code-completion`, `duo-chat-explain-code`, …). GitLab is configured once with
    /// `custom_openai/<alias>`; which model serves it is decided in the app.
    pub fn gateway_alias(&self) -> String {
        match self.key.as_str() {
            "code_completions" => "duo-code-completion".into(),
            "code_generations" => "duo-code-generation".into(),
            key => format!("duo-{}", key.trim_start_matches("duo_").replace('_', "-")),
        }
    }
}

/// GitLab's ratings for a model over a range of GitLab versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RatingRange {
    /// First version (inclusive).
    pub from: GitlabVersion,
    /// End (exclusive); `None`: still current.
    #[serde(default)]
    pub until: Option<GitlabVersion>,
    /// Release state in this range, when it differs from the model's.
    #[serde(default)]
    pub release: Option<ReleaseState>,
    /// Code completion.
    pub completion: Rating,
    /// Code generation.
    pub generation: Rating,
    /// Duo Chat.
    pub chat: Rating,
    /// Agent Platform.
    pub agent_platform: Rating,
}

impl RatingRange {
    /// Whether `version` falls in this range.
    pub fn covers(&self, version: GitlabVersion) -> bool {
        self.from <= version && self.until.is_none_or(|until| version < until)
    }

    /// The best of the four ratings.
    pub fn best(&self) -> Rating {
        [
            self.completion,
            self.generation,
            self.chat,
            self.agent_platform,
        ]
        .into_iter()
        .max_by_key(|r| r.score())
        .unwrap_or(Rating::NotListed)
    }

    /// The rating for one column.
    pub fn rating(&self, rated_as: RatedAs) -> Rating {
        match rated_as {
            RatedAs::Completion => self.completion,
            RatedAs::Generation => self.generation,
            RatedAs::Chat => self.chat,
            RatedAs::AgentPlatform => self.agent_platform,
        }
    }
}

/// Deprecation of a model in GitLab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    /// Deprecated from this version.
    pub since: GitlabVersion,
    /// No longer listed from this version.
    #[serde(default)]
    pub removed_in: Option<GitlabVersion>,
    /// The model GitLab recommends instead (a catalog id).
    #[serde(default)]
    pub replacement: Option<String>,
    /// What to tell users.
    pub note: String,
}

/// Sliding-window attention layers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SlidingWindow {
    /// Tokens each sliding layer attends to (and caches).
    pub tokens: u32,
    /// How many layers use the window.
    pub layers: u32,
}

/// Mixture-of-experts layout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    /// Experts per layer (all resident in memory).
    pub experts: u32,
    /// Experts active per token (speed, not memory).
    pub active: u32,
}

/// Architecture numbers from the model's `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Parameters.
    pub params: u64,
    /// Transformer layers.
    pub layers: u32,
    /// Hidden size.
    pub hidden: u32,
    /// Attention heads.
    pub heads: u32,
    /// Key/value heads (grouped-query attention).
    pub kv_heads: u32,
    /// Head dimension.
    pub head_dim: u32,
    /// Vocabulary size.
    pub vocab: u32,
    /// Native context length (max_position_embeddings).
    pub context: u32,
    /// Sliding-window layers, if any.
    #[serde(default)]
    pub sliding_window: Option<SlidingWindow>,
    /// Mixture-of-experts layout, if any.
    #[serde(default)]
    pub moe: Option<Moe>,
    /// Whether the numbers were read from the model's own config.
    pub verified: bool,
    /// Where the numbers come from.
    pub source: String,
}

/// Weight format of a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Quantization {
    /// 16-bit brain float: the original weights.
    Bf16,
    /// 8-bit floating point.
    Fp8,
    /// 4-bit AWQ.
    Awq,
    /// 4-bit GPTQ.
    Gptq,
    /// MXFP4 experts (GPT-OSS's native format).
    Mxfp4,
}

impl fmt::Display for Quantization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bf16 => "BF16",
            Self::Fp8 => "FP8",
            Self::Awq => "AWQ 4-bit",
            Self::Gptq => "GPTQ 4-bit",
            Self::Mxfp4 => "MXFP4",
        })
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "full",
            Self::Largely => "largely",
            Self::Partial => "partial",
            Self::Listed => "listed",
            Self::None => "none",
            Self::NotListed => "not listed",
        })
    }
}

impl fmt::Display for ReleaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ga => "GA",
            Self::Beta => "beta",
            Self::Experimental => "experimental",
        })
    }
}

/// One published checkpoint of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Short name used on the command line (`bf16`, `awq-int4`, …).
    pub name: String,
    /// Weight format.
    pub quantization: Quantization,
    /// Hugging Face repository of the checkpoint.
    pub repo: String,
    /// Bytes of the safetensors files.
    pub weight_bytes: u64,
    /// Whether `weight_bytes` was read from the repository (not computed).
    #[serde(default)]
    pub verified: bool,
    /// Where the figure comes from.
    pub source: String,
}

impl Variant {
    /// The model's own checkpoint (not a third-party quantization).
    pub fn is_original(&self, model: &Model) -> bool {
        model.hf_repo.as_deref() == Some(self.repo.as_str())
    }
}

/// A GGUF file for the llama.cpp engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct GgufFile {
    /// Hugging Face repository.
    pub repo: String,
    /// File name in it.
    pub file: String,
    /// Quantization type, e.g. Q4_K_M.
    pub quant: String,
    /// File size in bytes.
    pub bytes: u64,
    /// Whether the size was read from the repository.
    #[serde(default)]
    pub verified: bool,
    /// Where the figure comes from.
    pub source: String,
}

/// A file step before serving (GitLab: Mixtral needs `tokenizer.model.v3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ServingPrepareStep")]
#[serde(deny_unknown_fields)]
pub struct PrepareStep {
    /// Copy this file of the model folder…
    pub copy: String,
    /// …to this name in the same folder.
    pub to: String,
}

/// How vLLM serves the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Serving {
    /// Oldest vLLM version that serves it.
    pub min_vllm: String,
    /// The model-specific flags GitLab documents.
    pub flags: Vec<String>,
    /// Pass `--tokenizer <model dir>` (GitLab's Mistral command lines do).
    #[serde(default)]
    pub tokenizer_is_model_dir: bool,
    /// Files to prepare in the model folder first.
    #[serde(default)]
    pub prepare: Vec<PrepareStep>,
    /// A bundled chat template to pass with `--chat-template`.
    #[serde(default)]
    pub chat_template: Option<String>,
}

/// A cloud-only model: configured in GitLab, never served here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Cloud {
    /// `bedrock` or `azure`.
    pub provider: String,
    /// An example of GitLab's model identifier for it.
    pub identifier_example: String,
}

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The last part of the Hugging Face repo id in lower case (or a name for cloud models).
    pub id: String,
    /// Display name.
    pub name: String,
    /// GitLab family.
    pub family: Family,
    /// Hugging Face repository (self-hostable models).
    #[serde(default)]
    pub hf_repo: Option<String>,
    /// Release state in GitLab (a rating range may override it).
    pub release: ReleaseState,
    /// Deprecation, if any.
    #[serde(default)]
    pub deprecation: Option<Deprecation>,
    /// Ratings per GitLab version range.
    pub gitlab: Vec<RatingRange>,
    /// Architecture (self-hostable models).
    #[serde(default)]
    pub arch: Option<Architecture>,
    /// Checkpoints, the model's own first.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// GGUF files for llama.cpp.
    #[serde(default)]
    pub gguf: Vec<GgufFile>,
    /// Whether the repository asks users to accept a licence first.
    #[serde(default)]
    pub gated: bool,
    /// How vLLM serves it (self-hostable models).
    #[serde(default)]
    pub serving: Option<Serving>,
    /// Cloud-only models.
    #[serde(default)]
    pub cloud: Option<Cloud>,
}

impl Model {
    /// Whether it can run on this machine's GPUs (not cloud-only).
    pub fn self_hostable(&self) -> bool {
        self.cloud.is_none()
    }

    /// The ratings that apply in `version`, if the model is listed then.
    pub fn ratings_in(&self, version: GitlabVersion) -> Option<&RatingRange> {
        self.gitlab.iter().find(|range| range.covers(version))
    }

    /// The release state in `version`.
    pub fn release_in(&self, version: GitlabVersion) -> ReleaseState {
        self.ratings_in(version)
            .and_then(|range| range.release)
            .unwrap_or(self.release)
    }

    /// Whether GitLab marks it deprecated in `version`.
    pub fn deprecated_in(&self, version: GitlabVersion) -> bool {
        self.deprecation
            .as_ref()
            .is_some_and(|d| d.since <= version)
    }

    /// A variant by name, or the model's own checkpoint when `name` is `None`.
    pub fn variant(&self, name: Option<&str>) -> Option<&Variant> {
        match name {
            Some(name) => self
                .variants
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case(name)),
            None => self.variants.first(),
        }
    }
}
