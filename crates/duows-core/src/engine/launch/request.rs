//! What a client asks of an engine start or a plan, and why it cannot be prepared.

use serde::{Deserialize, Serialize};

/// A start or plan: a catalog model (vLLM) or a GGUF file (llama.cpp's server). A plan is
/// exactly what a start with the same request runs. The fields are spelled out (not a
/// flattened fit request): serde's `flatten` cannot be combined with
/// `deny_unknown_fields`, and unknown fields must be refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "EngineParams", optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct LaunchRequest {
    /// Catalog id or Hugging Face repo id, served by vLLM.
    #[serde(default)]
    pub model: Option<String>,
    /// Checkpoint of `model` (default: the model's own).
    #[serde(default)]
    pub variant: Option<String>,
    /// A GGUF file, served by llama.cpp's server; with `model`, a GGUF file of that catalog
    /// model (served under its id, so the features rated for it can be routed to it).
    #[serde(default)]
    pub gguf: Option<String>,
    /// Plan only: a hardware spec to plan for instead of this machine.
    #[serde(default)]
    pub gpus: Option<String>,
    /// Name to serve under (default: the catalog id, or the file name).
    #[serde(default)]
    pub name: Option<String>,
    /// Context length in tokens.
    #[serde(default)]
    pub context: Option<u32>,
    /// Requests that must fit at once (vLLM).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Use exactly this tensor-parallel size (vLLM).
    #[serde(default)]
    pub tensor_parallel_size: Option<u32>,
    /// `--gpu-memory-utilization` (vLLM).
    #[serde(default)]
    pub gpu_memory_utilization: Option<f64>,
    /// Layers to offload to a GPU (llama.cpp; default 0, CPU only).
    #[serde(default)]
    pub gpu_layers: Option<u32>,
    /// The model's local folder (vLLM; default: its download in the models folder, if any).
    #[serde(default)]
    pub model_dir: Option<String>,
    /// Start even though the memory estimate or the free memory says it will not fit.
    #[serde(default)]
    pub override_memory_estimate: Option<bool>,
}

/// What went wrong preparing a start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LaunchError {
    /// Which kind: a request field that is wrong, a plan that cannot be made, a model
    /// folder that does not hold the checkpoint, or a failure inside the app.
    pub kind: LaunchErrorKind,
    /// The request field at fault, when there is one.
    pub field: Option<&'static str>,
    /// What went wrong and what to do.
    pub message: String,
}

/// The kinds of [`LaunchError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchErrorKind {
    /// A request field is wrong.
    Invalid,
    /// No launch plan can be made for this request.
    CannotPlan,
    /// The given model folder does not hold the checkpoint.
    ModelFolder,
    /// A failure inside the app.
    Internal,
}

impl LaunchError {
    /// A wrong request field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: LaunchErrorKind::Invalid,
            field: Some(field),
            message: message.into(),
        }
    }

    /// No plan for this request, because of `field`.
    pub fn cannot_plan(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: LaunchErrorKind::CannotPlan,
            field: Some(field),
            message: message.into(),
        }
    }

    /// A failure inside the app.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: LaunchErrorKind::Internal,
            field: None,
            message: message.into(),
        }
    }
}
