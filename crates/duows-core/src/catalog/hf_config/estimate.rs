//! The weights of a model read from its config: their format (`torch_dtype`/`dtype` and
//! `quantization_config`), the parameter count computed from the layer sizes, and the
//! checkpoint's size from the safetensors files, else estimated.

use std::path::Path;

use serde_json::{Map, Value};

use super::{ConfigError, Fields};
use crate::catalog::{Moe, Quantization};

/// The weights' format.
pub(super) struct WeightFormat {
    /// Checkpoint name (`bf16`, `fp8`, `awq-int4`, …).
    pub name: &'static str,
    /// The catalog's label for it.
    pub quantization: Quantization,
    /// Bytes per quantized weight (scales included); embeddings stay 16-bit.
    bytes_per_weight: f64,
    /// Whether only the experts are quantized (MXFP4).
    experts_only: bool,
    /// The checkpoint's files hold 32-bit floats that vLLM loads as 16-bit.
    float32: bool,
    /// In words.
    pub described: String,
}

/// Reads `torch_dtype`/`dtype` and `quantization_config`.
pub(super) fn weight_format(
    root: &Map<String, Value>,
    f: &Fields<'_>,
) -> Result<WeightFormat, ConfigError> {
    let dtype = f
        .str("torch_dtype")
        .or_else(|| f.str("dtype"))
        .unwrap_or("bfloat16");
    let plain = |name, quantization, bytes, described: String| WeightFormat {
        name,
        quantization,
        bytes_per_weight: bytes,
        experts_only: false,
        float32: false,
        described,
    };
    let Some(q) = root.get("quantization_config").filter(|v| !v.is_null()) else {
        return match dtype {
            "bfloat16" | "float16" => Ok(plain(
                "bf16",
                Quantization::Bf16,
                2.0,
                format!("{dtype}, not quantized"),
            )),
            "float32" => Ok(WeightFormat {
                float32: true,
                ..plain(
                    "bf16",
                    Quantization::Bf16,
                    2.0,
                    "float32 in the files; vLLM loads them as 16-bit (--dtype auto), half their size".into(),
                )
            }),
            other => Err(ConfigError::field(
                "torch_dtype",
                format!("`{other}` is not a weight type the fit knows (bfloat16, float16, float32)"),
            )),
        };
    };
    let method = q
        .get("quant_method")
        .and_then(Value::as_str)
        .ok_or_else(|| ConfigError::field("quantization_config.quant_method", "is missing"))?;
    let bits = q.get("bits").and_then(Value::as_u64).unwrap_or(4);
    let group = q
        .get("group_size")
        .and_then(Value::as_i64)
        .filter(|g| *g > 0)
        .unwrap_or(128) as f64;
    let int_bytes = |bits: u64| bits as f64 / 8.0 + 4.0 / group;
    match method {
        "fp8" => Ok(plain("fp8", Quantization::Fp8, 1.0, "FP8 (quantization_config)".into())),
        "awq" | "gptq" if bits == 4 => Ok(plain(
            if method == "awq" { "awq-int4" } else { "gptq-int4" },
            if method == "awq" { Quantization::Awq } else { Quantization::Gptq },
            int_bytes(4),
            format!("{} 4-bit, group size {group}", method.to_uppercase()),
        )),
        "mxfp4" => Ok(WeightFormat {
            experts_only: true,
            ..plain(
                "mxfp4",
                Quantization::Mxfp4,
                4.25 / 8.0,
                "MXFP4 experts, the rest 16-bit (quantization_config)".into(),
            )
        }),
        "compressed-tensors" => compressed_tensors(q),
        "modelopt" if q.get("config_groups").is_some() => compressed_tensors(q),
        "modelopt" => match q.get("quant_algo").and_then(Value::as_str) {
            Some("NVFP4") => Ok(plain(
                "nvfp4",
                Quantization::Nvfp4,
                0.5 + 1.0 / 16.0,
                "NVFP4 (ModelOpt): 4-bit floats with an FP8 scale per 16 weights".into(),
            )),
            Some("FP8") => Ok(plain("fp8", Quantization::Fp8, 1.0, "FP8 (ModelOpt)".into())),
            other => Err(ConfigError::field(
                "quantization_config.quant_algo",
                format!("{other:?} is not a ModelOpt format the fit can size yet (NVFP4 and FP8 are)"),
            )),
        },
        other => Err(ConfigError::field(
            "quantization_config.quant_method",
            format!("`{other}` (with {bits} bits) is not a format the fit can size yet: fp8, awq, gptq, mxfp4 and compressed-tensors int4/fp8/int8 are"),
        )),
    }
}

