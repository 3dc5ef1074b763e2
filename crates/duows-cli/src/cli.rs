//! Command-line syntax: what `duows --help` shows.

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};

mod cluster;
mod engine;
mod gateway;
mod gitlab;
mod operations;

pub use cluster::ClusterCommand;
pub use engine::{
    EngineCommand, EngineDownloadArgs, EngineInstallArgs, EngineLogsArgs, EngineNameArgs,
    EnginePlanArgs, EngineStartArgs, EngineWaitArgs, InstallableEngine,
};
use gateway::GATEWAY_EXAMPLES;
pub use gateway::{
    DeploymentAddArgs, DeploymentKeyArgs, DeploymentsCommand, FeaturesCommand, KeysCommand,
    PlatformArg,
};
use gitlab::GITLAB_EXAMPLES;
pub use gitlab::{DuoSettingsArgs, GitlabArgs, GitlabCommand, GitlabStepsArgs};
pub use operations::{AiGatewayCommand, AiGatewaySetupArgs, ConfigCommand, DoctorArgs};

const EXAMPLES: &str = "\
Examples:
  duows hardware                        GPUs, driver and system of this machine
  duows hardware --json                 the same, as JSON for scripts
  duows hardware --gpus 2xA100-80GB     plan for a machine you do not have yet
  duows hardware --gpus fixtures/hardware/8xh100-80gb.json
  duows recommend --gpus 1xA100-40GB   which approved models fit, per Duo feature
  duows recommend --feature code_completions --context 16384
  duows fit --model gpt-oss-120b --gpus 1xH100-80GB --context 32768
  duows fit --config ./my-model --gpus 1xL40S   a model not in the catalog, from its config.json
  duows fit --model zai-org/GLM-5.1-FP8 --nodes 2 --gpus 8xH100-80GB
                                        one model across two nodes: the split, the commands
  duows export kubernetes --model gpt-oss-120b --gpus 1xH100-80GB --out k8s/
                                        Kubernetes manifests for the model and the gateway
  duows catalog                         the models, their ratings and the catalog version
  duows engine plan --model mistral-7b-instruct-v0.3 --gpus 1xA100-40GB
                                        the vLLM command line, key hidden
  duows serve                           web UI and API on http://127.0.0.1:8765
  duows serve --host 0.0.0.0 --allow-host gpu-box.example.com
                                        reachable from the network, with an access token
  duows serve --gateway-host 0.0.0.0    the gateway (port 8000) for GitLab on other machines
                                        (needs a key: duows keys create --name gitlab)
  duows gitlab plan --url https://gitlab.example.com --address gpu-box.example.com:8000
                                        what configuring GitLab would change (GITLAB_TOKEN)
  duows gitlab apply … --yes            apply it; duows gitlab steps --address … to do it by hand

Hardware specs: COUNTxMODEL joined with +, e.g. 1xRTX4090, 2xL40S, 8xH100-80GB,
1xRTX4090+1xRTX3090, or none. Data folder: $DUOWS_HOME, else $XDG_DATA_HOME/duo-workstation.";

