//! The memory arithmetic of a vLLM start-up, per GPU (see `engines-and-fit` §1):
//!
//! ```text
//! budget       = total × gpu_memory_utilization
//! kv_available = budget − weights/tp − non_torch − activation_peak − cuda_graphs
//! kv_per_token = 2 (K and V) × full-attention layers × ceil(kv_heads / tp) × head_dim × 2 bytes
//! per request  = kv_per_token × context + sliding layers × min(window, context) × (same per layer)
//! ```

use serde::{Deserialize, Serialize};

use crate::catalog::Architecture;

/// Bytes in a GiB.
pub const GIB: f64 = (1u64 << 30) as f64;

/// Judgement constants of the estimate. Each is named once, explained, and can be
/// overridden by the user (`duows fit --overhead …`, the API's `constants`).
///
/// The defaults are calibrated on GitLab's GPT-OSS-120B table: with them the estimate gives
/// exactly GitLab's 10, 34 and 51 concurrent requests on 1, 2 and 4 H100 80 GB, and a total
/// runtime overhead of 2.25 GiB per GPU, which GitLab rounds to "about 2 GB".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct FitConstants {
    /// Memory outside PyTorch's allocator on each GPU: the CUDA context, cuBLAS
    /// workspaces, NCCL buffers. vLLM reports it as `non_torch_memory`; about 0.5 GiB.
    pub non_torch_gib: f64,
    /// Tokens vLLM pushes through one forward pass when it profiles memory
    /// (`--max-num-batched-tokens`; 8192 in current releases).
    pub max_num_batched_tokens: u32,
    /// Activation peak per batched token per hidden unit, in bytes. vLLM's profiling run
    /// holds several hidden-sized tensors per token at once; 32 bytes (16 bf16 tensors) is
    /// our judgement of that peak.
    pub activation_bytes_per_token_hidden: f64,
    /// The activation peak never goes below this (small models still allocate sampler and
    /// logits buffers).
    pub min_activation_gib: f64,
    /// Memory held by captured CUDA graphs (0 with `--enforce-eager`). vLLM logs 0.5–3 GiB
    /// depending on batch sizes captured; 0.75 GiB is our judgement for the default set.
    pub cuda_graphs_gib: f64,
    /// Bytes per cached key or value element: 2 for bf16/fp16 KV cache, 1 for fp8.
    pub kv_bytes: u32,
}

impl Default for FitConstants {
    fn default() -> Self {
        Self {
            non_torch_gib: 0.5,
            max_num_batched_tokens: 8192,
            activation_bytes_per_token_hidden: 32.0,
            min_activation_gib: 1.0,
            cuda_graphs_gib: 0.75,
            kv_bytes: 2,
        }
    }
}

impl FitConstants {
    /// Checks the values; the error names the field.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let gib_ok = |v: f64| v.is_finite() && (0.0..=64.0).contains(&v);
        if !gib_ok(self.non_torch_gib) {
            return Err(("non_torch_gib", "must be between 0 and 64"));
        }
        if !gib_ok(self.min_activation_gib) {
            return Err(("min_activation_gib", "must be between 0 and 64"));
        }
        if !gib_ok(self.cuda_graphs_gib) {
            return Err(("cuda_graphs_gib", "must be between 0 and 64"));
        }
        if !(self.activation_bytes_per_token_hidden.is_finite()
            && (0.0..=4096.0).contains(&self.activation_bytes_per_token_hidden))
        {
            return Err((
                "activation_bytes_per_token_hidden",
                "must be between 0 and 4096",
            ));
        }
        if !(1..=1_048_576).contains(&self.max_num_batched_tokens) {
            return Err(("max_num_batched_tokens", "must be between 1 and 1048576"));
        }
        if !matches!(self.kv_bytes, 1 | 2 | 4) {
            return Err(("kv_bytes", "must be 1, 2 or 4"));
        }
        Ok(())
    }

    /// The activation peak for a model, in bytes.
    pub fn activation_bytes(&self, arch: &Architecture) -> f64 {
        let peak = f64::from(self.max_num_batched_tokens)
            * f64::from(arch.hidden)
            * self.activation_bytes_per_token_hidden;
        peak.max(self.min_activation_gib * GIB)
    }
}

/// KV heads one GPU holds: split evenly, or one replicated head when there are fewer KV
/// heads than GPUs.
pub fn kv_heads_per_gpu(arch: &Architecture, tp: u32) -> u32 {
    arch.kv_heads.div_ceil(tp).max(1)
}

/// Bytes one layer caches per token on one GPU.
fn per_layer_token_bytes(arch: &Architecture, tp: u32, kv_bytes: u32) -> u64 {
    2 * u64::from(kv_heads_per_gpu(arch, tp)) * u64::from(arch.head_dim) * u64::from(kv_bytes)
}

/// KV cache bytes per token of context on one GPU (full-attention layers).
pub fn kv_bytes_per_token(arch: &Architecture, tp: u32, kv_bytes: u32) -> u64 {
    let sliding = arch.sliding_window.map_or(0, |w| w.layers);
    u64::from(arch.layers - sliding) * per_layer_token_bytes(arch, tp, kv_bytes)
}

/// KV cache bytes one request of `context` tokens holds on one GPU.
pub fn kv_bytes_per_request(arch: &Architecture, tp: u32, kv_bytes: u32, context: u32) -> u64 {
    let full = kv_bytes_per_token(arch, tp, kv_bytes) * u64::from(context);
    let sliding = arch.sliding_window.map_or(0, |w| {
        u64::from(w.layers)
            * u64::from(w.tokens.min(context))
            * per_layer_token_bytes(arch, tp, kv_bytes)
    });
    full + sliding
}

