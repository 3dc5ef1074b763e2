//! The memory arithmetic of a vLLM start-up, per GPU, as vLLM computes it for the version
//! that will run (`vllm-memory` §2 and §4):
//!
//! ```text
//! budget       = CUDA's total × gpu_memory_utilization
//! kv_available = budget − weights/tp − non-torch − activation peak [− CUDA-graph estimate, 0.20+]
//! after the KV cache, in total − budget: [CUDA graphs, up to 0.19] + sampler warm-up logits
//! ```
//!
//! The KV cache per request is summed per kind of layer ([`KvLayout`]).

use serde::{Deserialize, Serialize};

use super::vllm::VllmVersion;
use crate::catalog::{Architecture, Quantization};

pub use super::kv_layout::{kv_heads_per_gpu, KvLayout};

/// Bytes in a GiB.
pub const GIB: f64 = (1u64 << 30) as f64;

/// Overrides of the estimate's terms, and the KV cache's element size. Every term left
/// `None` is modelled for the vLLM version that will run (`duows fit --cuda-graphs-gib …`,
/// the API's `constants`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct FitConstants {
    /// The vLLM version whose arithmetic to use (`0.19.1`); `None`: the release the app
    /// installs for the model.
    #[ts(optional)]
    pub vllm_version: Option<String>,
    /// Memory outside PyTorch on each GPU (CUDA context, cuBLAS, NCCL), in GiB; `None`: by
    /// parallelism (0.25 on one GPU, 2.1 per GPU with tensor parallelism over NVLink, 0.35
    /// over PCIe).
    #[ts(optional)]
    pub non_torch_gib: Option<f64>,
    /// The profiling run's activation peak per GPU, in GiB; `None`: from `max_num_seqs` ×
    /// vocabulary and `max_num_batched_tokens` × hidden size.
    #[ts(optional)]
    pub activation_gib: Option<f64>,
    /// Captured CUDA graphs per GPU, in GiB (0 with `--enforce-eager`); `None`: from the
    /// number of capture sizes and the layers.
    #[ts(optional)]
    pub cuda_graphs_gib: Option<f64>,
    /// `--max-num-seqs`; `None`: the whole requests that fit, rounded up to a power of two,
    /// at most 256.
    #[ts(optional)]
    pub max_num_seqs: Option<u32>,
    /// `--max-num-batched-tokens`; `None`: vLLM's default for the GPU (8192 on GPUs of 70 GiB
    /// or more other than the A100, else 2048).
    #[ts(optional)]
    pub max_num_batched_tokens: Option<u32>,
    /// Bytes per cached key or value element: 2 for a bf16/fp16 KV cache (0: the same), 1
    /// for `--kv-cache-dtype fp8`.
    pub kv_bytes: u32,
    /// Decoder layers per pipeline stage across nodes, in order (`VLLM_PP_LAYER_PARTITION`,
    /// e.g. `[40, 38]`): pins the number of stages; `None`: vLLM's even split.
    #[ts(optional)]
    pub layer_partition: Option<Vec<u32>>,
}

impl FitConstants {
    /// Bytes per KV element (2 unless set).
    pub fn kv_element_bytes(&self) -> u32 {
        if self.kv_bytes == 0 {
            2
        } else {
            self.kv_bytes
        }
    }

    /// The vLLM version named, parsed.
    pub fn vllm(&self) -> Option<VllmVersion> {
        self.vllm_version.as_deref().and_then(|v| v.parse().ok())
    }

    /// Checks the values; the error names the field.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let gib_ok = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && (0.0..=64.0).contains(&v));
        if !gib_ok(self.non_torch_gib) {
            return Err(("non_torch_gib", "must be between 0 and 64"));
        }
        if !gib_ok(self.activation_gib) {
            return Err(("activation_gib", "must be between 0 and 64"));
        }
        if !gib_ok(self.cuda_graphs_gib) {
            return Err(("cuda_graphs_gib", "must be between 0 and 64"));
        }
        if self
            .max_num_batched_tokens
            .is_some_and(|t| !(16..=1_048_576).contains(&t))
        {
            return Err(("max_num_batched_tokens", "must be between 16 and 1048576"));
        }
        if self.max_num_seqs.is_some_and(|n| !(1..=4096).contains(&n)) {
            return Err(("max_num_seqs", "must be between 1 and 4096"));
        }
        if !matches!(self.kv_bytes, 0 | 1 | 2 | 4) {
            return Err(("kv_bytes", "must be 1, 2 or 4"));
        }
        if self.vllm_version.is_some() && self.vllm().is_none() {
            return Err(("vllm_version", "must be a vLLM version such as 0.19.1"));
        }
        Ok(())
    }
}

