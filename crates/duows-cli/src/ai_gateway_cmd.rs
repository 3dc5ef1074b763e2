//! `duows ai-gateway setup|status|start|stop`: GitLab's AI gateway beside this app — its keys
//! and files generated for the GitLab version, its container through Docker or Podman.

use std::process::ExitCode;

use duows_api::{calls, ApiState};
use duows_core::aigw::{AigwConfig, ContainerState, Placement};

use crate::cli::{AiGatewayCommand, AiGatewaySetupArgs, GpuSource};

fn block<T>(
    future: impl std::future::Future<Output = Result<T, duows_api::ApiError>>,
) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(future).map_err(|e| match &e.field {
        Some(field) => anyhow::anyhow!(
            "--{}: {}",
            field.trim_start_matches("config.").replace('_', "-"),
            e.message
        ),
        None => anyhow::anyhow!("{}", e.message),
    })
}

pub fn run(command: &AiGatewayCommand) -> anyhow::Result<ExitCode> {
    let state = crate::models_cmd::state(&GpuSource { gpus: None })?;
    match command {
        AiGatewayCommand::Setup(args) => setup(&state, args),
        AiGatewayCommand::Status { json } => {
            let status = block(calls::ai_gateway_status(&state))?;
            print_status(&status, *json)
        }
        AiGatewayCommand::Start => {
            let status = block(calls::ai_gateway_start(&state))?;
            print_status(&status, false)
        }
        AiGatewayCommand::Stop => {
            let status = block(calls::ai_gateway_stop(&state))?;
            print_status(&status, false)
        }
    }
}

fn setup(state: &ApiState, args: &AiGatewaySetupArgs) -> anyhow::Result<ExitCode> {
    let config = AigwConfig {
        gitlab_url: args.gitlab_url.clone(),
        gitlab_version: args.gitlab_version.clone(),
        placement: if args.separate_host {
            Placement::SeparateHost
        } else {
            Placement::SameHost
        },
        offline_license: args.offline_license,
        ca_bundle: args.ca_bundle.clone(),
    };
    let files = block(calls::ai_gateway_setup(
        state,
        calls::AiGatewaySetupParams { config },
    ))?;
    println!("GitLab's AI gateway, image {}", files.image);
    println!("  settings       {}", files.env_file.display());
    println!("  keys (0600)    {}", files.keys_env_file.display());
    println!("  docker run     {}", files.run_script.display());
    println!("  compose        {}", files.compose_file.display());
    match &files.url_for_gitlab {
        Some(url) => println!("\nStart it with `duows ai-gateway start`, then set GitLab's AI gateway URL (Admin > GitLab Duo) to {url}"),
        None => println!("\nCopy the folder to the AI gateway's machine and run run.sh there (or `docker compose up -d`); then set GitLab's AI gateway URL to http://<that machine>:5052"),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(status: &calls::AiGatewayStatus, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(status)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &status.config {
        Some(c) => println!("AI gateway for {} (GitLab {}), files in {}", c.gitlab_url, c.gitlab_version, status.dir.display()),
        None => println!("The AI gateway is not set up: `duows ai-gateway setup --gitlab-url URL --gitlab-version X.Y`"),
    }
    match &status.container {
        ContainerState::NoRuntime { fix } => println!("container: no Docker or Podman. {fix}"),
        ContainerState::Absent => println!("container: not created"),
        ContainerState::Present { status: s } => println!(
            "container: {s} ({})",
            status.runtime.as_deref().unwrap_or("?")
        ),
    }
    if let Some(health) = &status.health {
        println!(
            "health: {} {}",
            status.url.as_deref().unwrap_or(""),
            health.message
        );
    }
    Ok(if status.health.as_ref().is_some_and(|h| !h.healthy) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
