//! Will a model fit, and how well? Pure functions, no I/O.
//!
//! [`fit`] takes GPUs (detected or described), a catalog model and checkpoint, a context
//! length, a number of concurrent requests and `gpu_memory_utilization`, and answers:
//! fits or not, on which GPUs with which tensor-parallel size, the memory per GPU split
//! into weights, KV cache and overhead, the largest context, the concurrency, the exact
//! vLLM settings, every number explained in words, and the nearest ways to make it fit.
//! [`recommend`] ranks the catalog per Duo feature with it. [`fit_on_nodes`] and
//! [`recommend_on_nodes`] plan over several identical nodes: a model too large for one is
//! split into pipeline stages, one per node ([`pipeline`]).

mod attempt;
mod check;
mod explain;
mod explain_pipeline;
mod kv_layout;
pub mod memory;
mod own_model;
pub mod pipeline;
pub mod placement;
mod recommend;
pub mod startup;
mod suggest;
pub mod vllm;
pub(crate) mod words;

use serde::{Deserialize, Serialize};

use crate::catalog::{Model, Quantization, Variant};
use attempt::Attempt;
pub use kv_layout::KvLayout;
pub use memory::{FitConstants, MemoryPerGpu, Runtime, GIB};
pub use own_model::{fit_config_model, fit_config_model_on_nodes};
pub use pipeline::{PipelineSplit, PipelineStage};
pub use placement::Slot;
pub use recommend::{
    recommend, recommend_on_nodes, Badge, FeatureRanking, ModelAdvice, RankedModel,
    RecommendRequest, Recommendation,
};
pub use suggest::best_smaller_variant;

/// The context assumed when the user names none (capped at the model's native context):
/// enough for every Duo feature, and what GitLab's own sizing tables use.
pub const DEFAULT_CONTEXT: u32 = 32_768;

/// The shortest context worth serving: below this Duo Chat prompts do not fit.
pub const MIN_USEFUL_CONTEXT: u32 = 4_096;

/// The `gpu_memory_utilization` used when the user names none: GitLab's prescriptive
/// settings use 0.95 on dedicated GPUs. When a GPU's free memory is known it is lowered so
/// that vLLM's start-up check (free ≥ total × utilization) passes.
pub const DEFAULT_GPU_MEMORY_UTILIZATION: f64 = 0.95;

/// What to fit.
#[derive(Debug, Clone)]
pub struct FitRequest<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its checkpoint.
    pub variant: &'a Variant,
    /// The GPUs.
    pub slots: &'a [Slot],
    /// Desired context (`--max-model-len`); `None`: [`DEFAULT_CONTEXT`], shortened if needed.
    pub context: Option<u32>,
    /// Requests that must fit at once at that context (at least 1).
    pub concurrency: u32,
    /// Use exactly this tensor-parallel size (`None`: the smallest that fits).
    pub tensor_parallel_size: Option<u32>,
    /// `--gpu-memory-utilization`; `None`: [`DEFAULT_GPU_MEMORY_UTILIZATION`] capped by free memory.
    pub gpu_memory_utilization: Option<f64>,
    /// Judgement constants.
    pub constants: FitConstants,
}

/// Why a fit could not be computed: the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {reason}")]
pub struct FitError {
    /// The input field.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// The most nodes a fit plans over.
pub const MAX_NODES: u32 = 64;

/// The vLLM settings that go with a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct VllmSettings {
    /// `--tensor-parallel-size`.
    pub tensor_parallel_size: u32,
    /// `--gpu-memory-utilization`.
    pub gpu_memory_utilization: f64,
    /// `--max-model-len`.
    pub max_model_len: u32,
    /// `--max-num-seqs`.
    pub max_num_seqs: u32,
    /// The four as command-line arguments (across nodes, `--pipeline-parallel-size` and
    /// `--distributed-executor-backend ray` after the first), then
    /// `--max-num-batched-tokens` and `--kv-cache-dtype fp8` when the fit was asked for them.
    pub args: Vec<String>,
    /// `CUDA_VISIBLE_DEVICES` for the GPUs used.
    pub cuda_visible_devices: String,
}