/// compressed-tensors (llm-compressor): the weights' bits and type of the first group.
fn compressed_tensors(q: &Value) -> Result<WeightFormat, ConfigError> {
    let weights = q
        .get("config_groups")
        .and_then(Value::as_object)
        .and_then(|groups| groups.values().next())
        .and_then(|g| g.get("weights"))
        .ok_or_else(|| {
            ConfigError::field(
                "quantization_config.config_groups",
                "names no weights' format",
            )
        })?;
    let bits = weights.get("num_bits").and_then(Value::as_u64).unwrap_or(0);
    let kind = weights.get("type").and_then(Value::as_str).unwrap_or("int");
    let group = weights
        .get("group_size")
        .and_then(Value::as_u64)
        .filter(|g| *g > 0)
        .unwrap_or(128) as f64;
    let format = |name, quantization, bytes, described: String| WeightFormat {
        name,
        quantization,
        bytes_per_weight: bytes,
        experts_only: false,
        float32: false,
        described,
    };
    match (bits, kind) {
        (8, _) => Ok(format(
            "w8",
            Quantization::Fp8,
            1.0,
            format!("compressed-tensors 8-bit {kind}, one byte per weight like FP8"),
        )),
        (4, "float") => {
            // NVFP4; checkpoints that leave attention in 16 bits quantize the experts only.
            let attention_kept = q
                .get("ignore")
                .and_then(Value::as_array)
                .is_some_and(|list| list.iter().any(|v| v.as_str().is_some_and(|s| s.contains("self_attn"))));
            Ok(WeightFormat {
                experts_only: attention_kept,
                ..format(
                    "nvfp4",
                    Quantization::Nvfp4,
                    0.5 + 1.0 / 16.0,
                    format!(
                        "NVFP4: 4-bit floats with a scale per {} weights{}",
                        weights.get("group_size").and_then(Value::as_u64).unwrap_or(16),
                        if attention_kept { ", on the experts; attention stays 16-bit" } else { "" }
                    ),
                )
            })
        }
        (4, "int") => Ok(format(
            "w4a16",
            Quantization::Gptq,
            0.5 + 4.0 / group,
            format!("compressed-tensors 4-bit integer (W4A16, group size {group}), sized like GPTQ 4-bit"),
        )),
        _ => Err(ConfigError::field(
            "quantization_config.config_groups",
            format!("{bits}-bit {kind} weights are not a format the fit can size yet (4-bit int and 8-bit are)"),
        )),
    }
}

/// Parameters computed from the layer sizes: embeddings, attention, MLP or experts, norms.
#[allow(clippy::too_many_arguments)]
pub(super) fn parameters(
    f: &Fields<'_>,
    hidden: u32,
    layers: u32,
    heads: u32,
    kv_heads: u32,
    head_dim: u32,
    vocab: u32,
    moe: Option<Moe>,
) -> ParamCount {
    let (h, l, v) = (u64::from(hidden), u64::from(layers), u64::from(vocab));
    let tied = f.get("tie_word_embeddings").and_then(Value::as_bool) == Some(true);
    let embeddings = v * h * if tied { 1 } else { 2 };
    let attention = match f.u32("kv_lora_rank") {
        Some(latent) => {
            let get = |k| u64::from(f.u32(k).unwrap_or(0));
            let (latent, rope, nope, vd, ql) = (
                u64::from(latent),
                get("qk_rope_head_dim"),
                get("qk_nope_head_dim"),
                get("v_head_dim"),
                get("q_lora_rank"),
            );
            let n = u64::from(heads);
            let q = if ql > 0 {
                h * ql + ql * n * (nope + rope)
            } else {
                h * n * (nope + rope)
            };
            q + h * (latent + rope) + latent * n * (nope + vd) + n * vd * h
        }
        None => {
            let (q, kv) = (u64::from(heads * head_dim), u64::from(kv_heads * head_dim));
            2 * h * q + 2 * h * kv
        }
    };
    let dense = 3 * h * u64::from(f.u32("intermediate_size").unwrap_or(4 * hidden));
    let mut experts = 0;
    let mlp_layers = match moe {
        None => l * dense,
        Some(moe) => {
            let each = u64::from(f.u32("moe_intermediate_size").unwrap_or(0));
            let expert = if each > 0 { 3 * h * each } else { dense };
            // Llama 4 names no shared expert but has one of `intermediate_size`, and only
            // every `interleave_moe_layer_step`-th layer is MoE (the others are dense of
            // `intermediate_size_mlp`).
            let step = f.u32("interleave_moe_layer_step").map(u64::from);
            let shared = u64::from(f.u32("n_shared_experts").unwrap_or(0)) * expert
                + 3 * h * u64::from(f.u32("shared_expert_intermediate_size").unwrap_or(0))
                + step.map_or(0, |_| dense);
            let first_dense = match step {
                Some(step) => l - l / step.max(1),
                None => u64::from(f.u32("first_k_dense_replace").unwrap_or(0)).min(l),
            };
            let dense = match step {
                Some(_) => 3 * h * u64::from(f.u32("intermediate_size_mlp").unwrap_or(4 * hidden)),
                None => dense,
            };
            experts = (l - first_dense) * u64::from(moe.experts) * expert;
            first_dense * dense
                + experts
                + (l - first_dense) * (shared + h * u64::from(moe.experts))
        }
    };
    ParamCount {
        total: embeddings + l * (attention + 2 * h) + mlp_layers + h,
        embeddings,
        experts,
    }
}

