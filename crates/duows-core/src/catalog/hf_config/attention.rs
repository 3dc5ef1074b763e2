//! The kinds of attention a config describes, as the KV cache needs them: latent attention
//! (`kv_lora_rank`), its sparse indexer (`index_head_dim`), linear-attention layers
//! (`layer_types` or `full_attention_interval`, with the Gated DeltaNet state sizes), and
//! global layers whose heads differ from the sliding ones (`num_global_key_value_heads`,
//! `global_head_dim`).

use super::Fields;
use crate::catalog::{LatentAttention, LinearAttention, SparseIndexer};

/// What the config says about attention beyond plain grouped-query heads.
#[derive(Debug, Default)]
pub(super) struct AttentionKinds {
    /// Latent attention.
    pub mla: Option<LatentAttention>,
    /// The sparse indexer.
    pub indexer: Option<SparseIndexer>,
    /// Linear-attention layers.
    pub linear: Option<LinearAttention>,
    /// KV heads and head size of the full-attention layers when they differ from the
    /// sliding layers' (`num_key_value_heads`, `head_dim`).
    pub global_heads: Option<(u32, u32)>,
    /// In words.
    pub words: Vec<String>,
}

/// Reads the attention kinds of a model of `layers` layers.
pub(super) fn read(f: &Fields<'_>, layers: u32, types: &[&str]) -> AttentionKinds {
    let mut kinds = AttentionKinds::default();
    if let Some(latent) = f.u32("kv_lora_rank") {
        let rope = f.u32("qk_rope_head_dim").unwrap_or(0);
        kinds.mla = Some(LatentAttention {
            kv_lora_rank: latent,
            rope_dim: rope,
        });
        kinds.words.push(format!(
            "latent attention (MLA) caches {} values per token and layer (kv_lora_rank {latent} + qk_rope_head_dim {rope}), the same on every GPU",
            latent + rope
        ));
        if let Some(dim) = f.u32("index_head_dim") {
            let own = f
                .get("indexer_types")
                .and_then(serde_json::Value::as_array)
                .map(|t| t.iter().filter(|v| v.as_str() == Some("full")).count() as u32)
                .filter(|n| *n > 0 && *n < layers);
            kinds.indexer = Some(SparseIndexer {
                head_dim: dim,
                layers: own,
            });
            kinds.words.push(format!(
                "a sparse-attention indexer caches an FP8 key of {dim} dims per token in {} layers",
                own.unwrap_or(layers)
            ));
        }
    }
    let linear = linear_layers(f, layers, types);
    if linear > 0 {
        if let Some(state) = gated_delta_net_state(f) {
            kinds.linear = Some(LinearAttention {
                layers: linear,
                state_bytes: state,
            });
            kinds.words.push(format!(
                "{linear} of the {layers} layers use linear attention (Gated DeltaNet) and keep a state of {:.2} MiB per request and layer instead of a cache",
                state as f64 / 1048576.0
            ));
        }
    }
    if let (Some(heads), Some(dim)) = (
        f.u32("num_global_key_value_heads"),
        f.u32("global_head_dim"),
    ) {
        kinds.global_heads = Some((heads, dim));
        kinds.words.push(format!(
            "the full-attention layers have {heads} KV heads of {dim} dims (num_global_key_value_heads, global_head_dim), the sliding ones their own"
        ));
    }
    kinds
}

/// Linear-attention layers: those `layer_types` marks, else all but every
/// `full_attention_interval`-th layer.
fn linear_layers(f: &Fields<'_>, layers: u32, types: &[&str]) -> u32 {
    let marked = types.iter().filter(|t| t.contains("linear")).count() as u32;
    if marked > 0 {
        return marked.min(layers.saturating_sub(1));
    }
    match f.u32("full_attention_interval") {
        Some(every) if every > 1 && f.u32("linear_num_value_heads").is_some() => {
            layers - layers / every
        }
        _ => 0,
    }
}

/// One request's Gated DeltaNet state in one layer, whole model: the convolution's last
/// `kernel − 1` inputs (`2·k_heads·k_dim + v_heads·v_dim` channels, 16-bit) and the
/// recurrent state (`v_heads × v_dim × k_dim`, `mamba_ssm_dtype`, fp32 by default).
fn gated_delta_net_state(f: &Fields<'_>) -> Option<u64> {
    let k_heads = u64::from(f.u32("linear_num_key_heads")?);
    let k_dim = u64::from(f.u32("linear_key_head_dim")?);
    let v_heads = u64::from(f.u32("linear_num_value_heads")?);
    let v_dim = u64::from(f.u32("linear_value_head_dim")?);
    let kernel = u64::from(f.u32("linear_conv_kernel_dim").unwrap_or(4));
    let ssm_bytes = match f.str("mamba_ssm_dtype") {
        Some("bfloat16" | "float16") => 2,
        _ => 4,
    };
    let conv = (2 * k_heads * k_dim + v_heads * v_dim) * kernel.saturating_sub(1) * 2;
    Some(conv + v_heads * v_dim * k_dim * ssm_bytes)
}
