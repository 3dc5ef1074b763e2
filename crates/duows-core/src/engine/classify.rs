//! What went wrong with an engine, from the lines it printed, with a one-line fix.

mod rules;

use serde::{Deserialize, Serialize};

/// A classified engine failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureKind {
    /// CUDA ran out of memory.
    OutOfMemory,
    /// `--max-model-len` is longer than the KV cache can hold.
    ContextTooLong {
        /// The longest context vLLM says would fit, when it says.
        largest: Option<u32>,
    },
    /// `--max-model-len` is longer than the model's own limit (`max_position_embeddings`).
    ContextAboveModelLimit {
        /// The model's limit, when vLLM names it.
        largest: Option<u32>,
    },
    /// Free GPU memory is below `total × gpu_memory_utilization`.
    FreeMemoryBelowUtilization,
    /// No memory left for the KV cache at all.
    NoCacheMemory,
    /// This engine version does not know the model's architecture.
    UnsupportedArchitecture,
    /// The tokenizer could not be loaded (often a Mistral model without `--tokenizer_mode mistral`).
    WrongTokenizerMode,
    /// The port is taken.
    PortInUse,
    /// The engine program is not installed.
    ExecutableMissing,
    /// No NVIDIA GPU or driver the engine can use (none at all, no `libcuda`, a driver
    /// too old for the engine's CUDA build, or a GPU the build has no kernels for).
    GpuNotUsable,
    /// Hugging Face refused the download: the repository is gated or private.
    ModelAccessDenied,
    /// No such model: the repository id or the local folder is wrong.
    ModelNotFound,
    /// The model file is missing or damaged.
    ModelFileUnreadable,
    /// None of the above; see the log.
    Exited,
}

/// A failure with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Failure {
    /// What it is.
    #[serde(flatten)]
    pub kind: FailureKind,
    /// The line that told, or the exit status.
    pub evidence: String,
    /// What to do next, in one line.
    pub fix: String,
}

/// For llama.cpp asked to offload `gpu_layers` layers: a warning when its log shows every
/// layer on the CPU. A build without CUDA, or a GPU library that failed to load, makes
/// llama.cpp fall back to the CPU silently, so this is checked once it is ready.
pub fn cpu_fallback_warning(gpu_layers: u32, lines: &[String]) -> Option<String> {
    if gpu_layers == 0 {
        return None;
    }
    let offloaded_none = lines.iter().any(|l| l.contains("offloaded 0/"));
    let devices: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split("assigned to device ").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or(""))
        .collect();
    let all_on_cpu = !devices.is_empty() && devices.iter().all(|d| *d == "CPU");
    (offloaded_none || all_on_cpu).then(|| {
        format!(
            "llama.cpp runs on the CPU: {gpu_layers} layers were to go to the GPU, but its log \
             shows none there (a build without CUDA, or the GPU library did not load). \
             Reinstall it with CUDA (CMAKE_ARGS=-DGGML_CUDA=on) or start it with 0 GPU layers."
        )
    })
}

/// Classifies the last lines an engine printed (oldest first) and its exit description.
///
/// The rules in [`rules::RULES`] are tried in order, each against every line; the first
/// rule that matches names the failure. When none does, the evidence is the first
/// exception the log shows (the root cause vLLM prints above its wrappers), else the exit.
pub fn classify(lines: &[String], exit: &str) -> Failure {
    for (needles, kind) in rules::RULES {
        if let Some(line) = lines
            .iter()
            .rev()
            .find(|l| needles.iter().any(|n| l.contains(n)))
        {
            let kind = kind(line);
            return Failure {
                fix: fix_for(&kind),
                kind,
                evidence: evidence(line),
            };
        }
    }
    Failure {
        kind: FailureKind::Exited,
        evidence: root_exception(lines).map_or_else(|| exit.to_owned(), evidence),
        fix: fix_for(&FailureKind::Exited),
    }
}

/// A log line as evidence: trimmed and bounded.
fn evidence(line: &str) -> String {
    line.trim().chars().take(400).collect()
}

/// The first line that raises an exception (`SomeError: …`) and is not a wrapper.
fn root_exception(lines: &[String]) -> Option<&str> {
    lines
        .iter()
        .map(String::as_str)
        .filter(|l| !rules::WRAPPERS.iter().any(|w| l.contains(w)))
        .find(|l| {
            l.split_whitespace().any(|word| {
                let name = word.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
                name.ends_with("Error:") || name.ends_with("Exception:")
            })
        })
}

/// The one-line fix for a kind.
pub fn fix_for(kind: &FailureKind) -> String {
    match kind {
        FailureKind::OutOfMemory => "CUDA ran out of memory: lower --max-model-len or --max-num-seqs, or use a quantized checkpoint or more GPUs.".into(),
        FailureKind::ContextTooLong { largest: Some(n) } => format!("The context is longer than the KV cache holds: start with --max-model-len {n} (vLLM's own estimate)."),
        FailureKind::ContextTooLong { largest: None } => "The context is longer than the KV cache holds: lower --max-model-len.".into(),
        FailureKind::ContextAboveModelLimit { largest: Some(n) } => format!("The context is longer than the model supports: start with --max-model-len {n} or less."),
        FailureKind::ContextAboveModelLimit { largest: None } => "The context is longer than the model supports: lower --max-model-len to the model's max_position_embeddings.".into(),
        FailureKind::FreeMemoryBelowUtilization => "Another program holds GPU memory: stop it (see the GPU's processes), or lower --gpu-memory-utilization.".into(),
        FailureKind::NoCacheMemory => "The weights leave no room for the KV cache: use a quantized checkpoint, more GPUs, or a higher --gpu-memory-utilization.".into(),
        FailureKind::UnsupportedArchitecture => "This engine version does not know the model: install the catalog's minimum vLLM version or newer.".into(),
        FailureKind::WrongTokenizerMode => "The tokenizer did not load: Mistral models need --tokenizer_mode mistral (and Mixtral a tokenizer.model.v3 copy).".into(),
        FailureKind::PortInUse => "The port is taken by another program: start again (a new free port is chosen) or stop that program.".into(),
        FailureKind::ExecutableMissing => "The engine is not installed: install it first (vLLM, or llama.cpp's server).".into(),
        FailureKind::GpuNotUsable => "No usable NVIDIA GPU or driver: vLLM needs one (check nvidia-smi, the driver against the engine's CUDA build, CUDA_VISIBLE_DEVICES and a container's GPU access), or run the model with llama.cpp on the CPU.".into(),
        FailureKind::ModelAccessDenied => "Hugging Face refused the download: accept the model's licence on its page and set HF_TOKEN to a token of that account.".into(),
        FailureKind::ModelNotFound => "No such model: check the repository id (private repositories need HF_TOKEN) or that the folder holds the model's config.json.".into(),
        FailureKind::ModelFileUnreadable => "The model file is missing or damaged: download it again or pick another file.".into(),
        FailureKind::Exited => "The engine stopped: read the end of its log.".into(),
    }
}

#[cfg(test)]
mod tests;
