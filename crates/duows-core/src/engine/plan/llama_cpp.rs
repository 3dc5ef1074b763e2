//! The llama.cpp server's plan: llama-cpp-python's OpenAI-compatible server (from PyPI)
//! for one GGUF file, on CPUs or with layers offloaded to a GPU.

use std::path::{Path, PathBuf};

use super::{
    validate_served_name, EngineKind, EnvValue, EnvVar, LaunchPlan, PlanError, PlanOptions,
};

/// Options of a llama.cpp plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaCppOptions {
    /// The Python of the environment that holds `llama_cpp.server`.
    pub python: PathBuf,
    /// The GGUF file.
    pub gguf: PathBuf,
    /// Context length (`--n_ctx`).
    pub context: u32,
    /// Layers to offload to a GPU (0: CPU only).
    pub gpu_layers: u32,
}

/// The llama.cpp server plan for a GGUF file (llama-cpp-python's server, installed from
/// PyPI). Its key is read from the environment (`API_KEY`), never argv.
pub fn llama_cpp_plan(
    llama: &LlamaCppOptions,
    options: &PlanOptions,
) -> Result<LaunchPlan, PlanError> {
    let served_name = match &options.served_name {
        Some(name) => name.clone(),
        None => gguf_name(&llama.gguf),
    };
    validate_served_name(&served_name)?;
    if !(16..=1_048_576).contains(&llama.context) {
        return Err(PlanError {
            field: "context",
            reason: "must be between 16 and 1048576 tokens".into(),
        });
    }
    let args = vec![
        "-m".to_owned(),
        "llama_cpp.server".into(),
        "--model".into(),
        llama.gguf.display().to_string(),
        "--model_alias".into(),
        served_name.clone(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        options.port.to_string(),
        "--n_ctx".into(),
        llama.context.to_string(),
        "--n_gpu_layers".into(),
        llama.gpu_layers.to_string(),
    ];
    Ok(LaunchPlan {
        kind: EngineKind::LlamaCpp,
        served_name,
        program: llama.python.clone(),
        args,
        env: vec![EnvVar {
            name: "API_KEY".into(),
            value: EnvValue::Secret(options.api_key.clone()),
        }],
        working_dir: options.run_dir.clone(),
        prepare: Vec::new(),
        host: "127.0.0.1".into(),
        port: options.port,
        api_key: options.api_key.clone(),
        // No /health in llama-cpp-python's server; /v1/models answers once loaded.
        health_path: "/v1/models".into(),
        planned_memory: None,
        inherit_env: false,
    })
}

/// The file name without `.gguf`, in lower case, other characters as `-`: the default
/// served name.
fn gguf_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    if name.is_empty() {
        "gguf-model".into()
    } else {
        name
    }
}