/// The largest context one request can have when `kv_available` bytes are free for the
/// cache, rounded down to vLLM's block of 16 tokens.
pub fn largest_context(arch: &Architecture, tp: u32, kv_bytes: u32, kv_available: f64) -> u32 {
    if kv_available <= 0.0 {
        return 0;
    }
    let per_token = kv_bytes_per_token(arch, tp, kv_bytes) as f64;
    let window = arch.sliding_window.map_or(0.0, |w| {
        f64::from(w.layers) * f64::from(w.tokens) * per_layer_token_bytes(arch, tp, kv_bytes) as f64
    });
    let tokens = if per_token > 0.0 {
        ((kv_available - window) / per_token).floor()
    } else {
        f64::from(arch.context)
    };
    let tokens = tokens.clamp(0.0, f64::from(arch.context)) as u32;
    tokens / 16 * 16
}

/// How memory on one GPU is spent, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MemoryPerGpu {
    /// Usable memory of the smallest GPU used.
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
    /// Left for the KV cache (negative: the weights and overhead do not fit).
    pub kv_cache_bytes: i64,
    /// Outside the budget: `total − budget`.
    pub unreserved_bytes: u64,
}

impl MemoryPerGpu {
    /// The breakdown for one GPU of `total_bytes` holding `1/tp` of the weights.
    pub fn compute(
        arch: &Architecture,
        weight_bytes: u64,
        tp: u32,
        total_bytes: u64,
        gpu_memory_utilization: f64,
        constants: &FitConstants,
    ) -> Self {
        let budget = (total_bytes as f64 * gpu_memory_utilization).floor();
        let weights = (weight_bytes as f64 / f64::from(tp)).ceil();
        let non_torch = constants.non_torch_gib * GIB;
        let activations = constants.activation_bytes(arch);
        let graphs = constants.cuda_graphs_gib * GIB;
        let kv = budget - weights - non_torch - activations - graphs;
        Self {
            total_bytes,
            budget_bytes: budget as u64,
            weights_bytes: weights as u64,
            non_torch_bytes: non_torch as u64,
            activations_bytes: activations as u64,
            cuda_graphs_bytes: graphs as u64,
            kv_cache_bytes: kv as i64,
            unreserved_bytes: total_bytes.saturating_sub(budget as u64),
        }
    }

    /// Runtime overhead: everything but weights and KV cache.
    pub fn overhead_bytes(&self) -> u64 {
        self.non_torch_bytes + self.activations_bytes + self.cuda_graphs_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn arch(id: &str) -> Architecture {
        Catalog::builtin()
            .expect("catalog")
            .model(id)
            .expect("model")
            .arch
            .clone()
            .expect("arch")
    }

    #[test]
    fn kv_per_token_matches_the_published_figures() {
        // engines-and-fit §1 and model-configs: KV per token, bf16, all layers.
        assert_eq!(
            kv_bytes_per_token(&arch("llama-3.1-8b-instruct"), 1, 2),
            128 << 10
        );
        assert_eq!(
            kv_bytes_per_token(&arch("llama-3.1-70b-instruct"), 1, 2),
            320 << 10
        );
        assert_eq!(
            kv_bytes_per_token(&arch("mixtral-8x22b-instruct-v0.1"), 1, 2),
            224 << 10
        );
        assert_eq!(
            kv_bytes_per_token(&arch("codellama-13b-hf"), 1, 2),
            800 << 10
        );
        assert_eq!(kv_bytes_per_token(&arch("codegemma-2b"), 1, 2), 18 << 10);
        assert_eq!(
            kv_bytes_per_token(&arch("deepseek-coder-33b-instruct"), 1, 2),
            248 << 10
        );
        // GPT-OSS: the full-attention half only (36 KiB), sliding layers hold 128 tokens.
        assert_eq!(kv_bytes_per_token(&arch("gpt-oss-120b"), 1, 2), 36 << 10);
        assert_eq!(kv_bytes_per_token(&arch("gpt-oss-20b"), 1, 2), 24 << 10);
    }

    #[test]
    fn kv_heads_split_then_replicate() {
        let llama = arch("llama-3.1-70b-instruct"); // 8 KV heads
        assert_eq!(kv_heads_per_gpu(&llama, 4), 2);
        assert_eq!(kv_heads_per_gpu(&llama, 8), 1);
        assert_eq!(
            kv_heads_per_gpu(&llama, 16),
            1,
            "replicated, not split further"
        );
        let gemma = arch("codegemma-2b"); // 1 KV head
        assert_eq!(
            kv_bytes_per_token(&gemma, 2, 2),
            kv_bytes_per_token(&gemma, 1, 2)
        );
    }

    #[test]
    fn sliding_layers_hold_only_the_window() {
        let gpt = arch("gpt-oss-120b");
        let short = kv_bytes_per_request(&gpt, 1, 2, 64);
        assert_eq!(
            short,
            64 * (36 << 10) + 18 * 64 * 2048,
            "window larger than the context"
        );
        let long = kv_bytes_per_request(&gpt, 1, 2, 32768);
        assert_eq!(long, 32768 * (36 << 10) + 18 * 128 * 2048);
    }

    #[test]
    fn largest_context_inverts_the_request_size() {
        let gpt = arch("gpt-oss-120b");
        let need = kv_bytes_per_request(&gpt, 1, 2, 32768) as f64;
        assert_eq!(largest_context(&gpt, 1, 2, need), 32768);
        assert_eq!(largest_context(&gpt, 1, 2, need - 1.0), 32768 - 16);
        assert_eq!(
            largest_context(&gpt, 1, 2, 1e15),
            131072,
            "capped at the native context"
        );
        assert_eq!(largest_context(&gpt, 1, 2, -5.0), 0);
    }
}
