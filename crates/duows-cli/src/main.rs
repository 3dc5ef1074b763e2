//! `duows`: Duo Workstation without a window.
//!
//! `duows serve` serves the web UI and the control API (for GPU servers without a
//! display) and the OpenAI-compatible gateway; `duows hardware`, `recommend`, `fit`,
//! `catalog`, `engine`, `keys`, `deployments` and `features` answer people and scripts;
//! `gitlab` configures a GitLab instance from the feature routes.

mod ai_gateway_cmd;
mod cli;
mod cluster_cmd;
mod cluster_text;
mod config_cmd;
mod deployments_cmd;
mod doctor_cmd;
mod engine_cmd;
mod engine_fetch_cmd;
mod export_cmd;
mod gateway_cmd;
mod gitlab_cmd;
mod hardware_cmd;
mod models_cmd;
mod serve;
mod server_client;
mod text;
mod ui_assets;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, EngineCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hardware(args) => hardware_cmd::run(&args),
        Command::Recommend(args) => models_cmd::recommend(&args),
        Command::Fit(args) => models_cmd::fit(&args),
        Command::Catalog(args) => models_cmd::catalog(&args),
        Command::Engine(EngineCommand::Plan(args)) => engine_cmd::plan(&args),
        Command::Engine(EngineCommand::Install(args)) => engine_fetch_cmd::install(&args),
        Command::Engine(EngineCommand::Download(args)) => engine_fetch_cmd::download(&args),
        Command::Engine(EngineCommand::Start(args)) => engine_cmd::start(&args),
        Command::Engine(EngineCommand::Stop(args)) => engine_cmd::stop(&args),
        Command::Engine(EngineCommand::Retry(args)) => engine_cmd::retry(&args),
        Command::Engine(EngineCommand::Remove(args)) => engine_cmd::remove(&args),
        Command::Engine(EngineCommand::Status(args)) => engine_cmd::status(&args),
        Command::Engine(EngineCommand::Logs(args)) => engine_cmd::logs(&args),
        Command::Serve(args) => serve::run(args),
        Command::Doctor(args) => doctor_cmd::run(&args),
        Command::Config(command) => config_cmd::run(&command),
        Command::AiGateway(command) => ai_gateway_cmd::run(&command),
        Command::Keys(command) => gateway_cmd::keys(&command),
        Command::Deployments(command) => deployments_cmd::deployments(&command),
        Command::Features(command) => gateway_cmd::features(&command),
        Command::Gitlab(command) => gitlab_cmd::run(&command),
        Command::Export(cli::ExportCommand::Kubernetes(args)) => export_cmd::kubernetes(&args),
        Command::Cluster(command) => cluster_cmd::run(&command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("duows: {error:#}");
            ExitCode::from(2)
        }
    }
}
