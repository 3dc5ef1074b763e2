//! Launch plans: everything needed to start an engine, which the user can see and copy.
//!
//! A plan names the program, its arguments, its environment, its working folder and the
//! files to prepare first. Secrets (the engine's API key) travel only in the environment —
//! argv is world-readable in /proc — and print as `<hidden>`.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::{Model, Variant};
use crate::fit::FitResult;

mod llama_cpp;
pub use llama_cpp::{llama_cpp_plan, LlamaCppOptions};

/// The two engines behind the launcher seam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// vLLM on NVIDIA GPUs (the engine GitLab documents).
    Vllm,
    /// llama.cpp's server (CPU and small GPUs, GGUF files).
    LlamaCpp,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Vllm => "vLLM",
            Self::LlamaCpp => "llama.cpp",
        })
    }
}

pub use duows_base::Secret;

/// One environment variable of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value (a secret shows as `<hidden>`).
    pub value: EnvValue,
}

/// A plain or secret value.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum EnvValue {
    /// Shown as it is.
    Plain(String),
    /// Shown as `<hidden>`.
    Secret(Secret),
}

/// A file step before the engine starts.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PrepareStep {
    /// Copy a file inside the model folder (GitLab: Mixtral's `tokenizer.model.v3`).
    Copy {
        /// Source.
        from: PathBuf,
        /// Destination.
        to: PathBuf,
    },
    /// Write a bundled file (a chat template).
    Write {
        /// Where.
        path: PathBuf,
        /// What.
        contents: String,
    },
}

/// The GPU memory an engine was planned to take: what the dashboard holds its real use against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlannedMemory {
    /// NVML indexes of the GPUs it runs on.
    pub gpus: Vec<u32>,
    /// Bytes it may take on each of them (vLLM's `total × --gpu-memory-utilization`).
    pub bytes_per_gpu: u64,
}

/// Everything needed to start one engine.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct LaunchPlan {
    /// Which engine.
    pub kind: EngineKind,
    /// The name the engine serves the model under (`data[].id` of `/v1/models`).
    pub served_name: String,
    /// The program to run.
    pub program: PathBuf,
    /// Its arguments (never a secret).
    pub args: Vec<String>,
    /// Its environment, on top of the app's.
    pub env: Vec<EnvVar>,
    /// Working folder.
    pub working_dir: PathBuf,
    /// Files to prepare first.
    pub prepare: Vec<PrepareStep>,
    /// Address it listens on (always loopback: clients go through the gateway).
    pub host: String,
    /// Port it listens on.
    pub port: u16,
    /// The API key clients must send.
    pub api_key: Secret,
    /// Path that answers 200 once the model is loaded (sent with the key).
    pub health_path: String,
    /// The GPU memory the fit planned for this engine (vLLM's budget on each GPU it uses);
    /// `None` when nothing was fitted (llama.cpp).
    pub planned_memory: Option<PlannedMemory>,
    /// Whether the engine inherits the app's environment. llama-cpp-python's server reads
    /// `PORT`, `HOST`, `MODEL`… from the environment *over* its arguments, so it gets only
    /// a small allow-list ([`PASSTHROUGH_ENV`]) plus the plan's variables.
    pub inherit_env: bool,
}

/// Variables an engine without the full environment still gets.
pub const PASSTHROUGH_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
];

impl LaunchPlan {
    /// The base URL of its OpenAI-compatible API.
    pub fn base_url(&self) -> String {
        format!("http://{}:{}/v1", self.host, self.port)
    }

    /// The command as a user would type it, secrets hidden.
    pub fn command_line(&self) -> String {
        let env = self.env.iter().map(|var| {
            let value = match &var.value {
                EnvValue::Plain(v) => shell_quote(v),
                EnvValue::Secret(_) => "<hidden>".to_owned(),
            };
            format!("{}={value}", var.name)
        });
        let words = std::iter::once(shell_quote(&self.program.display().to_string()))
            .chain(self.args.iter().map(|a| shell_quote(a)));
        env.chain(words).collect::<Vec<_>>().join(" ")
    }