/// A parameter count and the parts that stay 16-bit or are quantized apart.
pub(super) struct ParamCount {
    /// All parameters.
    pub total: u64,
    /// Embeddings and output head.
    pub embeddings: u64,
    /// Routed experts.
    pub experts: u64,
}

/// The checkpoint's size, and where it comes from.
pub(super) struct CheckpointSize {
    /// Bytes the weights take on the GPUs.
    pub bytes: u64,
    /// Whether the size was read from the files (not estimated).
    pub read_from_files: bool,
    /// `metadata.total_parameters` of the index, when it has one.
    pub params_from_index: Option<u64>,
    /// In words.
    pub words: String,
}

/// `model.safetensors.index.json`'s `metadata.total_size`, else the `*.safetensors` files
/// in `dir`, else `params` at the format's bytes per weight.
pub(super) fn checkpoint_size(
    dir: &Path,
    format: &WeightFormat,
    params: &ParamCount,
) -> CheckpointSize {
    let index: Option<Value> = std::fs::read_to_string(dir.join("model.safetensors.index.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let meta = index.as_ref().and_then(|i| i.get("metadata"));
    let params_from_index = meta
        .and_then(|m| m.get("total_parameters"))
        .and_then(Value::as_u64);
    let half = |bytes: u64| if format.float32 { bytes / 2 } else { bytes };
    let loaded = if format.float32 {
        ", halved: vLLM loads float32 as 16-bit"
    } else {
        ""
    };
    if let Some(total) = meta
        .and_then(|m| m.get("total_size"))
        .and_then(Value::as_u64)
    {
        return CheckpointSize {
            bytes: half(total),
            read_from_files: true,
            params_from_index,
            words: format!("Checkpoint size: {total} bytes, from model.safetensors.index.json (metadata.total_size){loaded}."),
        };
    }
    let files: Vec<u64> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".safetensors"))
        .filter_map(|e| std::fs::metadata(e.path()).ok().map(|m| m.len()))
        .collect();
    if !files.is_empty() {
        let total: u64 = files.iter().sum();
        return CheckpointSize {
            bytes: half(total),
            read_from_files: true,
            params_from_index,
            words: format!(
                "Checkpoint size: {total} bytes, the sum of the {} .safetensors files beside the config{loaded}.",
                files.len()
            ),
        };
    }
    let bytes = if format.experts_only {
        params.experts as f64 * format.bytes_per_weight
            + (params.total - params.experts) as f64 * 2.0
    } else if format.bytes_per_weight >= 2.0 {
        params.total as f64 * 2.0
    } else {
        params.embeddings as f64 * 2.0
            + (params.total - params.embeddings) as f64 * format.bytes_per_weight
    };
    CheckpointSize {
        bytes: bytes.round() as u64,
        read_from_files: false,
        params_from_index,
        words: format!(
            "Checkpoint size: about {:.1} GiB, estimated from the parameters at {} (no safetensors files or index beside the config).",
            bytes / crate::fit::GIB,
            if format.bytes_per_weight >= 2.0 {
                "2 bytes each".to_owned()
            } else if format.experts_only {
                format!("{:.2} bytes per expert weight, 2 bytes for the rest", format.bytes_per_weight)
            } else {
                format!("{:.2} bytes per weight, 2 bytes for the embeddings", format.bytes_per_weight)
            }
        ),
    }
}