/// Duo Workstation: a self-hosted GitLab Duo backend on your NVIDIA GPUs.
#[derive(Debug, Parser)]
#[command(name = "duows", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the GPUs, driver and system (a table, or JSON)
    #[command(after_help = EXAMPLES)]
    Hardware(HardwareArgs),
    /// Which GitLab-approved models fit, ranked per Duo feature
    #[command(after_help = EXAMPLES)]
    Recommend(RecommendArgs),
    /// One model on the hardware in detail: memory, context, concurrency, vLLM settings
    #[command(after_help = EXAMPLES)]
    Fit(FitArgs),
    /// The model catalog: models, ratings per GitLab version, checkpoints
    Catalog(CatalogArgs),
    /// Inference engines (vLLM, llama.cpp): launch plans
    #[command(subcommand)]
    Engine(EngineCommand),
    /// Serve the web UI, the control API and the OpenAI-compatible gateway
    #[command(after_help = EXAMPLES)]
    Serve(ServeArgs),
    /// API keys of the gateway: create (shown once), list, revoke
    #[command(subcommand, after_help = GATEWAY_EXAMPLES)]
    Keys(KeysCommand),
    /// External OpenAI-compatible endpoints the gateway routes to
    #[command(subcommand, after_help = GATEWAY_EXAMPLES)]
    Deployments(DeploymentsCommand),
    /// Which model serves each Duo feature (the gateway's aliases such as duo-chat)
    #[command(subcommand, after_help = GATEWAY_EXAMPLES)]
    Features(FeaturesCommand),
    /// Check the whole chain (driver, engines, deployments, gateway, GitLab), each step with its fix
    Doctor(DoctorArgs),
    /// GitLab's AI gateway: its keys and files for your GitLab version, its container
    #[command(subcommand)]
    AiGateway(AiGatewayCommand),
    /// The whole configuration without secrets: export it, import it on another machine
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Configure GitLab Duo Self-Hosted from the feature routes: plan, apply, or steps by hand
    #[command(subcommand, after_help = GITLAB_EXAMPLES)]
    Gitlab(GitlabCommand),
    /// The plan for other platforms: Kubernetes manifests of a model and the gateway
    #[command(subcommand)]
    Export(ExportCommand),
    /// Several machines, one product: join tokens, nodes, Ray across them
    #[command(subcommand, after_help = cluster::CLUSTER_EXAMPLES)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Manifests: a Deployment and Service (one node) or a LeaderWorkerSet (several), and the gateway
    #[command(after_help = EXAMPLES)]
    Kubernetes(KubernetesArgs),
}

#[derive(Debug, Args)]
pub struct KubernetesArgs {
    /// Catalog id or Hugging Face repo id of the model or a checkpoint
    #[arg(long)]
    pub model: String,
    /// Checkpoint (bf16, fp8, …; default: the model's own)
    #[arg(long)]
    pub variant: Option<String>,
    #[command(flatten)]
    pub source: GpuSource,
    /// Identical nodes with the GPUs of --gpus each (a LeaderWorkerSet across them)
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
    /// Desired context length in tokens
    #[arg(long, value_name = "TOKENS")]
    pub context: Option<u32>,
    /// Write one file per manifest into this folder (default: one YAML stream on stdout)
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// The namespace of every object
    #[arg(long)]
    pub namespace: Option<String>,
    /// The gateway's image (an image with duows on its PATH)
    #[arg(long, value_name = "IMAGE")]
    pub gateway_image: Option<String>,
    /// The pods' network interface, for NCCL and Gloo across nodes (default eth0)
    #[arg(long, value_name = "NAME")]
    pub interface: Option<String>,
    /// The volume claims' storage class (default: the cluster's)
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
}

