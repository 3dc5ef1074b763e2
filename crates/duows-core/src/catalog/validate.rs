//! The rules a catalog must keep; each failure names the entry and field.

use std::collections::HashSet;

use super::{Architecture, Catalog, CatalogError, Family, Model, Serving};
use crate::fit::vllm::{release_for, VllmVersion, INSTALLABLE};

fn invalid(at: impl Into<String>, reason: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        at: at.into(),
        reason: reason.into(),
    }
}

/// Checks the whole catalog.
pub(super) fn check(catalog: &Catalog) -> Result<(), CatalogError> {
    if catalog.schema != 1 {
        return Err(invalid("schema", "must be 1"));
    }
    if catalog.version.trim().is_empty() {
        return Err(invalid("version", "must not be empty"));
    }
    let mut keys = HashSet::new();
    for feature in &catalog.features {
        let at = format!("feature {}", feature.key);
        if !keys.insert(feature.key.as_str()) {
            return Err(invalid(at, "is listed twice"));
        }
        if feature.families.is_empty() {
            return Err(invalid(at, "families: must name at least one family"));
        }
        if !matches!(feature.state.as_str(), "ga" | "beta" | "experiment") {
            return Err(invalid(at, "state: must be ga, beta or experiment"));
        }
    }
    for feature in &catalog.features {
        if let Some(parent) = &feature.falls_back_to {
            if catalog.feature(parent).is_none() {
                return Err(invalid(
                    format!("feature {}", feature.key),
                    "falls_back_to: unknown feature",
                ));
            }
        }
    }
    let mut ids = HashSet::new();
    for model in &catalog.models {
        if !ids.insert(model.id.as_str()) {
            return Err(invalid(format!("model {}", model.id), "is listed twice"));
        }
        check_model(catalog, model)?;
    }
    Ok(())
}

fn check_model(catalog: &Catalog, model: &Model) -> Result<(), CatalogError> {
    let at = |field: &str| format!("model {}: {field}", model.id);
    if model.user_supplied {
        return Err(invalid(
            at("user_supplied"),
            "is only for models read from a user's config.json",
        ));
    }
    if model.gitlab.is_empty() {
        return Err(invalid(at("gitlab"), "needs at least one version range"));
    }
    for pair in model.gitlab.windows(2) {
        if pair[0].until.is_none_or(|until| until > pair[1].from) {
            return Err(invalid(
                at("gitlab"),
                "ranges must be in order and must not overlap",
            ));
        }
    }
    for range in &model.gitlab {
        if range.until.is_some_and(|until| until <= range.from) {
            return Err(invalid(
                at("gitlab"),
                format!("range from {} ends before it starts", range.from),
            ));
        }
    }
    if let Some(deprecation) = &model.deprecation {
        if let Some(replacement) = &deprecation.replacement {
            if catalog.model(replacement).is_none() {
                return Err(invalid(
                    at("deprecation.replacement"),
                    format!("`{replacement}` is not in the catalog"),
                ));
            }
        }
    }
    match &model.family_note {
        Some(note) if note.trim().is_empty() => {
            return Err(invalid(at("family_note"), "must not be empty"));
        }
        None if model.family == Family::General => {
            return Err(invalid(
                at("family_note"),
                "a GENERAL model must say why it has no family of its own",
            ));
        }
        _ => {}
    }
    match (&model.hf_repo, &model.cloud) {
        (Some(_), Some(_)) => return Err(invalid(at("cloud"), "a cloud model has no hf_repo")),
        (None, None) => return Err(invalid(at("hf_repo"), "a self-hosted model needs one")),
        (None, Some(_)) => return Ok(()),
        (Some(repo), None) => {
            let last = repo.rsplit('/').next().unwrap_or(repo).to_lowercase();
            if model.id != last {
                return Err(invalid(
                    at("id"),
                    format!("must be `{last}`, the repo name in lower case"),
                ));
            }
        }
    }
    let arch = model
        .arch
        .as_ref()
        .ok_or_else(|| invalid(at("arch"), "a self-hosted model needs it"))?;
    check_arch(model, arch)?;
    if model.variants.is_empty() {
        return Err(invalid(
            at("variants"),
            "a self-hosted model needs at least one checkpoint",
        ));
    }
    if !model.variants[0].is_original(model) {
        return Err(invalid(
            at("variants[0]"),
            "must be the model's own checkpoint (repo = hf_repo)",
        ));
    }
    let mut names = HashSet::new();
    let original_bytes = model.variants[0].weight_bytes;
    for (i, variant) in model.variants.iter().enumerate() {
        let field = |name: &str| at(&format!("variants[{i}].{name}"));
        if !names.insert(variant.name.to_lowercase()) {
            return Err(invalid(field("name"), "is used twice"));
        }
        if variant.weight_bytes == 0 {
            return Err(invalid(field("weight_bytes"), "must be positive"));
        }
        if i > 0 && variant.weight_bytes >= original_bytes {
            return Err(invalid(
                field("weight_bytes"),
                "a quantized checkpoint must be smaller than the original",
            ));
        }
        if variant.quantization == super::Quantization::Bf16 {
            // bf16 weights are two bytes per parameter; allow 3% for unlisted extras.
            let expected = arch.params as f64 * 2.0;
            if (variant.weight_bytes as f64 - expected).abs() > expected * 0.03 {
                return Err(invalid(
                    field("weight_bytes"),
                    format!(
                        "{} is not 2 bytes × {} parameters",
                        variant.weight_bytes, arch.params
                    ),
                ));
            }
        }
    }
    for (i, file) in model.gguf.iter().enumerate() {
        if file.bytes == 0 || !file.file.ends_with(".gguf") {
            return Err(invalid(
                at(&format!("gguf[{i}]")),
                "needs a .gguf file name and a size",
            ));
        }
    }
    let serving = model
        .serving
        .as_ref()
        .ok_or_else(|| invalid(at("serving"), "a self-hosted model needs it"))?;
    check_serving(model, serving)
}