    /// The secret and plain variables, for the child process only.
    pub fn env_pairs(&self) -> Vec<(String, String)> {
        self.env
            .iter()
            .map(|var| {
                let value = match &var.value {
                    EnvValue::Plain(v) => v.clone(),
                    EnvValue::Secret(s) => s.expose().to_owned(),
                };
                (var.name.clone(), value)
            })
            .collect()
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {reason}")]
pub struct PlanError {
    /// The input at fault.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// Where the engine runs and finds its files.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// The program (`vllm`, or the managed virtual environment's `bin/vllm`).
    pub program: PathBuf,
    /// The model folder, when the weights are local; else the repository id is passed and
    /// vLLM reads the Hugging Face cache under `hf_home`.
    pub model_dir: Option<PathBuf>,
    /// `HF_HOME` for the engine (the app's models folder).
    pub hf_home: PathBuf,
    /// Name to serve under (default: the catalog id).
    pub served_name: Option<String>,
    /// Port (pick a free one first).
    pub port: u16,
    /// Folder for the engine's run files (chat template).
    pub run_dir: PathBuf,
    /// The engine's API key.
    pub api_key: Secret,
}

/// The vLLM plan for a model that fits.
pub fn vllm_plan(
    model: &Model,
    variant: &Variant,
    fit: &FitResult,
    options: &PlanOptions,
) -> Result<LaunchPlan, PlanError> {
    let serving = model.serving.as_ref().ok_or_else(|| PlanError {
        field: "model",
        reason: format!("{} is a cloud model: nothing to launch", model.name),
    })?;
    let vllm = fit
        .vllm
        .as_ref()
        .filter(|_| fit.fits)
        .ok_or_else(|| PlanError {
            field: "model",
            reason: format!(
                "{} does not fit this hardware{}",
                model.name,
                fit.suggestions
                    .first()
                    .map(|s| format!(". {}", s.message))
                    .unwrap_or_default()
            ),
        })?;
    let served_name = options
        .served_name
        .clone()
        .unwrap_or_else(|| model.id.clone());
    validate_served_name(&served_name)?;
    let model_ref = options
        .model_dir
        .as_ref()
        .map_or_else(|| variant.repo.clone(), |dir| dir.display().to_string());
    let mut args = vec![
        "serve".to_owned(),
        model_ref.clone(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        options.port.to_string(),
        "--served-model-name".into(),
        served_name.clone(),
    ];
    args.extend(vllm.args.iter().cloned());
    // The format flags GitLab documents, only for the model's own checkpoint: a third-party
    // quantization ships its own (Hugging Face format) tokenizer and config. The parsers and
    // the like describe the model, so every checkpoint gets them.
    let own_checkpoint = variant.is_original(model);
    if own_checkpoint {
        args.extend(serving.flags.iter().cloned());
        if serving.tokenizer_is_model_dir {
            args.extend(["--tokenizer".to_owned(), model_ref.clone()]);
        }
    }
    args.extend(serving.every_checkpoint_flags.iter().cloned());
    let mut prepare = Vec::new();
    if own_checkpoint {
        let folder = options
            .model_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("<model folder>"));
        for step in &serving.prepare {
            prepare.push(PrepareStep::Copy {
                from: folder.join(&step.copy),
                to: folder.join(&step.to),
            });
        }
    }
    if let Some(template) = &serving.chat_template {
        let contents = chat_template(template).ok_or_else(|| PlanError {
            field: "model",
            reason: format!("the catalog names an unknown chat template `{template}`"),
        })?;
        let path = options.run_dir.join(format!("{template}.jinja"));
        args.extend(["--chat-template".to_owned(), path.display().to_string()]);
        prepare.push(PrepareStep::Write {
            path,
            contents: contents.to_owned(),
        });
    }
    let mut env = vec![
        // The indices are NVML's (PCI bus order); CUDA's own default order puts the fastest
        // GPU first, which on a mixed machine is another card than the fit checked.
        EnvVar {
            name: "CUDA_DEVICE_ORDER".into(),
            value: EnvValue::Plain("PCI_BUS_ID".into()),
        },
        EnvVar {
            name: "CUDA_VISIBLE_DEVICES".into(),
            value: EnvValue::Plain(vllm.cuda_visible_devices.clone()),
        },
        EnvVar {
            name: "HF_HOME".into(),
            value: EnvValue::Plain(options.hf_home.display().to_string()),
        },
        EnvVar {
            name: "VLLM_API_KEY".into(),
            value: EnvValue::Secret(options.api_key.clone()),
        },
    ];
    if options.model_dir.is_some() {
        env.push(EnvVar {
            name: "HF_HUB_OFFLINE".into(),
            value: EnvValue::Plain("1".into()),
        });
    }
    Ok(LaunchPlan {
        kind: EngineKind::Vllm,
        served_name,
        program: options.program.clone(),
        args,
        env,
        working_dir: options.run_dir.clone(),
        prepare,
        host: "127.0.0.1".into(),
        port: options.port,
        api_key: options.api_key.clone(),
        health_path: "/health".into(),
        planned_memory: fit.memory.map(|memory| PlannedMemory {
            gpus: fit.gpus.clone(),
            bytes_per_gpu: memory.budget_bytes,
        }),
        inherit_env: true,
    })
}

/// A served name is what GitLab puts after `custom_openai/`: keep it to safe characters.
fn validate_served_name(name: &str) -> Result<(), PlanError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(PlanError {
            field: "name",
            reason: "must be 1 to 128 letters, digits, '-', '_' or '.'".into(),
        })
    }
}

/// Chat templates the app ships, by catalog name.
pub fn chat_template(name: &str) -> Option<&'static str> {
    match name {
        // GitLab: wrap user turns in [INST] … [/INST] and put bos_token before the system message.
        "mistral-instruct" => Some(include_str!("../templates/mistral-instruct.jinja")),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
