//! Command-line syntax of the gateway's configuration: `duows keys`, `duows deployments`,
//! `duows features`.

use clap::{Args, Subcommand};

pub(super) const GATEWAY_EXAMPLES: &str = "\
Examples:
  duows keys create --name gitlab       a new key, printed alone on the last line (once)
  duows keys list                       ids, names, dates; never the keys
  duows keys revoke dwk_1a2b3c4d        stops that key within a second, also in a running server
  duows deployments add --name gpu-2 --endpoint http://gpu-2.internal:8000/v1 \\
      --served-model mistralai/Mistral-7B-Instruct-v0.3 --api-key-env GPU2_KEY
  duows features set duo_chat gpu-2     duo-chat (and Chat sub-features) go to gpu-2
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
    /// Add an OpenAI-compatible endpoint (another vLLM, a hosted service)
    Add(DeploymentAddArgs),
    /// The external deployments
    List(JsonArgs),
    /// Remove an external deployment (features routed to it lose their model)
    Remove(DeploymentNameArgs),
    /// Ask a deployment for its models now, with its key: reachable, key refused, model missing
    Test(DeploymentNameArgs),
}

#[derive(Debug, Args)]
pub struct DeploymentAddArgs {
    /// Its name, used by clients and feature routing
    #[arg(long)]
    pub name: String,
    /// Base URL ending in /v1
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    /// The model name that endpoint serves
    #[arg(long, value_name = "MODEL")]
    pub served_model: String,
    /// Environment variable (of `duows serve`) holding the endpoint's API key
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeploymentNameArgs {
    /// The deployment's name
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum FeaturesCommand {
    /// Every Duo feature: its alias, its model, and the identifier to enter in GitLab
    List(JsonArgs),
    /// Route a feature to a deployment (an engine's name or an external deployment)
    Set(FeatureSetArgs),
    /// Remove a feature's route (Chat sub-features then use General Chat's)
    Unset(FeatureUnsetArgs),
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