/// A way to make a model fit that does not fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Suggestion {
    /// `shorter_context`, `quantized_variant`, `more_gpus`, `bigger_gpu` or `more_nodes`.
    pub kind: String,
    /// What to do, in words.
    pub message: String,
    /// The context to use (`shorter_context`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub context: Option<u32>,
    /// The checkpoint to use (`quantized_variant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub variant: Option<String>,
    /// The hardware that would do (`more_gpus`, `bigger_gpu`, each node of `more_nodes`), as
    /// a spec like `4xA100-80GB`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub gpus: Option<String>,
    /// The nodes that would do (`more_nodes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub nodes: Option<u32>,
}

/// The answer for one model and checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FitResult {
    /// Catalog id.
    pub model: String,
    /// Display name.
    pub name: String,
    /// Checkpoint name (`bf16`, `awq-int4`, …).
    pub variant: String,
    /// Its weight format.
    pub quantization: Quantization,
    /// Its weight bytes.
    pub weight_bytes: u64,
    /// Whether it fits at `max_model_len` with the requested concurrency.
    pub fits: bool,
    /// NVML indexes of the GPUs used.
    pub gpus: Vec<u32>,
    /// Tensor-parallel size (0 when there is no GPU).
    pub tensor_parallel_size: u32,
    /// Whether the GPUs used are all joined by NVLink (always true for one GPU).
    pub nvlink: bool,
    /// `--gpu-memory-utilization`.
    pub gpu_memory_utilization: f64,
    /// The context: the one chosen when it fits, else the largest that would (0: none).
    pub max_model_len: u32,
    /// The largest context one request can use (up to the native context).
    pub max_context: u32,
    /// The model's native context.
    pub native_context: u32,
    /// How many requests of `max_model_len` tokens the KV cache holds at once, as vLLM
    /// reports it ("Maximum concurrency for N tokens per request: 1.64x"): KV cache ÷ one
    /// request's KV, to two decimals. Not rounded down: round only to display it.
    pub concurrency: f64,
    /// Memory per GPU (the smallest GPU used), when there is a GPU.
    pub memory: Option<MemoryPerGpu>,
    /// The vLLM version whose arithmetic the figures follow (the one the app installs for
    /// the model unless named).
    pub vllm_version: String,
    /// KV cache per token of context, per GPU, of the layers that keep every token (sliding
    /// and linear-attention layers hold a bounded amount per request on top).
    pub kv_bytes_per_token: u64,
    /// KV cache one request of `max_model_len` tokens holds, per GPU.
    pub kv_bytes_per_request: u64,
    /// Free memory each GPU needs at start (vLLM refuses below `total × utilization`).
    pub required_free_bytes: u64,
    /// The vLLM settings, when it fits.
    pub vllm: Option<VllmSettings>,
    /// Every number, in words.
    pub explanation: Vec<String>,
    /// Ways to make it fit, nearest first (empty when it fits).
    pub suggestions: Vec<Suggestion>,
    /// Things to check (free memory, PCIe, unverified numbers).
    pub warnings: Vec<String>,
    /// Across nodes: the pipeline stages, their layers and memory per GPU (`memory` is the
    /// limiting stage's). Absent on one node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pipeline: Option<PipelineSplit>,
}

impl FitResult {
    /// Requests of the full context that fit at once: [`FitResult::concurrency`] rounded down.
    pub fn whole_requests(&self) -> u32 {
        whole(self.concurrency)
    }
}

/// A concurrency rounded down to whole requests.
fn whole(concurrency: f64) -> u32 {
    concurrency.max(0.0).floor() as u32
}

/// Fits one model checkpoint on the GPUs.
pub fn fit(request: &FitRequest<'_>) -> Result<FitResult, FitError> {
    fit_inner(request, 1, true)
}

