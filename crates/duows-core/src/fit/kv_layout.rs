//! The KV cache one request holds on one GPU, summed per kind of layer as vLLM's KV-cache
//! manager sizes it (`model-configs-2026` §9):
//!
//! - full attention (GQA): `2 × max(1, kv_heads ÷ tp) × head_dim × b` per token;
//! - latent attention (MLA): `(kv_lora_rank + rope_dim) × b` per token, the same on every
//!   rank; with the sparse indexer (DSA) add `index_head_dim + index_head_dim ÷ 128 × 4` bytes,
//!   and an fp8 cache uses the 656-byte `fp8_ds_mla` record;
//! - sliding windows: `min(window − 1 + max_num_batched_tokens, context)` tokens plus one
//!   block (vLLM's `SlidingWindowSpec.max_memory_usage_bytes`: a chunked prefill holds the
//!   window and the chunk), with the sliding layers' own heads;
//! - linear attention (Gated DeltaNet): a constant state per request, split by heads.

use crate::catalog::Architecture;

/// vLLM's block: the cache is allocated in pages of 16 tokens.
pub const BLOCK_TOKENS: u32 = 16;

/// KV heads one GPU holds: split evenly, or one replicated head when there are fewer KV
/// heads than GPUs.
pub fn kv_heads_per_gpu(kv_heads: u32, tp: u32) -> u32 {
    (kv_heads / tp.max(1)).max(1)
}

/// The cache of one model on one GPU of a tensor-parallel group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvLayout {
    /// Bytes per token of the layers that keep every token.
    pub per_token: u64,
    /// Bytes per token of the sliding layers (0 without any).
    pub sliding_per_token: u64,
    /// Tokens a sliding layer holds at most for one request (0 without sliding layers).
    pub sliding_tokens: u32,
    /// Constant bytes per request (linear-attention state).
    pub per_request_state: u64,
    /// Bytes of one block of vLLM's shared pool in a hybrid model (one layer's state per
    /// layer of a group; 0 without linear attention): the pool holds `kv ÷ this` blocks, and
    /// each running request needs one per linear group.
    pub state_block_bytes: u64,
    /// Tokens per block of the layers that keep every token: 16, or in a hybrid the larger
    /// page vLLM chooses so that one attention page holds at least one layer's state (Qwen3.6
    /// with an fp8 cache: 2,096 tokens); a request's context is allocated in whole blocks.
    pub block_tokens: u32,
    /// The model's native context.
    pub native_context: u32,
}

impl KvLayout {
    /// The layout for `arch` on `tp` GPUs, with `kv_bytes` per element and chunked prefill of
    /// `max_num_batched_tokens`.
    pub fn new(arch: &Architecture, tp: u32, kv_bytes: u32, max_num_batched_tokens: u32) -> Self {
        let tp = tp.max(1);
        let b = u64::from(kv_bytes);
        let sliding_layers = arch.sliding_window.map_or(0, |w| w.layers);
        let linear_layers = arch.linear_attention.map_or(0, |l| l.layers);
        let full_layers = arch.layers.saturating_sub(sliding_layers + linear_layers);
        let full_layer = match arch.mla {
            // The fp8 record of the sparse (FlashMLA) backend: 512 fp8 values, 16 bytes of
            // scales and 64 bf16 RoPE values.
            Some(_) if arch.indexer.is_some() && kv_bytes == 1 => 656,
            Some(mla) => u64::from(mla.kv_lora_rank + mla.rope_dim) * b,
            None => {
                2 * u64::from(kv_heads_per_gpu(arch.kv_heads, tp)) * u64::from(arch.head_dim) * b
            }
        };
        let indexer = arch.indexer.map_or(0, |i| {
            u64::from(i.layers.unwrap_or(full_layers).min(full_layers))
                * u64::from(i.head_dim + i.head_dim / 128 * 4)
        });
        let (sliding_per_token, sliding_tokens) = match arch.sliding_window {
            Some(w) if w.layers > 0 => {
                let heads = kv_heads_per_gpu(w.kv_heads.unwrap_or(arch.kv_heads), tp);
                let dim = w.head_dim.unwrap_or(arch.head_dim);
                let per_layer = 2 * u64::from(heads) * u64::from(dim) * b;
                let tokens = (w.tokens - 1 + max_num_batched_tokens.max(1)).div_ceil(BLOCK_TOKENS)
                    * BLOCK_TOKENS
                    + BLOCK_TOKENS;
                (u64::from(w.layers) * per_layer, tokens)
            }
            _ => (0, 0),
        };
        let per_request_state = arch.linear_attention.map_or(0, |l| {
            u64::from(l.layers) * l.state_bytes.div_ceil(u64::from(tp))
        });
        // vLLM groups a hybrid's layers in groups of equal size (10 full + 30 linear: four
        // groups of 10); a block holds one page per layer of a group.
        let state_block_bytes = arch.linear_attention.map_or(0, |l| {
            let group = l.layers.min(full_layers).max(1);
            u64::from(group) * l.state_bytes.div_ceil(u64::from(tp))
        });
        let block_tokens = match (arch.linear_attention, full_layers) {
            (Some(l), full) if full > 0 && full_layer > 0 => {
                let tokens = l.state_bytes.div_ceil(u64::from(tp)).div_ceil(full_layer);
                u32::try_from(tokens.div_ceil(u64::from(BLOCK_TOKENS)) * u64::from(BLOCK_TOKENS))
                    .unwrap_or(u32::MAX)
                    .max(BLOCK_TOKENS)
            }
            _ => BLOCK_TOKENS,
        };
        Self {
            per_token: u64::from(full_layers) * full_layer + indexer,
            sliding_per_token,
            sliding_tokens,
            per_request_state,
            state_block_bytes,
            block_tokens,
            native_context: arch.context,
        }
    }

