//! The syntax of `duows engine`: plan, install, download, and the commands that start,
//! watch and stop engines in a running `duows serve` (or desktop app).

use clap::{Args, Subcommand};

use super::{GpuSource, ServerArgs, EXAMPLES};

#[derive(Debug, Subcommand)]
pub enum EngineCommand {
    /// The launch plan for a model: the command line, environment (key hidden), files to prepare
    #[command(after_help = EXAMPLES)]
    Plan(EnginePlanArgs),
    /// Install vLLM or llama.cpp's server into the app's own environment (pip; resumable)
    Install(EngineInstallArgs),
    /// Download a catalog model's weights into the models folder (resumable, verified)
    Download(EngineDownloadArgs),
    /// Start an engine in the running `duows serve` (or desktop app): a catalog model or a GGUF file
    #[command(after_help = ENGINE_EXAMPLES)]
    Start(EngineStartArgs),
    /// Stop an engine (and every process it started)
    #[command(after_help = ENGINE_EXAMPLES)]
    Stop(EngineNameArgs),
    /// Start a failed or stopped engine again with the same settings (checked again first)
    #[command(after_help = ENGINE_EXAMPLES)]
    Retry(EngineWaitArgs),
    /// Forget a stopped or failed engine (its log file stays)
    #[command(after_help = ENGINE_EXAMPLES)]
    Remove(EngineNameArgs),
    /// The engines and their states
    #[command(after_help = ENGINE_EXAMPLES)]
    Status(ServerArgs),
    /// The last lines an engine printed
    #[command(after_help = ENGINE_EXAMPLES)]
    Logs(EngineLogsArgs),
}

const ENGINE_EXAMPLES: &str = "\
Examples (with `duows serve` running):
  duows engine start --model mistral-7b-instruct-v0.3
  duows engine start --gguf ~/models/tiny.gguf --name tiny --wait
  duows engine status
  duows engine logs tiny --lines 50
  duows engine stop tiny
  duows engine retry tiny --wait       the same start again, after the checks
  duows engine remove tiny

Engines run inside the server and stop with it. Off loopback, set DUOWS_TOKEN to the
token `duows serve` printed.";

#[derive(Debug, Args)]
pub struct EngineStartArgs {
    /// Catalog id or Hugging Face repo id (served by vLLM on this machine's GPUs)
    #[arg(long, conflicts_with = "gguf", required_unless_present = "gguf")]
    pub model: Option<String>,
    /// Checkpoint of --model (bf16, awq-int4, …)
    #[arg(long, requires = "model")]
    pub variant: Option<String>,
    /// A GGUF file (served by llama.cpp's server)
    #[arg(long, value_name = "FILE")]
    pub gguf: Option<String>,
    /// Name to serve the model under
    #[arg(long)]
    pub name: Option<String>,
    /// Context length in tokens
    #[arg(long, value_name = "TOKENS")]
    pub context: Option<u32>,
    /// The model's local folder (checked against the catalog; default: its download)
    #[arg(long, value_name = "DIR", conflicts_with = "gguf")]
    pub model_dir: Option<String>,
    /// Start although the memory estimate or the GPUs' free memory says it will not fit
    #[arg(long)]
    pub override_memory_estimate: bool,
    /// Wait until the engine is ready (or has failed), showing its states
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct EngineWaitArgs {
    /// The engine's name
    pub name: String,
    /// Wait until the engine is ready (or has failed), showing its states
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct EngineNameArgs {
    /// The engine's name
    pub name: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct EngineLogsArgs {
    /// The engine's name
    pub name: String,
    /// How many lines
    #[arg(long, default_value_t = 100)]
    pub lines: usize,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct EnginePlanArgs {
    /// Catalog id (mistral-7b-instruct-v0.3) or Hugging Face repo id
    #[arg(long)]
    pub model: String,
    /// Checkpoint (bf16, awq-int4, …; default: the model's own)
    #[arg(long)]
    pub variant: Option<String>,
    /// Name to serve the model under (default: its catalog id)
    #[arg(long)]
    pub name: Option<String>,
    /// Desired context length in tokens
    #[arg(long, value_name = "TOKENS")]
    pub context: Option<u32>,
    /// Use exactly this tensor-parallel size
    #[arg(long, value_name = "N")]
    pub tensor_parallel_size: Option<u32>,
    /// The model's local folder (checked against the catalog; default: its download)
    #[arg(long, value_name = "DIR")]
    pub model_dir: Option<String>,
    #[command(flatten)]
    pub source: GpuSource,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EngineDownloadArgs {
    /// Catalog id or Hugging Face repo id
    #[arg(long)]
    pub model: String,
    /// Checkpoint (default: the model's own)
    #[arg(long, conflicts_with = "gguf")]
    pub variant: Option<String>,
    /// The model's GGUF file of this quantization (e.g. Q4_K_M), for llama.cpp's server
    #[arg(long, value_name = "QUANT")]
    pub gguf: Option<String>,
    /// Branch, tag or commit
    #[arg(long, default_value = "main")]
    pub revision: String,
    /// Environment variable holding a Hugging Face token (default: HF_TOKEN, if set)
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
}

/// Engines `duows engine install` knows.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InstallableEngine {
    /// vLLM (NVIDIA GPUs), a pinned release, with PyTorch: about 12 GB
    Vllm,
    /// llama-cpp-python's server (CPU and small GPUs, GGUF); compiles llama.cpp
    LlamaCpp,
}

#[derive(Debug, Args)]
pub struct EngineInstallArgs {
    /// Which engine
    #[arg(value_enum)]
    pub engine: InstallableEngine,
    /// vLLM: the catalog model it must serve (installs the oldest release that serves it;
    /// default: the newest release, which serves every catalog model)
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,
}
