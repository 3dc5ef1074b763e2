//! One vLLM start-up, predicted: given exactly the launch's settings (GPU, utilization,
//! parallelism, `--max-model-len`, `--max-num-seqs`, version), the memory terms vLLM will
//! log and how the start ends: serving, or which of its checks stops it. The fit chooses
//! settings; this answers for settings already chosen (and is what the agreement test
//! holds against real start-ups).

use serde::Serialize;

use super::kv_layout::KvLayout;
use super::memory::{self, FitConstants, MemoryPerGpu, Runtime};
use crate::catalog::Architecture;

/// A launch to predict.
#[derive(Debug, Clone)]
pub struct StartInput<'a> {
    /// The model.
    pub arch: &'a Architecture,
    /// The checkpoint's bytes as loaded (all GPUs together).
    pub weight_bytes: u64,
    /// Each GPU's total as CUDA reports it.
    pub total_bytes: u64,
    /// Each GPU's free memory before vLLM starts (other processes); `None`: all of it.
    pub free_bytes: Option<u64>,
    /// `--gpu-memory-utilization`.
    pub gpu_memory_utilization: f64,
    /// `--max-model-len`.
    pub max_model_len: u32,
    /// Version, parallelism, batch sizes and graphs.
    pub runtime: Runtime,
    /// Overrides and the KV element size.
    pub constants: &'a FitConstants,
}

/// How a start ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartOutcome {
    /// It serves.
    Serves,
    /// The budget is not free on the GPU: vLLM refuses before loading anything.
    BudgetNotFree,
    /// The weights alone exceed what the GPU holds.
    WeightsDoNotFit,
    /// Nothing is left for the KV cache ("No available memory for the cache blocks").
    NoKvMemory,
    /// One request of `max_model_len` does not fit ("estimated maximum model length is …").
    MaxModelLenTooLong,
    /// Out of memory after the KV cache: CUDA graphs (up to 0.19) or the sampler's warm-up.
    OomAfterKvCache,
}

/// The prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartEstimate {
    /// Memory per GPU.
    pub memory: MemoryPerGpu,
    /// How it ends.
    pub outcome: StartOutcome,
    /// vLLM's "estimated maximum model length" for one request.
    pub max_len: u32,
    /// Requests of `max_model_len` the cache holds, to two decimals.
    pub concurrency: f64,
    /// Tokens of the cache counted as a dense model would.
    pub tokens: u64,
    /// Free memory left after everything that runs after the KV cache (negative: short).
    pub headroom_bytes: i64,
}

/// Predicts one start.
pub fn estimate_start(input: &StartInput<'_>) -> StartEstimate {
    let rt = &input.runtime;
    let memory = MemoryPerGpu::compute(
        input.arch,
        input.weight_bytes,
        input.total_bytes,
        input.gpu_memory_utilization,
        rt,
        input.constants,
    );
    let layout = KvLayout::new(
        input.arch,
        rt.tp,
        input.constants.kv_element_bytes(),
        rt.max_num_batched_tokens,
    );
    let kv = memory.kv_cache_bytes as f64;
    let free = input
        .free_bytes
        .unwrap_or(input.total_bytes)
        .min(input.total_bytes)
        .saturating_sub(memory::pre_start_bytes(rt.tp, rt.nvlink));
    let headroom = free as i64 - memory.budget_bytes as i64 - memory.after_kv_bytes as i64;
    let outcome = if free < memory.budget_bytes {
        StartOutcome::BudgetNotFree
    } else if memory.weights_bytes as f64 > input.total_bytes as f64 * 0.98 {
        StartOutcome::WeightsDoNotFit
    } else if kv <= 0.0 {
        StartOutcome::NoKvMemory
    } else if layout.per_request(input.max_model_len) as f64 > kv {
        StartOutcome::MaxModelLenTooLong
    } else if headroom < 0 {
        StartOutcome::OomAfterKvCache
    } else {
        StartOutcome::Serves
    };
    StartEstimate {
        memory,
        outcome,
        max_len: layout.largest_context(kv),
        concurrency: layout.concurrency(kv, input.max_model_len),
        tokens: layout.tokens(kv),
        headroom_bytes: headroom,
    }
}
