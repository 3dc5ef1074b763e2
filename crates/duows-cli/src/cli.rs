//! Command-line syntax: what `duows --help` shows.

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  duows hardware                        GPUs, driver and system of this machine
  duows hardware --json                 the same, as JSON for scripts
  duows hardware --gpus 2xA100-80GB     plan for a machine you do not have yet
  duows hardware --gpus fixtures/hardware/8xh100-80gb.json
  duows serve                           web UI and API on http://127.0.0.1:8765
  duows serve --host 0.0.0.0 --allow-host gpu-box.example.com
                                        reachable from the network, with an access token

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
    /// Serve the web UI and the control API
    #[command(after_help = EXAMPLES)]
    Serve(ServeArgs),
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
    #[command(flatten)]
    pub source: GpuSource,
}