/// Options shared by `recommend` and `fit`.
#[derive(Debug, Clone, Args)]
pub struct FitOptions {
    /// Desired context length in tokens (default 32768 or the model's own, shortened to fit)
    #[arg(long, value_name = "TOKENS")]
    pub context: Option<u32>,
    /// Requests that must fit at once at that context
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// vLLM's --gpu-memory-utilization (default 0.95, lowered to what is free)
    #[arg(long, value_name = "FRACTION")]
    pub gpu_memory_utilization: Option<f64>,
    /// The vLLM version whose memory arithmetic to use (default: the one installed for the model)
    #[arg(long, value_name = "VERSION")]
    pub vllm_version: Option<String>,
    /// vLLM's --max-num-seqs (default: the requests that fit, at most 256)
    #[arg(long, value_name = "N")]
    pub max_num_seqs: Option<u32>,
    /// vLLM's --max-num-batched-tokens (default: vLLM's, 8192 on large GPUs, else 2048)
    #[arg(long, value_name = "TOKENS")]
    pub max_num_batched_tokens: Option<u32>,
    /// Override: CUDA graphs per GPU in GiB (default: modelled; 0 with --enforce-eager)
    #[arg(long, value_name = "GIB")]
    pub cuda_graphs_gib: Option<f64>,
    /// Override: the activation peak per GPU in GiB (default: modelled)
    #[arg(long, value_name = "GIB")]
    pub activation_gib: Option<f64>,
    /// Override: memory outside PyTorch per GPU in GiB (default: by parallelism)
    #[arg(long, value_name = "GIB")]
    pub non_torch_gib: Option<f64>,
    /// Bytes per KV-cache element: 2 (bf16, default) or 1 (--kv-cache-dtype fp8)
    #[arg(long, value_name = "BYTES")]
    pub kv_bytes: Option<u32>,
    /// Plan over this many identical nodes with the GPUs of --gpus each (vLLM on a Ray cluster)
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
    /// Decoder layers per pipeline stage across nodes, e.g. 41,37 (VLLM_PP_LAYER_PARTITION)
    #[arg(long, value_name = "N,N,…", value_delimiter = ',')]
    pub layer_partition: Option<Vec<u32>>,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub source: GpuSource,
    /// Only this Duo feature (e.g. code_completions, duo_chat)
    #[arg(long, value_name = "KEY")]
    pub feature: Option<String>,
    /// Your GitLab version, for GitLab's ratings in it (e.g. 18.4)
    #[arg(long, value_name = "VERSION")]
    pub gitlab: Option<String>,
    #[command(flatten)]
    pub options: FitOptions,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Catalog id (gpt-oss-120b) or Hugging Face repo id of the model or a checkpoint (zai-org/GLM-5.1-FP8)
    #[arg(long, required_unless_present = "config", conflicts_with = "config")]
    pub model: Option<String>,
    /// A model not in the catalog: its config.json, or a folder (or downloaded snapshot) holding one
    #[arg(long, value_name = "PATH")]
    pub config: Option<String>,
    /// Checkpoint (bf16, awq-int4, …; default: the model's own)
    #[arg(long)]
    pub variant: Option<String>,
    /// Use exactly this tensor-parallel size
    #[arg(long, value_name = "N")]
    pub tensor_parallel_size: Option<u32>,
    #[command(flatten)]
    pub source: GpuSource,
    #[command(flatten)]
    pub options: FitOptions,
    #[command(flatten)]
    pub network: ClusterArgs,
}

/// How the nodes of a cluster reach each other (for the command lines across nodes).
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// The network interface the nodes reach each other on (ib0, eth0): NCCL_SOCKET_IFNAME, GLOO_SOCKET_IFNAME
    #[arg(long, value_name = "NAME")]
    pub interface: Option<String>,
    /// Each node's address on that interface, the head first (repeat, or comma-separated)
    #[arg(long, value_name = "IP", value_delimiter = ',')]
    pub node_address: Vec<IpAddr>,
    /// Ray's port on the head
    #[arg(long, value_name = "PORT", default_value_t = 6379)]
    pub ray_port: u16,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

/// Where the GPUs come from.
#[derive(Debug, Clone, Args)]
pub struct GpuSource {
    /// Describe the GPUs instead of detecting them: a spec (2xA100-80GB) or a JSON file
    #[arg(long, value_name = "SPEC|FILE")]
    pub gpus: Option<String>,
}

#[derive(Debug, Args)]
pub struct HardwareArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub source: GpuSource,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback requires the printed access token
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Also accept this host name in requests (a DNS name of this machine, a proxy); repeatable
    #[arg(long, value_name = "NAME")]
    pub allow_host: Vec<String>,
    /// Address the OpenAI-compatible gateway listens on for this run; off loopback it needs
    /// an API key [default: the settings' network switch: 0.0.0.0 when open, else 127.0.0.1]
    #[arg(long)]
    pub gateway_host: Option<IpAddr>,
    /// Port of the gateway (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub gateway_port: u16,
    /// Do not run the gateway
    #[arg(long)]
    pub no_gateway: bool,
    #[command(flatten)]
    pub source: GpuSource,
}

/// Which server to talk to.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The running server's address
    #[arg(long, default_value = "http://127.0.0.1:8765", value_name = "URL")]
    pub server: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}
