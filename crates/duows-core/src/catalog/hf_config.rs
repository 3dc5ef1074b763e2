//! A model that is not in the catalog, read from its Hugging Face `config.json`: the
//! architecture numbers the fit needs, and the checkpoint's size from the safetensors files
//! beside the config (or estimated from the parameters and the weights' format).
//!
//! The result is an ordinary [`Model`] of GitLab's `GENERAL` family with no GitLab ratings,
//! marked [`Model::user_supplied`], plus the list of what was read and what was estimated,
//! so that every number of the fit can say where it comes from.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::gitlab::{Family, ReleaseState};
use super::{Architecture, Model, Moe, SlidingWindow, Variant};

mod attention;
mod estimate;

/// Why a config could not be read or described. `field` names the config field at fault
/// (`num_hidden_layers`, `quantization_config.quant_method`), or is `None` when the file
/// itself is missing or not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", field.as_ref().map(|f| format!("`{f}` ")).unwrap_or_default())]
pub struct ConfigError {
    /// The config field at fault.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl ConfigError {
    fn file(reason: String) -> Self {
        Self {
            field: None,
            reason,
        }
    }

    fn field(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            reason: reason.into(),
        }
    }
}

/// A model read from a `config.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigModel {
    /// The model, with one checkpoint: the one the config describes.
    pub model: Model,
    /// The `config.json` read.
    pub config_path: PathBuf,
    /// What was read, in words.
    pub read: Vec<String>,
    /// What was estimated, in words.
    pub estimated: Vec<String>,
}

/// Reads a model from `path`: a `config.json`, a folder holding one, or a downloaded
/// repository in the Hugging Face hub cache layout (`models--org--name`, or one of its
/// `snapshots/<commit>` folders).
pub fn read_config_model(path: &Path) -> Result<ConfigModel, ConfigError> {
    let config_path = locate(path)?;
    let text = std::fs::read_to_string(&config_path)
        .map_err(|e| ConfigError::file(format!("cannot read {}: {e}", config_path.display())))?;
    let root: Value = serde_json::from_str(&text).map_err(|e| {
        ConfigError::file(format!("{} is not valid JSON: {e}", config_path.display()))
    })?;
    let root = root.as_object().ok_or_else(|| {
        ConfigError::file(format!("{} is not a JSON object", config_path.display()))
    })?;
    let repo = repo_name(&config_path, root);
    describe(root, &config_path, &repo)
}

/// The `config.json` that `path` points at.
fn locate(path: &Path) -> Result<PathBuf, ConfigError> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if !path.is_dir() {
        return Err(ConfigError::file(format!(
            "{} does not exist",
            path.display()
        )));
    }
    if path.join("config.json").is_file() {
        return Ok(path.join("config.json"));
    }
    // The cache folder of a repository: refs/main names the snapshot.
    let snapshot = std::fs::read_to_string(path.join("refs").join("main"))
        .ok()
        .map(|commit| {
            path.join("snapshots")
                .join(commit.trim())
                .join("config.json")
        });
    match snapshot {
        Some(config) if config.is_file() => Ok(config),
        _ => Err(ConfigError::file(format!(
            "{} holds no config.json (nor a downloaded snapshot with one)",
            path.display()
        ))),
    }
}

/// The Hugging Face repository: from the hub cache folder name, else `_name_or_path`, else
/// the folder (or file) name.
fn repo_name(config_path: &Path, root: &Map<String, Value>) -> String {
    for dir in config_path.ancestors() {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some(rest) = name.strip_prefix("models--") {
            if let Some((org, model)) = rest.split_once("--") {
                return format!("{org}/{model}");
            }
        }
    }
    if let Some(name) = root.get("_name_or_path").and_then(Value::as_str) {
        let parts: Vec<&str> = name.split('/').collect();
        if parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.')) {
            return name.to_owned();
        }
    }
    let stem = config_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let name = if stem == "config" {
        config_path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("model")
    } else {
        stem
    };
    name.replacen("--", "/", 1)
}

