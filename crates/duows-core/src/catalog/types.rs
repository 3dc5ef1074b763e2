//! The catalog's models: architecture numbers, checkpoints, GGUF files, serving flags and
//! cloud options, as `catalog/catalog.toml` writes them (and as JSON carries them). GitLab's
//! side (families, ratings, features) is in `gitlab.rs`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::gitlab::{Deprecation, Family, GitlabVersion, RatingRange, ReleaseState};

/// Sliding-window attention layers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SlidingWindow {
    /// Tokens each sliding layer attends to (and caches).
    pub tokens: u32,
    /// How many layers use the window.
    pub layers: u32,
    /// KV heads of the sliding layers, when they differ from the full layers' (Gemma 4).
    #[serde(default)]
    #[ts(optional)]
    pub kv_heads: Option<u32>,
    /// Head dimension of the sliding layers, when it differs from the full layers'.
    #[serde(default)]
    #[ts(optional)]
    pub head_dim: Option<u32>,
}

/// Multi-head latent attention (DeepSeek V3, Kimi K2, GLM-5): one compressed latent per
/// token and layer, shared by every head and held whole on every tensor-parallel rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct LatentAttention {
    /// `kv_lora_rank`: the latent's width.
    pub kv_lora_rank: u32,
    /// `qk_rope_head_dim`: the rotary part cached beside the latent.
    pub rope_dim: u32,
}

/// The sparse-attention indexer of DeepSeek V3.2 and GLM-5 (DSA): one FP8 key per token and
/// layer with its scale, cached beside the latent whatever the KV cache's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SparseIndexer {
    /// `index_head_dim`.
    pub head_dim: u32,
    /// Layers that keep their own indexer cache (`indexer_types` "full"; the others share
    /// one); `None`: every full-attention layer.
    #[serde(default)]
    #[ts(optional)]
    pub layers: Option<u32>,
}

/// Linear-attention layers (Gated DeltaNet, Mamba): a constant state per request instead
/// of a cache that grows with the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct LinearAttention {
    /// How many layers are linear.
    pub layers: u32,
    /// Bytes of one request's state in one such layer (convolution and recurrent state),
    /// for the whole model: tensor parallelism splits it by heads.
    pub state_bytes: u64,
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
    /// Decoder layers, all kinds (full, sliding and linear attention).
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
    /// Latent attention (then `kv_heads` and `head_dim` do not size the cache).
    #[serde(default)]
    #[ts(optional)]
    pub mla: Option<LatentAttention>,
    /// Sparse-attention indexer cache, if any.
    #[serde(default)]
    #[ts(optional)]
    pub indexer: Option<SparseIndexer>,
    /// Linear-attention layers, if any (counted in `layers`).
    #[serde(default)]
    #[ts(optional)]
    pub linear_attention: Option<LinearAttention>,
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
    /// NVIDIA's 4-bit float (Blackwell; ModelOpt or compressed-tensors).
    Nvfp4,
    /// 4-bit integers on the experts (compressed-tensors `pack-quantized`, Kimi K2).
    Int4,
}

impl fmt::Display for Quantization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bf16 => "BF16",
            Self::Fp8 => "FP8",
            Self::Awq => "AWQ 4-bit",
            Self::Gptq => "GPTQ 4-bit",
            Self::Mxfp4 => "MXFP4",
            Self::Nvfp4 => "NVFP4",
            Self::Int4 => "INT4",
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
    /// The largest tensor-parallel size this checkpoint can be split over, when its
    /// quantization blocks limit it (MiniMax-M2.7's FP8 blocks of 128 cannot divide its
    /// 1536-wide experts 8 ways).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_tensor_parallel_size: Option<u32>,
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
    /// Oldest vLLM version that serves it (the app installs the oldest of its own releases
    /// that is at least this).
    pub min_vllm: String,
    /// Flags for the model's own checkpoint only, about its files' format (GitLab's
    /// `--tokenizer_mode mistral …`): a third-party quantization ships Hugging Face files.
    pub flags: Vec<String>,
    /// Flags every checkpoint of the model needs, a third-party quantization's too: tool-call
    /// and reasoning parsers, remote code, chat-template handling (the model's behaviour,
    /// not its files), as the model's card or vLLM recipe gives them.
    #[serde(default)]
    pub every_checkpoint_flags: Vec<String>,
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
    /// Why this family, when GitLab's enum has none of the model's own (GLM, Kimi, Qwen, …
    /// go under `GENERAL`).
    #[serde(default)]
    #[ts(optional)]
    pub family_note: Option<String>,
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
    /// Brought by the user from a `config.json`: not in GitLab's list, usable only for its
    /// `GENERAL` family. Never set in the catalog.
    #[serde(default)]
    pub user_supplied: bool,
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