/// Flags the app derives from the fit and its own defaults; a catalog entry must not set them.
const FLAGS_THE_APP_SETS: &[&str] = &[
    "--host",
    "--port",
    "--served-model-name",
    "--tensor-parallel-size",
    "--gpu-memory-utilization",
    "--max-model-len",
    "--max-num-seqs",
    "--max-num-batched-tokens",
];

fn check_arch(model: &Model, arch: &Architecture) -> Result<(), CatalogError> {
    let at = |field: &str| format!("model {}: {field}", model.id);
    let positive = [
        ("arch.params", arch.params),
        ("arch.layers", u64::from(arch.layers)),
        ("arch.heads", u64::from(arch.heads)),
        ("arch.kv_heads", u64::from(arch.kv_heads)),
        ("arch.head_dim", u64::from(arch.head_dim)),
        ("arch.vocab", u64::from(arch.vocab)),
        ("arch.context", u64::from(arch.context)),
    ];
    for (field, value) in positive {
        if value == 0 {
            return Err(invalid(at(field), "must be positive"));
        }
    }
    if arch.heads % arch.kv_heads != 0 {
        return Err(invalid(
            at("arch.kv_heads"),
            "must divide the attention heads",
        ));
    }
    if arch
        .sliding_window
        .is_some_and(|w| w.layers >= arch.layers || w.tokens == 0)
    {
        return Err(invalid(
            at("arch.sliding_window"),
            "must cover some, not all, layers",
        ));
    }
    if let Some(window) = arch.sliding_window {
        if window.kv_heads == Some(0) || window.head_dim == Some(0) {
            return Err(invalid(
                at("arch.sliding_window"),
                "kv_heads and head_dim, when given, must be positive",
            ));
        }
        if window.kv_heads.is_some_and(|kv| arch.heads % kv != 0) {
            return Err(invalid(
                at("arch.sliding_window.kv_heads"),
                "must divide the attention heads",
            ));
        }
    }
    if arch
        .mla
        .is_some_and(|mla| mla.kv_lora_rank == 0 || mla.rope_dim == 0)
    {
        return Err(invalid(
            at("arch.mla"),
            "kv_lora_rank and rope_dim must be positive",
        ));
    }
    if let Some(indexer) = arch.indexer {
        if arch.mla.is_none() {
            return Err(invalid(
                at("arch.indexer"),
                "a sparse-attention indexer works over latent attention: give `mla` too",
            ));
        }
        if indexer.head_dim == 0 {
            return Err(invalid(at("arch.indexer.head_dim"), "must be positive"));
        }
    }
    if let Some(linear) = arch.linear_attention {
        if linear.layers == 0 || linear.state_bytes == 0 {
            return Err(invalid(
                at("arch.linear_attention"),
                "layers and state_bytes must be positive",
            ));
        }
        let sliding = arch.sliding_window.map_or(0, |w| w.layers);
        if sliding + linear.layers > arch.layers {
            return Err(invalid(
                at("arch.linear_attention.layers"),
                format!(
                    "{} linear + {sliding} sliding layers are more than the {} layers",
                    linear.layers, arch.layers
                ),
            ));
        }
    }
    if arch
        .moe
        .is_some_and(|m| m.active == 0 || m.active > m.experts)
    {
        return Err(invalid(
            at("arch.moe"),
            "active experts must be between 1 and the expert count",
        ));
    }
    Ok(())
}

fn check_serving(model: &Model, serving: &Serving) -> Result<(), CatalogError> {
    let at = |field: &str| format!("model {}: {field}", model.id);
    let min: VllmVersion = serving
        .min_vllm
        .parse()
        .map_err(|_| invalid(at("serving.min_vllm"), "must be a version like 0.6.4.post1"))?;
    if release_for(&serving.min_vllm).is_none() {
        let releases: Vec<String> = INSTALLABLE.iter().map(ToString::to_string).collect();
        return Err(invalid(
            at("serving.min_vllm"),
            format!(
                "{min} is newer than every vLLM release this app installs ({}): add a release or lower it",
                releases.join(", ")
            ),
        ));
    }
    for (field, flags) in [
        ("serving.flags", &serving.flags),
        (
            "serving.every_checkpoint_flags",
            &serving.every_checkpoint_flags,
        ),
    ] {
        if flags.first().is_some_and(|flag| !flag.starts_with("--")) {
            return Err(invalid(at(field), "must start with a --flag"));
        }
        if let Some(flag) = flags
            .iter()
            .find(|f| FLAGS_THE_APP_SETS.contains(&f.split('=').next().unwrap_or(f)))
        {
            return Err(invalid(
                at(field),
                format!("{flag} is set by the app from the fit"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