/// How one start runs: the facts of the launch that change its memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Runtime {
    /// The vLLM version.
    pub vllm: VllmVersion,
    /// `--tensor-parallel-size`.
    pub tp: u32,
    /// Whether the GPUs are joined by NVLink (custom all-reduce buffers).
    pub nvlink: bool,
    /// `--max-num-seqs`.
    pub max_num_seqs: u32,
    /// `--max-num-batched-tokens`.
    pub max_num_batched_tokens: u32,
    /// CUDA-graph capture sizes (0 with `--enforce-eager`).
    pub capture_sizes: u32,
}

impl Runtime {
    /// Memory outside PyTorch per GPU, bytes.
    pub fn non_torch_bytes(&self, c: &FitConstants) -> f64 {
        let gib = c.non_torch_gib.unwrap_or(match (self.tp, self.nvlink) {
            (1, _) => 0.25,
            (_, true) => 2.1,
            (_, false) => 0.35,
        });
        gib * GIB
    }

    /// The profiling run's activation peak per GPU, bytes: fp32 copies of the
    /// `[max_num_seqs × vocab]` logits plus two bf16 `[max_num_batched_tokens × hidden]`
    /// tensors. Tensor parallelism does not shrink it (logits are gathered whole).
    pub fn activation_bytes(&self, arch: &Architecture, c: &FitConstants) -> f64 {
        self.stage_activation_bytes(arch, c, true)
    }

    /// The activation peak of one pipeline stage: only the last stage computes the logits
    /// (vLLM's profiling run samples on the last pipeline rank only).
    pub fn stage_activation_bytes(
        &self,
        arch: &Architecture,
        c: &FitConstants,
        last_stage: bool,
    ) -> f64 {
        if let Some(gib) = c.activation_gib {
            return gib * GIB;
        }
        let logits = f64::from(self.max_num_seqs) * f64::from(arch.vocab) * 4.0;
        let hidden = f64::from(self.max_num_batched_tokens) * f64::from(arch.hidden) * 4.0;
        if last_stage {
            self.vllm.logits_copies() * logits + hidden
        } else {
            hidden
        }
    }

    /// Captured CUDA graphs per GPU, bytes, for vLLM's 51 default sizes and in proportion to
    /// the sizes captured: up to 0.19 about 0.5 GiB plus 12 MiB per layer (H100 captures of
    /// 0.65 to 1.8 GiB, within ±0.3 GiB of most); from 0.20, whose estimate comes out of the
    /// budget, about 0.1 GiB plus 8 MiB per layer (0.23 to 0.48 GiB measured on dense models;
    /// large MoE and hybrid models capture far more, e.g. 4.1 GiB for GLM-5.2 on 4 GPUs).
    pub fn cuda_graph_bytes(&self, arch: &Architecture, c: &FitConstants) -> f64 {
        if let Some(gib) = c.cuda_graphs_gib {
            return gib * GIB;
        }
        let layers = f64::from(arch.layers);
        let per_51 = if self.vllm.graphs_in_budget() {
            0.1 + 0.008 * layers
        } else {
            0.5 + 0.012 * layers
        };
        f64::from(self.capture_sizes) / 51.0 * per_51 * GIB
    }

    /// The sampler's warm-up after the KV cache exists: `max_num_seqs` rows of fp32 logits.
    pub fn sampler_bytes(&self, arch: &Architecture) -> f64 {
        f64::from(self.max_num_seqs) * f64::from(arch.vocab) * 4.0
    }
}

/// How memory on one GPU is spent, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MemoryPerGpu {
    /// Total memory of the smallest GPU used, as CUDA reports it.
    pub total_bytes: u64,
    /// `total × gpu_memory_utilization`: what vLLM may use, and must find free at start.
    pub budget_bytes: u64,
    /// This GPU's share of the weights.
    pub weights_bytes: u64,
    /// Outside PyTorch (CUDA context, cuBLAS, NCCL).
    pub non_torch_bytes: u64,
    /// Activation peak of the profiling run.
    pub activations_bytes: u64,
    /// Captured CUDA graphs.
    pub cuda_graphs_bytes: u64,
    /// Whether the CUDA graphs' estimate is taken out of the budget (vLLM 0.20 onward);
    /// before, they are captured after the KV cache, in the headroom.
    pub cuda_graphs_in_budget: bool,
    /// Left for the KV cache (negative: the weights and overhead do not fit).
    pub kv_cache_bytes: i64,
    /// Outside the budget: `total − budget`.
    pub unreserved_bytes: u64,
    /// What must still fit outside the budget after the KV cache is allocated: the sampler's
    /// warm-up, and the CUDA graphs when they are not in the budget.
    pub after_kv_bytes: u64,
    /// `--max-num-seqs` the figures assume.
    pub max_num_seqs: u32,
    /// `--max-num-batched-tokens` the figures assume.
    pub max_num_batched_tokens: u32,
}