/// The architecture's own fields: nested `text_config` of multimodal models wins.
pub(crate) struct Fields<'a> {
    outer: &'a Map<String, Value>,
    text: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.text
            .get(key)
            .filter(|v| !v.is_null())
            .or_else(|| self.outer.get(key).filter(|v| !v.is_null()))
    }

    pub(crate) fn u32(&self, key: &str) -> Option<u32> {
        self.get(key)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
    }

    fn need(&self, key: &str) -> Result<u32, ConfigError> {
        match self.get(key) {
            None => Err(ConfigError::field(key, "is missing: the fit needs it")),
            Some(v) => v
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
                .ok_or_else(|| {
                    ConfigError::field(key, format!("must be a positive whole number, not {v}"))
                }),
        }
    }

    pub(crate) fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(Value::as_str)
    }

    pub(crate) fn layer_types(&self) -> Vec<&'a str> {
        self.get("layer_types")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

fn describe(
    root: &Map<String, Value>,
    config_path: &Path,
    repo: &str,
) -> Result<ConfigModel, ConfigError> {
    let text = root
        .get("text_config")
        .and_then(Value::as_object)
        .unwrap_or(root);
    let f = Fields { outer: root, text };
    let mut read = Vec::new();
    let mut estimated = Vec::new();
    if !std::ptr::eq(text, root) {
        read.push("The language model's numbers come from the nested `text_config` (a multimodal model); the vision part is not counted.".into());
    }
    let layers = f.need("num_hidden_layers")?;
    let hidden = f.need("hidden_size")?;
    let heads = f.need("num_attention_heads")?;
    let vocab = f.need("vocab_size")?;
    let mut context = f.need("max_position_embeddings")?;
    let kv_heads = match f.get("num_key_value_heads") {
        Some(_) => f.need("num_key_value_heads")?,
        None => heads,
    };
    let head_dim = match f.get("head_dim") {
        Some(_) => f.need("head_dim")?,
        None => hidden / heads,
    };
    let mut attention = format!(
        "{layers} layers, hidden size {hidden}, {heads} attention heads, {kv_heads} KV heads of {head_dim} dims{}",
        if f.get("head_dim").is_some() { "" } else { " (hidden size ÷ heads)" }
    );
    let types = f.layer_types();
    let kinds = attention::read(&f, layers, &types);
    for words in &kinds.words {
        attention.push_str("; ");
        attention.push_str(words);
    }
    read.push(format!(
        "Read from config.json: {attention}; vocabulary {vocab}."
    ));
    let mut sliding = sliding_window(&f, layers, context, &types, &mut read);
    // Gemma 4: the top level describes the full layers; the sliding ones keep their heads.
    let (kv_heads_full, head_dim_full) = match (kinds.global_heads, sliding.as_mut()) {
        (Some((heads, dim)), Some(window)) => {
            window.kv_heads = Some(kv_heads);
            window.head_dim = Some(head_dim);
            (heads, dim)
        }
        _ => (kv_heads, head_dim),
    };
    context = native_context(&f, context, &mut read);
    let moe = moe(&f);
    if let Some(moe) = moe {
        read.push(format!(
            "Mixture of experts: {} experts per layer, {} active per token.",
            moe.experts, moe.active
        ));
    }
    let format = estimate::weight_format(root, &f)?;
    read.push(format!("Weights: {}.", format.described));
    // The parameter estimate counts a latent's projections as one KV head of half its width.
    let (kv_heads_p, head_dim_p) = match kinds.mla {
        Some(m) => (1, (m.kv_lora_rank + m.rope_dim).div_ceil(2)),
        None => (kv_heads, head_dim),
    };
    let params = estimate::parameters(
        &f, hidden, layers, heads, kv_heads_p, head_dim_p, vocab, moe,
    );
    let dir = config_path.parent().unwrap_or(Path::new("."));
    let size = estimate::checkpoint_size(dir, &format, &params);
    let params = params.total;
    let verified = size.read_from_files;
    if verified {
        read.push(size.words.clone());
    } else {
        estimated.push(size.words.clone());
    }
    if let Some(total) = size.params_from_index {
        read.push(format!(
            "Parameters: {total}, from model.safetensors.index.json."
        ));
    } else {
        estimated.push(format!(
            "Parameters: about {:.2} billion, computed from the layer sizes.",
            params as f64 / 1e9
        ));
    }
    let source = format!("[own config] {}", config_path.display());
    let id = repo.rsplit('/').next().unwrap_or(repo).to_lowercase();
    let arch = Architecture {
        params: size.params_from_index.unwrap_or(params),
        layers,
        hidden,
        heads,
        kv_heads: kv_heads_full,
        head_dim: head_dim_full,
        vocab,
        context,
        sliding_window: sliding,
        moe,
        mla: kinds.mla,
        indexer: kinds.indexer,
        linear_attention: kinds.linear,
        verified: true,
        source: source.clone(),
    };
    let variant = Variant {
        name: format.name.to_owned(),
        quantization: format.quantization,
        repo: repo.to_owned(),
        weight_bytes: size.bytes,
        verified,
        source: format!("{source}: {}", size.words),
        max_tensor_parallel_size: None,
    };
    Ok(ConfigModel {
        model: Model {
            id,
            name: repo.rsplit('/').next().unwrap_or(repo).to_owned(),
            family: Family::General,
            family_note: None,
            hf_repo: repo.contains('/').then(|| repo.to_owned()),
            release: ReleaseState::Experimental,
            deprecation: None,
            gitlab: Vec::new(),
            arch: Some(arch),
            variants: vec![variant],
            gguf: Vec::new(),
            gated: false,
            serving: None,
            cloud: None,
            user_supplied: true,
        },
        config_path: config_path.to_path_buf(),
        read,
        estimated,
    })
}