    /// Bytes one request of `context` tokens holds.
    pub fn per_request(&self, context: u32) -> u64 {
        let blocks = u64::from(context.div_ceil(self.block_tokens)) * u64::from(self.block_tokens);
        let sliding = u64::from(
            self.sliding_tokens
                .min(context.div_ceil(BLOCK_TOKENS) * BLOCK_TOKENS + BLOCK_TOKENS),
        );
        self.per_token * blocks + self.sliding_per_token * sliding + self.per_request_state
    }

    /// How many requests of `context` tokens `kv_bytes` hold, to two decimals as vLLM prints
    /// it ("Maximum concurrency for 32,768 tokens per request: 1.64x").
    pub fn concurrency(&self, kv_bytes: f64, context: u32) -> f64 {
        if context == 0 || kv_bytes <= 0.0 {
            return 0.0;
        }
        ((kv_bytes / self.per_request(context) as f64) * 100.0).floor() / 100.0
    }

    /// The largest context one request can have in `kv_bytes` (vLLM's "estimated maximum
    /// model length"), a whole number of blocks, at most the native context.
    pub fn largest_context(&self, kv_bytes: f64) -> u32 {
        if kv_bytes <= 0.0 || (self.per_request(BLOCK_TOKENS) as f64) > kv_bytes {
            return 0;
        }
        let (mut low, mut high) = (BLOCK_TOKENS, self.native_context.max(BLOCK_TOKENS));
        if self.per_request(high) as f64 <= kv_bytes {
            return self.native_context;
        }
        while high - low > BLOCK_TOKENS {
            let mid = (low + (high - low) / 2) / BLOCK_TOKENS * BLOCK_TOKENS;
            let mid = mid.max(low + BLOCK_TOKENS);
            if self.per_request(mid) as f64 <= kv_bytes {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    }

    /// The blocks of a hybrid's shared pool in `kv_bytes`: the most requests that can run at
    /// once (`None` without linear attention).
    pub fn state_blocks(&self, kv_bytes: f64) -> Option<u64> {
        (self.state_block_bytes > 0)
            .then(|| (kv_bytes.max(0.0) / self.state_block_bytes as f64) as u64)
    }

    /// Tokens the cache holds as a dense model would count them (bytes ÷ bytes per token);
    /// for sliding and hybrid models vLLM's own count differs.
    pub fn tokens(&self, kv_bytes: f64) -> u64 {
        let per = self.per_token + self.sliding_per_token;
        if per == 0 || kv_bytes <= 0.0 {
            return 0;
        }
        (kv_bytes / per as f64) as u64 / u64::from(BLOCK_TOKENS) * u64::from(BLOCK_TOKENS)
    }
}

#[cfg(test)]
mod tests;