impl MemoryPerGpu {
    /// The breakdown for one GPU of `total_bytes` holding `1/tp` of the weights.
    pub fn compute(
        arch: &Architecture,
        weight_bytes: u64,
        total_bytes: u64,
        gpu_memory_utilization: f64,
        runtime: &Runtime,
        constants: &FitConstants,
    ) -> Self {
        Self::compute_stage(
            arch,
            weight_bytes,
            total_bytes,
            gpu_memory_utilization,
            runtime,
            constants,
            true,
        )
    }

    /// The breakdown for one GPU of a pipeline stage: `arch` holds the stage's layers,
    /// `weight_bytes` the stage's weights (all its tensor-parallel GPUs together); only the
    /// last stage computes logits and warms up the sampler.
    pub fn compute_stage(
        arch: &Architecture,
        weight_bytes: u64,
        total_bytes: u64,
        gpu_memory_utilization: f64,
        runtime: &Runtime,
        constants: &FitConstants,
        last_stage: bool,
    ) -> Self {
        let budget = (total_bytes as f64 * gpu_memory_utilization).ceil();
        let weights = (weight_bytes as f64 / f64::from(runtime.tp.max(1))).ceil();
        let non_torch = runtime.non_torch_bytes(constants);
        let activations = runtime.stage_activation_bytes(arch, constants, last_stage);
        let graphs = runtime.cuda_graph_bytes(arch, constants);
        let in_budget = runtime.vllm.graphs_in_budget();
        let kv = budget - weights - non_torch - activations - if in_budget { graphs } else { 0.0 };
        let sampler = if last_stage {
            runtime.sampler_bytes(arch)
        } else {
            0.0
        };
        let after_kv = sampler + if in_budget { 0.0 } else { graphs };
        Self {
            total_bytes,
            budget_bytes: budget as u64,
            weights_bytes: weights as u64,
            non_torch_bytes: non_torch as u64,
            activations_bytes: activations as u64,
            cuda_graphs_bytes: graphs as u64,
            cuda_graphs_in_budget: in_budget,
            kv_cache_bytes: kv as i64,
            unreserved_bytes: total_bytes.saturating_sub(budget as u64),
            after_kv_bytes: after_kv as u64,
            max_num_seqs: runtime.max_num_seqs,
            max_num_batched_tokens: runtime.max_num_batched_tokens,
        }
    }

    /// Runtime overhead inside the budget: everything but weights and KV cache.
    pub fn overhead_bytes(&self) -> u64 {
        self.non_torch_bytes
            + self.activations_bytes
            + if self.cuda_graphs_in_budget {
                self.cuda_graphs_bytes
            } else {
                0
            }
    }
}

/// The checkpoint's bytes once vLLM has loaded them: MXFP4 experts are laid out again for
/// vLLM's kernels and take about 6 % more than the files (GPT-OSS-120B: 60.77 GiB of files,
/// 64.38 GiB loaded; GPT-OSS-20B: 12.8 and 13.5 GiB); other formats load as stored.
pub fn loaded_weight_bytes(file_bytes: u64, quantization: Quantization) -> u64 {
    match quantization {
        Quantization::Mxfp4 => (file_bytes as f64 * 1.06) as u64,
        _ => file_bytes,
    }
}

/// Memory a GPU already uses before vLLM's budget is measured, beyond other processes: the
/// CUDA context (about 0.5 GiB), and NCCL's buffers with tensor parallelism over NVLink
/// (about 1 GiB more; H100 logs: 78.68 GiB free on one GPU, 77.66 with two).
pub fn pre_start_bytes(tp: u32, nvlink: bool) -> u64 {
    let gib = if tp > 1 && nvlink { 1.5 } else { 0.5 };
    (gib * GIB) as u64
}
