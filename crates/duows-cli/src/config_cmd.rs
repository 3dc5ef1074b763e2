//! `duows config export [--out FILE]` and `duows config import FILE`: the whole configuration
//! without secrets, to move it to another machine or keep a copy. An import is checked whole
//! and writes nothing when any field is wrong.

use std::process::ExitCode;

use anyhow::Context;
use duows_api::calls::{self, ConfigExport, ConfigImportParams};

use crate::cli::{ConfigCommand, GpuSource};

pub fn run(command: &ConfigCommand) -> anyhow::Result<ExitCode> {
    let state = crate::models_cmd::state(&GpuSource { gpus: None })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        ConfigCommand::Export { out } => {
            let export = runtime.block_on(calls::config_export(&state))?;
            let text = serde_json::to_string_pretty(&export)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(path, &text)
                        .with_context(|| format!("--out: cannot write {}", path.display()))?;
                    println!(
                        "Wrote the configuration to {} (no secrets).",
                        path.display()
                    );
                    for secret in &export.secrets_not_included {
                        println!("  not included: {secret}");
                    }
                }
                None => print!("{text}"),
            }
        }
        ConfigCommand::Import { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let export: ConfigExport = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a configuration written by `duows config export`",
                    file.display()
                )
            })?;
            let imported = runtime
                .block_on(calls::config_import(&state, ConfigImportParams { export }))
                .map_err(|e| match &e.field {
                    Some(field) => anyhow::anyhow!("{field}: {}", e.message),
                    None => anyhow::anyhow!("{}", e.message),
                })?;
            println!(
                "Imported: {} deployments, {} feature routes{}.",
                imported.settings.deployments.len(),
                imported.settings.features.len(),
                if imported.ai_gateway.is_some() {
                    ", GitLab's AI gateway (its keys made here)"
                } else {
                    ""
                }
            );
            for secret in &imported.secrets_not_included {
                println!("  set on this machine: {secret}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
