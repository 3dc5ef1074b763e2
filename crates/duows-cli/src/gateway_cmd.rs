//! `duows keys`, `duows deployments`, `duows features`: the gateway's keys, its external
//! deployments and feature routing. They edit the data folder's files directly (atomic
//! writes); a running `duows serve` notices within a second, with no restart.

use std::process::ExitCode;

use anyhow::Context;
use duows_api::gateway_service::keys_file;
use duows_core::catalog::Catalog;
use duows_core::data_dir::DataDir;
use duows_core::routing::feature_routes;
use duows_core::settings::{ExternalDeployment, Settings, SettingsStore};
use duows_gateway::KeyStore;

use crate::cli::{DeploymentsCommand, FeaturesCommand, KeysCommand};
use crate::text::table;

fn data_dir() -> anyhow::Result<DataDir> {
    let data_dir = DataDir::from_env()?;
    data_dir.ensure()?;
    Ok(data_dir)
}

pub fn keys(command: &KeysCommand) -> anyhow::Result<ExitCode> {
    let store = KeyStore::open(keys_file(&data_dir()?))?;
    match command {
        KeysCommand::Create(args) => {
            let expires_at = args
                .expires_in_days
                .map(|days| now() + u64::from(days) * 86_400);
            anyhow::ensure!(
                args.expires_in_days != Some(0),
                "--expires-in-days: must be at least 1"
            );
            let (info, secret) = store.create(&args.name, expires_at)?;
            println!("Created key {} ({}).", info.id, info.name);
            println!("It is shown only now: store it in GitLab (or your client) as the API key.");
            println!("{}", secret.expose());
        }
        KeysCommand::List(args) => {
            let keys = store.list()?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else if keys.is_empty() {
                println!("No keys. Create one with `duows keys create --name NAME`; the gateway then requires one.");
            } else {
                let now = now();
                let rows: Vec<[String; 5]> = keys
                    .iter()
                    .map(|k| {
                        let state = if k.revoked_at.is_some() {
                            "revoked"
                        } else if k.is_active(now) {
                            "active"
                        } else {
                            "expired"
                        };
                        [
                            k.id.clone(),
                            k.name.clone(),
                            state.to_owned(),
                            day(Some(k.created_at)),
                            day(k.expires_at),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(&["ID", "NAME", "STATE", "CREATED", "EXPIRES"], &rows)
                );
            }
        }
        KeysCommand::Revoke(args) => {
            let info = store.revoke(&args.id)?;
            println!("Revoked key {} ({}).", info.id, info.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn deployments(command: &DeploymentsCommand) -> anyhow::Result<ExitCode> {
    let store = SettingsStore::new(data_dir()?.settings_file());
    match command {
        DeploymentsCommand::Add(args) => {
            let deployment = ExternalDeployment {
                name: args.name.clone(),
                endpoint: args.endpoint.trim_end_matches('/').to_owned(),
                served_model: args.served_model.clone(),
                api_key_env: args.api_key_env.clone(),
            };
            edit(&store, |settings| {
                anyhow::ensure!(
                    !settings
                        .deployments
                        .iter()
                        .any(|d| d.name == deployment.name),
                    "--name: a deployment `{}` exists; remove it first",
                    deployment.name
                );
                settings.deployments.push(deployment.clone());
                Ok(())
            })?;
            println!(
                "Added {} → {} ({}).",
                args.name, args.endpoint, args.served_model
            );
            if let Some(var) = &args.api_key_env {
                if std::env::var_os(var).is_none() {
                    println!("Note: {var} is not set here; set it where `duows serve` runs.");
                }
            }
        }
        DeploymentsCommand::List(args) => {
            let settings = store.load()?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&settings.deployments)?);
            } else if settings.deployments.is_empty() {
                println!(
                    "No external deployments. Engines this app runs are routed to without one."
                );
            } else {
                let rows: Vec<[String; 4]> = settings
                    .deployments
                    .iter()
                    .map(|d| {
                        [
                            d.name.clone(),
                            d.endpoint.clone(),
                            d.served_model.clone(),
                            d.api_key_env.clone().unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(&["NAME", "ENDPOINT", "SERVED MODEL", "KEY FROM"], &rows)
                );
            }
        }
        DeploymentsCommand::Remove(args) => {
            edit(&store, |settings| {
                let before = settings.deployments.len();
                settings.deployments.retain(|d| d.name != args.name);
                anyhow::ensure!(
                    settings.deployments.len() < before,
                    "there is no external deployment `{}`",
                    args.name
                );
                Ok(())
            })?;
            println!("Removed {}.", args.name);
        }
        DeploymentsCommand::Test(args) => return test_deployment(&store, &args.name),
    }
    Ok(ExitCode::SUCCESS)
}

/// `duows deployments test NAME`: the same check the server makes; exit 1 unless it answers
/// with the model.
fn test_deployment(store: &SettingsStore, name: &str) -> anyhow::Result<ExitCode> {
    use duows_core::deployment_check::{check_external, Reachability};
    let settings = store.load()?;
    let deployment = settings
        .deployments
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "there is no external deployment `{name}` (see `duows deployments list`)"
            )
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let check = runtime.block_on(check_external(&client, deployment));
    println!("{name}: {}", check.message);
    Ok(if check.reachability == Reachability::Reachable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn features(command: &FeaturesCommand) -> anyhow::Result<ExitCode> {
    let store = SettingsStore::new(data_dir()?.settings_file());
    let catalog = Catalog::builtin()?;
    match command {
        FeaturesCommand::List(args) => {
            let routes = feature_routes(&store.load()?, catalog);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&routes)?);
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<[String; 4]> = routes
                .iter()
                .map(|r| {
                    let model = match (&r.target, &r.via) {
                        (Some(t), Some(via)) => format!("{t} (from {via})"),
                        (Some(t), None) => t.clone(),
                        (None, _) => "-".into(),
                    };
                    [
                        r.feature.clone(),
                        r.alias.clone(),
                        model,
                        r.gitlab_identifier.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["FEATURE", "ALIAS", "MODEL", "IN GITLAB"], &rows)
            );
        }
        FeaturesCommand::Set(args) => {
            let feature = catalog.feature(&args.feature).with_context(|| {
                format!(
                    "`{}` is not a Duo feature key (see `duows features list`)",
                    args.feature
                )
            })?;
            let key = feature.key.clone();
            edit(&store, |settings| {
                settings
                    .features
                    .insert(key.clone(), args.deployment.clone());
                Ok(())
            })?;
            println!(
                "{} ({}) → {}",
                feature.gateway_alias(),
                key,
                args.deployment
            );
        }
        FeaturesCommand::Unset(args) => {
            edit(&store, |settings| {
                anyhow::ensure!(
                    settings.features.remove(&args.feature).is_some(),
                    "`{}` has no route",
                    args.feature
                );
                Ok(())
            })?;
            println!("Removed the route of {}.", args.feature);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads, changes, validates and saves the settings; a rejected change writes nothing.
fn edit(
    store: &SettingsStore,
    change: impl FnOnce(&mut Settings) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut settings = store.load()?;
    change(&mut settings)?;
    store.save(&settings)?;
    Ok(())
}

fn now() -> u64 {
    duows_gateway::clock::now_secs()
}

/// A date as `YYYY-MM-DD` (UTC), `-` for none.
fn day(seconds: Option<u64>) -> String {
    seconds.map_or_else(
        || "-".into(),
        |s| {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(s);
            duows_gateway::clock::rfc3339(time)
                .chars()
                .take(10)
                .collect()
        },
    )
}
