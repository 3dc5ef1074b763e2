//! Command-line syntax of the gateway's configuration: `duows keys`, `duows deployments`,
//! `duows features`.

use clap::{Args, Subcommand, ValueEnum};

pub(super) const GATEWAY_EXAMPLES: &str = "\
Examples:
  duows keys create --name gitlab       a new key, printed alone on the last line (once)
  duows keys list                       ids, names, dates; never the keys
  duows keys revoke dwk_1a2b3c4d        stops that key within a second, also in a running server
  duows deployments add --name gpu-2 --endpoint http://gpu-2.internal:8000/v1 \\
      --served-model mistralai/Mistral-7B-Instruct-v0.3 --api-key-env GPU2_KEY
  duows deployments add --name claude --platform bedrock --region us-east-1 \
      --model us.anthropic.claude-3-5-sonnet-20241022-v2:0
  duows deployments add --name team-gpt --platform azure \
      --endpoint https://team.openai.azure.com --model gpt-4o --store-key
  duows features set duo_chat gpu-2     duo-chat (and Chat sub-features) go to gpu-2
  duows features rated gpu-2            gpu-2 for every feature its model is rated for
  duows features disable duo_chat_troubleshoot_job   GitLab's Disabled (unset is not off)
  duows features list                   every alias, its model, and GitLab's identifier
  duows deployments test gpu-2          GET <endpoint>/models with its key, now

Changes apply to a running `duows serve` at once, without a restart.";

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once, alone on the last line
    Create(KeyCreateArgs),
    /// List keys (never their secrets)
    List(JsonArgs),
    /// Revoke a key by id or name
    Revoke(KeyRevokeArgs),
}

#[derive(Debug, Args)]
pub struct KeyCreateArgs {
    /// Who or what uses the key (e.g. gitlab, alice-ide)
    #[arg(long)]
    pub name: String,
    /// Days until the key stops working (default: until revoked)
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct KeyRevokeArgs {
    /// The key's id (dwk_…) or name
    pub id: String,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DeploymentsCommand {
    /// Add a model served elsewhere: another OpenAI-compatible server (through this gateway),
    /// AWS Bedrock or Azure OpenAI (called by GitLab's AI gateway itself)
    Add(DeploymentAddArgs),
    /// The external deployments, their GitLab identifiers and where their keys are kept
    List(JsonArgs),
    /// Remove an external deployment (features routed to it lose their model)
    Remove(DeploymentNameArgs),
    /// Ask a deployment for its models now, with its key: reachable, key refused, model missing
    Test(DeploymentNameArgs),
    /// Keep a deployment's API key in the secret store (asked for without echo, or read from
    /// DUOWS_DEPLOYMENT_KEY), or forget it with --remove
    Key(DeploymentKeyArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlatformArg {
    /// An OpenAI-compatible server (vLLM, a hosted service): an endpoint ending in /v1
    Openai,
    /// AWS Bedrock: a model id or inference-profile ARN and the AI gateway's region
    Bedrock,
    /// Azure OpenAI: the resource's https address and a deployment name
    Azure,
}

#[derive(Debug, Args)]
pub struct DeploymentAddArgs {
    /// Its name, used by feature routing (and in GitLab for Bedrock and Azure)
    #[arg(long)]
    pub name: String,
    /// Where the model runs
    #[arg(long, value_enum, default_value = "openai")]
    pub platform: PlatformArg,
    /// OpenAI-compatible: base URL ending in /v1; Azure: https://<resource>.openai.azure.com
    #[arg(long, value_name = "URL", default_value = "")]
    pub endpoint: String,
    /// The served model name, the Bedrock model id or ARN, or the Azure deployment name
    #[arg(long, visible_alias = "model", value_name = "MODEL")]
    pub served_model: String,
    /// GitLab's model family (e.g. MISTRAL, LLAMA3, GENERAL); default: the catalog's for the
    /// model, else recognised from its name, else GENERAL
    #[arg(long, value_name = "FAMILY")]
    pub family: Option<String>,
    /// Bedrock: the AI gateway's AWS region (AWS_REGION), e.g. us-east-1
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Environment variable (of `duows serve`) holding the endpoint's API key
    #[arg(long, value_name = "VAR", conflicts_with = "store_key")]
    pub api_key_env: Option<String>,
    /// Keep its API key in the secret store: asked for without echo (or read from
    /// DUOWS_DEPLOYMENT_KEY); never a command-line argument
    #[arg(long)]
    pub store_key: bool,
    /// OpenAI-compatible: another endpoint serving the same model (base URL ending in /v1),
    /// sent the deployment's key; repeat for more. The gateway spreads requests over those
    /// that answer
    #[arg(long = "replica", value_name = "URL")]
    pub replicas: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DeploymentNameArgs {
    /// The deployment's name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DeploymentKeyArgs {
    /// The deployment's name
    pub name: String,
    /// Forget the stored key instead
    #[arg(long)]
    pub remove: bool,
}

#[derive(Debug, Subcommand)]
pub enum FeaturesCommand {
    /// Every Duo feature: its alias, its model, and the identifier to enter in GitLab
    List(JsonArgs),
    /// Route a feature to a deployment (an engine's name or an external deployment)
    Set(FeatureSetArgs),
    /// Remove a feature's route: it is unassigned, which does not turn it off in GitLab
    /// (Chat sub-features then use General Chat's)
    Unset(FeatureUnsetArgs),
    /// Turn a feature off (GitLab's Disabled): the only way to turn one off
    Disable(FeatureUnsetArgs),
    /// Turn a feature back on (unassigned until it is routed)
    Enable(FeatureUnsetArgs),
    /// Route a deployment to every feature its model is rated for (features turned off stay off)
    Rated(FeatureRatedArgs),
}

#[derive(Debug, Args)]
pub struct FeatureRatedArgs {
    /// Deployment name (an external deployment, or an engine named after its catalog model)
    pub deployment: String,
    /// The GitLab version whose ratings apply (default: the catalog's)
    #[arg(long, value_name = "VERSION")]
    pub gitlab_version: Option<String>,
}

#[derive(Debug, Args)]
pub struct FeatureSetArgs {
    /// Feature key, e.g. duo_chat, code_completions
    pub feature: String,
    /// Deployment name
    pub deployment: String,
}

#[derive(Debug, Args)]
pub struct FeatureUnsetArgs {
    /// Feature key
    pub feature: String,
}