/// Fits one model checkpoint on `nodes` identical machines, each with the request's GPUs:
/// on one of them when it fits there (the same answer as [`fit`]), else split into the
/// fewest pipeline stages that fit, one per node (vLLM on a Ray cluster).
pub fn fit_on_nodes(request: &FitRequest<'_>, nodes: u32) -> Result<FitResult, FitError> {
    fit_inner(request, nodes, true)
}

/// The fit, with or without looking for ways to make it fit.
fn fit_inner(
    request: &FitRequest<'_>,
    nodes: u32,
    with_suggestions: bool,
) -> Result<FitResult, FitError> {
    let arch = check::check(request, nodes)?;
    let explicit = request.context.is_some();
    let desired = request.context.unwrap_or(DEFAULT_CONTEXT.min(arch.context));
    let wanted = request.concurrency.max(1);
    let starts = |a: &Attempt| a.headroom() >= 0;
    // First the smallest tensor-parallel size that holds the desired context; failing that
    // (and only when the user named no context), the longest context that fits.
    let select = |attempts: &[Attempt]| -> Option<(Attempt, u32)> {
        attempts
            .iter()
            .find(|a| starts(a) && a.concurrency_at(desired) >= f64::from(wanted))
            .map(|a| (a.clone(), desired))
            .or_else(|| {
                if explicit {
                    return None;
                }
                attempts.iter().filter(|a| starts(a)).find_map(|a| {
                    let each = a.layout.largest_context(a.kv() / f64::from(wanted));
                    (each >= MIN_USEFUL_CONTEXT).then(|| (a.clone(), each))
                })
            })
    };
    let mut attempts = attempt::attempts(request, arch, request.constants.max_num_seqs, nodes);
    let mut chosen = select(&attempts);
    if chosen.is_none() && request.constants.max_num_seqs.is_none() {
        // Batching fewer requests shrinks the activation peak and the warm-up: try with
        // just the requests wanted before giving up.
        let fewer = wanted.next_power_of_two().min(attempt::MAX_NUM_SEQS);
        attempts = attempt::attempts(request, arch, Some(fewer), nodes);
        chosen = select(&attempts);
    }
    let (attempt, context, fits) = match chosen {
        Some((attempt, context)) => {
            // Batch no more requests than fit: fewer sequences shrink the activation peak
            // and the sampler's warm-up, which leaves more for the KV cache.
            let chosen = match request.constants.max_num_seqs {
                Some(_) => attempt,
                None => {
                    let whole_now = whole(attempt.concurrency_at(context));
                    let seqs = max_num_seqs_for(whole_now, &attempt);
                    attempt.with_max_num_seqs(request, seqs)
                }
            };
            (Some(chosen), context, true)
        }
        None => {
            let best = attempts
                .iter()
                .max_by(|a, b| a.kv().total_cmp(&b.kv()))
                .cloned();
            (best.clone(), best.map_or(0, |a| a.max_context), false)
        }
    };
    let attempt = attempt.as_ref();
    let concurrency = attempt.map_or(0.0, |a| a.concurrency_at(context));
    let tp = attempt.map_or(0, |a| a.tp);
    let gmu = attempt.map_or(
        request
            .gpu_memory_utilization
            .unwrap_or(DEFAULT_GPU_MEMORY_UTILIZATION),
        |a| a.gmu,
    );
    let max_num_seqs = attempt.map_or(1, |a| a.runtime.max_num_seqs);
    let gpus = attempt.map(|a| a.gpus.clone()).unwrap_or_default();
    let pp = attempt.map_or(1, |a| a.pp);
    let mut args = vec!["--tensor-parallel-size".into(), tp.to_string()];
    if pp > 1 {
        args.extend([
            "--pipeline-parallel-size".into(),
            pp.to_string(),
            "--distributed-executor-backend".into(),
            "ray".into(),
        ]);
    }
    args.extend([
        "--gpu-memory-utilization".into(),
        format!("{gmu:.2}"),
        "--max-model-len".into(),
        context.to_string(),
        "--max-num-seqs".into(),
        max_num_seqs.to_string(),
    ]);
    // Settings the user named that change the memory: the launch must match the estimate.
    if let Some(tokens) = request.constants.max_num_batched_tokens {
        args.extend(["--max-num-batched-tokens".into(), tokens.to_string()]);
    }
    if request.constants.kv_element_bytes() == 1 {
        args.extend(["--kv-cache-dtype".into(), "fp8".into()]);
    }
    let vllm = VllmSettings {
        tensor_parallel_size: tp,
        gpu_memory_utilization: gmu,
        max_model_len: context,
        max_num_seqs,
        args,
        cuda_visible_devices: gpus
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
    };
    let layout = attempt.map_or_else(
        || KvLayout::new(arch, 1, request.constants.kv_element_bytes(), 2048),
        |a| a.layout,
    );
    let mut result = FitResult {
        model: request.model.id.clone(),
        name: request.model.name.clone(),
        variant: request.variant.name.clone(),
        quantization: request.variant.quantization,
        weight_bytes: request.variant.weight_bytes,
        fits,
        gpus,
        tensor_parallel_size: tp,
        nvlink: attempt.is_some_and(|a| a.nvlink),
        gpu_memory_utilization: gmu,
        max_model_len: context,
        max_context: attempt.map_or(0, |a| a.max_context),
        native_context: arch.context,
        concurrency,
        memory: attempt.map(|a| a.memory),
        vllm_version: attempt::planned_vllm(request).to_string(),
        kv_bytes_per_token: layout.per_token,
        kv_bytes_per_request: layout.per_request(context),
        required_free_bytes: attempt.map_or(0, Attempt::required_free_bytes),
        vllm: fits.then_some(vllm),
        explanation: Vec::new(),
        suggestions: Vec::new(),
        warnings: Vec::new(),
        pipeline: attempt.filter(|a| a.pp > 1).map(split_of),
    };
    explain::describe(&mut result, request, arch, attempt, desired, explicit);
    if !fits && with_suggestions {
        result.suggestions = suggest::suggestions(request, arch, &result, desired, nodes, attempt);
    }
    Ok(result)
}