/// Sliding-window layers: those `layer_types` marks (or chunked local attention), else
/// every layer when the config enables a window shorter than the context.
fn sliding_window(
    f: &Fields<'_>,
    layers: u32,
    context: u32,
    types: &[&str],
    read: &mut Vec<String>,
) -> Option<SlidingWindow> {
    if let Some(chunk) = f.u32("attention_chunk_size") {
        // Llama 4: three of every four layers attend within chunks; every fourth is global.
        let global = match f.get("no_rope_layers").and_then(Value::as_array) {
            Some(flags) if !flags.is_empty() => {
                flags.iter().filter(|v| v.as_u64() == Some(0)).count() as u32
            }
            _ => layers / 4,
        };
        let local = layers - global.min(layers);
        read.push(format!(
            "Chunked local attention: {local} layers keep at most {chunk} tokens (attention_chunk_size); {global} layers are global."
        ));
        return Some(SlidingWindow {
            tokens: chunk,
            layers: local,
            kv_heads: None,
            head_dim: None,
        });
    }
    let window = f.u32("sliding_window")?;
    let marked = types.iter().filter(|t| t.contains("sliding")).count() as u32;
    let layers = if marked > 0 {
        marked
    } else if !types.is_empty()
        || f.get("use_sliding_window").and_then(Value::as_bool) == Some(false)
        || window >= context
    {
        return None;
    } else {
        layers
    };
    read.push(format!(
        "Sliding window: {layers} layers keep at most {window} tokens."
    ));
    Some(SlidingWindow {
        tokens: window,
        layers,
        kv_heads: None,
        head_dim: None,
    })
}

/// `max_position_embeddings`, capped at `original_max_position_embeddings × factor` when a
/// YaRN, linear or dynamic RoPE scaling says the model was stretched less far than that.
fn native_context(f: &Fields<'_>, declared: u32, read: &mut Vec<String>) -> u32 {
    let scaling = f
        .get("rope_scaling")
        .or_else(|| f.get("rope_parameters"))
        .and_then(Value::as_object);
    let cap = scaling.and_then(|s| {
        let kind = s
            .get("rope_type")
            .or_else(|| s.get("type"))
            .and_then(Value::as_str)?;
        if !matches!(kind, "yarn" | "linear" | "dynamic") {
            return None;
        }
        let factor = s.get("factor").and_then(Value::as_f64)?;
        let original = s
            .get("original_max_position_embeddings")
            .and_then(Value::as_f64)?;
        Some(((original * factor) as u32, kind))
    });
    match cap {
        Some((cap, kind)) if cap < declared => {
            read.push(format!(
                "Native context: {cap} tokens ({kind} RoPE scaling of the original context; max_position_embeddings says {declared})."
            ));
            cap
        }
        _ => {
            read.push(format!(
                "Native context: {declared} tokens (max_position_embeddings)."
            ));
            declared
        }
    }
}

fn moe(f: &Fields<'_>) -> Option<Moe> {
    let experts = ["num_local_experts", "num_experts", "n_routed_experts"]
        .iter()
        .find_map(|k| f.u32(k))
        .filter(|e| *e > 1)?;
    let active = ["num_experts_per_tok", "experts_per_token", "moe_topk"]
        .iter()
        .find_map(|k| f.u32(k))
        .unwrap_or(1);
    Some(Moe { experts, active })
}

#[cfg(test)]
mod tests;
