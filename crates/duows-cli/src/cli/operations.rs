//! Command-line syntax of the operations around the chain: `duows doctor`, `duows ai-gateway`
//! (GitLab's AI gateway) and `duows config` (export and import).

use clap::{Args, Subcommand};

use super::ServerArgs;

/// `duows doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Also check GitLab at this address (the token from GITLAB_TOKEN, or asked for)
    #[arg(long, value_name = "URL", requires = "address")]
    pub gitlab_url: Option<String>,
    /// Where GitLab reaches this machine's gateway, for the GitLab check: HOST[:PORT] or a URL
    #[arg(long, value_name = "HOST[:PORT]", requires = "gitlab_url")]
    pub address: Option<String>,
}

/// `duows config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print (or write) the configuration: settings and the AI gateway's, no secrets
    Export {
        /// Write it to this file instead of printing it
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Replace the configuration with an exported one (checked whole first)
    Import {
        /// The file `duows config export` wrote
        file: std::path::PathBuf,
    },
}

/// `duows ai-gateway …`.
#[derive(Debug, Subcommand)]
pub enum AiGatewayCommand {
    /// Generate the keys (once), the environment, run.sh and compose.yaml
    Setup(AiGatewaySetupArgs),
    /// The configuration, the container and its health
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Start (or restart) the container with Docker or Podman
    Start,
    /// Stop and remove the container
    Stop,
}

/// `duows ai-gateway setup`.
#[derive(Debug, Args)]
pub struct AiGatewaySetupArgs {
    /// GitLab's address, e.g. https://gitlab.example.com
    #[arg(long, value_name = "URL")]
    pub gitlab_url: String,
    /// GitLab's version, e.g. 18.6 (the image tag follows it)
    #[arg(long, value_name = "X.Y")]
    pub gitlab_version: String,
    /// The AI gateway runs on another machine (ports published, not host networking)
    #[arg(long)]
    pub separate_host: bool,
    /// An offline (air-gapped) licence
    #[arg(long)]
    pub offline_license: bool,
    /// A CA bundle for a GitLab with a self-signed certificate
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
}
