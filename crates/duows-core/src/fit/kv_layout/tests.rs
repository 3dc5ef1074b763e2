//! KV bytes per token and per request for each kind of attention, against the figures of
//! `model-configs-2026` §2–§9.

use super::*;
use crate::catalog::{LatentAttention, LinearAttention, SlidingWindow, SparseIndexer};

fn dense(layers: u32, kv_heads: u32, head_dim: u32) -> Architecture {
    Architecture {
        params: 0,
        layers,
        hidden: 4096,
        heads: 64,
        kv_heads,
        head_dim,
        vocab: 32000,
        context: 262_144,
        sliding_window: None,
        moe: None,
        mla: None,
        indexer: None,
        linear_attention: None,
        verified: true,
        source: "test".into(),
    }
}

#[test]
fn grouped_query_attention_splits_heads_then_replicates() {
    // Devstral 2 / Mistral Medium 3.5: 88 layers × 8 KV heads × 128 → 352 KiB per token.
    let devstral = dense(88, 8, 128);
    assert_eq!(KvLayout::new(&devstral, 1, 2, 8192).per_token, 352 << 10);
    assert_eq!(KvLayout::new(&devstral, 1, 1, 8192).per_token, 176 << 10);
    assert_eq!(KvLayout::new(&devstral, 8, 2, 8192).per_token, 44 << 10);
    assert_eq!(
        KvLayout::new(&devstral, 16, 2, 8192).per_token,
        44 << 10,
        "one head replicated, not split further"
    );
    // MiniMax-M2.7: 62 × 8 × 128 → 248 KiB.
    assert_eq!(
        KvLayout::new(&dense(62, 8, 128), 1, 2, 8192).per_token,
        248 << 10
    );
}

#[test]
fn latent_attention_is_the_same_on_every_rank() {
    let mut kimi = dense(61, 64, 128);
    kimi.mla = Some(LatentAttention {
        kv_lora_rank: 512,
        rope_dim: 64,
    });
    assert_eq!(KvLayout::new(&kimi, 1, 2, 8192).per_token, 70_272);
    assert_eq!(KvLayout::new(&kimi, 8, 2, 8192).per_token, 70_272);
    assert_eq!(KvLayout::new(&kimi, 8, 1, 8192).per_token, 35_136);
    // GLM-5.1: the indexer's 132 bytes per layer; fp8 uses the 656-byte record.
    let mut glm = dense(78, 64, 64);
    glm.mla = kimi.mla;
    glm.indexer = Some(SparseIndexer {
        head_dim: 128,
        layers: None,
    });
    assert_eq!(KvLayout::new(&glm, 8, 2, 8192).per_token, 100_152);
    assert_eq!(KvLayout::new(&glm, 8, 1, 8192).per_token, 61_464);
}

#[test]
fn sliding_layers_hold_the_window_and_one_prefill_chunk() {
    // Gemma-4-31B: 10 global layers of 4 × 512 (80 KiB per token), 50 sliding of 16 × 256.
    let mut gemma = dense(60, 4, 512);
    gemma.sliding_window = Some(SlidingWindow {
        tokens: 1024,
        layers: 50,
        kv_heads: Some(16),
        head_dim: Some(256),
    });
    let layout = KvLayout::new(&gemma, 1, 2, 2048);
    assert_eq!(layout.per_token, 80 << 10);
    assert_eq!(layout.sliding_per_token, 800 << 10);
    // min(1023 + 2048, context) rounded to blocks, plus one block.
    assert_eq!(layout.sliding_tokens, 3072 + 16);
    assert_eq!(
        layout.per_request(100_000),
        100_000 * (80 << 10) + 3088 * (800 << 10)
    );
    // A short request holds only itself (plus a block) in the sliding layers.
    assert_eq!(layout.per_request(64), 64 * (80 << 10) + 80 * (800 << 10));
}

#[test]
fn linear_attention_keeps_a_constant_state() {
    // Qwen3.6-35B-A3B: 10 full layers of 2 × 256 (20 KiB), 30 Gated DeltaNet layers.
    let mut qwen = dense(40, 2, 256);
    qwen.linear_attention = Some(LinearAttention {
        layers: 30,
        state_bytes: 2_146_304,
    });
    let layout = KvLayout::new(&qwen, 1, 2, 8192);
    assert_eq!(layout.per_token, 20 << 10);
    assert_eq!(layout.per_request(0), 30 * 2_146_304);
    // Attention pages grow to hold one layer's state: 1,048 tokens rounded to 1,056 (bf16),
    // 2,096 with an fp8 cache (model-configs-2026 §9).
    assert_eq!(layout.block_tokens, 1056);
    assert_eq!(KvLayout::new(&qwen, 1, 1, 8192).block_tokens, 2096);
    assert_eq!(
        layout.per_request(1),
        1056 * (20 << 10) + 30 * 2_146_304,
        "a request takes a whole page"
    );
    assert_eq!(
        KvLayout::new(&qwen, 2, 2, 8192).per_request_state,
        30 * 1_073_152
    );
    // The pool's blocks are one state per layer of a group of 10.
    assert_eq!(layout.state_blocks(10.0 * 21_463_040.0), Some(10));
    assert_eq!(
        KvLayout::new(&dense(32, 8, 128), 1, 2, 8192).state_blocks(1e12),
        None
    );
}

#[test]
fn the_largest_context_inverts_the_request_size() {
    let llama = dense(32, 8, 128);
    let layout = KvLayout::new(&llama, 1, 2, 8192);
    let need = layout.per_request(32_768) as f64;
    assert_eq!(layout.largest_context(need), 32_768);
    assert_eq!(layout.largest_context(need - 1.0), 32_768 - 16);
    assert_eq!(
        layout.largest_context(1e15),
        262_144,
        "capped at the native context"
    );
    assert_eq!(layout.largest_context(-5.0), 0);
    assert!((layout.concurrency(need * 1.64, 32_768) - 1.64).abs() < 1e-9);
}
