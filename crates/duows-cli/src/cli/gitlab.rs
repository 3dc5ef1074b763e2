//! Command-line syntax of `duows gitlab`: plan, apply, and the steps to type by hand. The
//! GitLab token is never an argument (it would show in `ps` and shell history): it comes
//! from `GITLAB_TOKEN` or a prompt.

use clap::{Args, Subcommand};

pub(super) const GITLAB_EXAMPLES: &str = "\
Examples:
  export GITLAB_TOKEN=glpat-…           an administrator's token with the api scope (or be asked)
  duows gitlab plan --url https://gitlab.example.com --address gpu-box.example.com:8000
                                        what GitLab holds and what applying would change
  duows gitlab apply --url https://gitlab.example.com --address gpu-box.example.com:8000 \\
      --ai-gateway-url http://aigw.example.com:5052 --yes
  duows gitlab steps --address gpu-box.example.com:8000 --out gitlab-steps.txt
                                        the same values to type into GitLab's admin pages

One self-hosted model per routed alias (duo-workstation-<alias>, custom_openai/<alias>),
each feature pointed at its model. DUOWS_GATEWAY_KEY: a key of this gateway for GitLab to
send (`duows keys create --name gitlab`); the gateway needs one off this machine.";

#[derive(Debug, Subcommand)]
pub enum GitlabCommand {
    /// Read GitLab and print what applying would change (changes nothing)
    Plan(GitlabArgs),
    /// Apply the plan to GitLab, then ask GitLab's AI gateway to reach each model
    Apply(GitlabApplyArgs),
    /// The values to type into GitLab's admin pages, in GitLab's order (no token needed)
    Steps(GitlabStepsArgs),
}

/// What `plan` and `apply` need.
#[derive(Debug, Args)]
pub struct GitlabArgs {
    /// GitLab's address, e.g. https://gitlab.example.com
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Where GitLab reaches this machine's gateway: HOST[:PORT] (port 8000) or a URL; never localhost
    #[arg(long, value_name = "HOST[:PORT]")]
    pub address: String,
    #[command(flatten)]
    pub duo: DuoSettingsArgs,
    /// Keep the token in the secret store once GitLab accepted it (later runs need none)
    #[arg(long)]
    pub remember_token: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// The Duo settings to set.
#[derive(Debug, Args)]
pub struct DuoSettingsArgs {
    /// GitLab's AI gateway URL to set (left as it is when not given)
    #[arg(long, value_name = "URL")]
    pub ai_gateway_url: Option<String>,
    /// The AI gateway timeout in seconds, 60-600 (GitLab 19.0 and newer; older ones by hand)
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u32>,
}

#[derive(Debug, Args)]
pub struct GitlabApplyArgs {
    #[command(flatten)]
    pub target: GitlabArgs,
    /// Apply without asking
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct GitlabStepsArgs {
    /// Where GitLab reaches this machine's gateway: HOST[:PORT] (port 8000) or a URL
    #[arg(long, value_name = "HOST[:PORT]")]
    pub address: String,
    #[command(flatten)]
    pub duo: DuoSettingsArgs,
    /// Your GitLab version (e.g. 18.6), to leave out what it lacks
    #[arg(long, value_name = "VERSION")]
    pub gitlab: Option<String>,
    /// Write the steps to this text file instead of printing them
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}