/// The stages of a placement across nodes, for the result.
fn split_of(attempt: &Attempt) -> PipelineSplit {
    PipelineSplit {
        nodes: attempt.pp,
        pipeline_parallel_size: attempt.pp,
        tensor_parallel_size: attempt.tp,
        layer_partition: attempt.stages.iter().map(|s| s.shape.layers).collect(),
        custom_partition: attempt.custom_partition,
        stages: attempt
            .stages
            .iter()
            .map(|s| PipelineStage {
                stage: s.shape.index,
                first_layer: s.shape.first_layer,
                layers: s.shape.layers,
                embedding: s.shape.embedding,
                output_head: s.shape.head,
                memory: s.memory,
                kv_bytes_per_token: s.layout.per_token,
            })
            .collect(),
        limiting_stage: attempt.limiting as u32,
    }
}

/// `--max-num-seqs`: the whole requests that fit, rounded up to a power of two, at most
/// [`attempt::MAX_NUM_SEQS`]; with linear-attention layers also at most the requests whose
/// state fits (vLLM refuses a start where `max_num_seqs` exceeds its Mamba cache blocks).
fn max_num_seqs_for(whole_requests: u32, attempt: &Attempt) -> u32 {
    let seqs = whole_requests
        .max(1)
        .next_power_of_two()
        .min(attempt::MAX_NUM_SEQS);
    match attempt.layout.state_blocks(attempt.kv()) {
        Some(blocks) => seqs.min(u32::try_from(blocks).unwrap_or(u32::MAX).max(1)),
        None => seqs,
    }
}

#[cfg(test)]
mod number_tests;
#[cfg(test)]
mod tests;
