//! `duows keys`, `duows features`: the gateway's keys and feature routing (external
//! deployments are `deployments_cmd`). They edit the data folder's files directly (atomic
//! writes); a running `duows serve` notices within a second, with no restart.

use std::process::ExitCode;

use anyhow::Context;
use duows_api::gateway_service::keys_file;
use duows_core::catalog::Catalog;
use duows_core::data_dir::DataDir;
use duows_core::routing::feature_routes;
use duows_core::settings::SettingsStore;
use duows_gateway::KeyStore;

use crate::cli::{FeaturesCommand, KeysCommand};
use crate::deployments_cmd::edit;
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
                        _ if r.disabled => "disabled".into(),
                        (Some(t), Some(via)) => format!("{t} (from {via})"),
                        (Some(t), None) => t.clone(),
                        (None, _) => "- (unassigned: stays on in GitLab)".into(),
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
            println!(
                "Removed the route of {}: it is unassigned, which does not turn it off in GitLab (`duows features disable {}` does).",
                args.feature, args.feature
            );
        }
        FeaturesCommand::Disable(args) => {
            let key = feature_key(catalog, &args.feature)?;
            edit(&store, |settings| {
                settings.features.remove(&key);
                settings.disabled_features.insert(key.clone());
                Ok(())
            })?;
            println!("{key} is turned off (GitLab's Disabled once applied).");
        }
        FeaturesCommand::Enable(args) => {
            let key = feature_key(catalog, &args.feature)?;
            edit(&store, |settings| {
                anyhow::ensure!(
                    settings.disabled_features.remove(&key),
                    "`{key}` is not turned off"
                );
                Ok(())
            })?;
            println!("{key} is on again, unassigned until it is routed.");
        }
        FeaturesCommand::Rated(args) => {
            let gitlab = match &args.gitlab_version {
                Some(text) => text
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--gitlab-version: {e}"))?,
                None => catalog.default_gitlab,
            };
            let mut assigned = Vec::new();
            edit(&store, |settings| {
                assigned = duows_core::routing::rated_for_target(
                    settings,
                    catalog,
                    &args.deployment,
                    &std::collections::BTreeMap::new(),
                    gitlab,
                )
                .map_err(anyhow::Error::msg)?;
                anyhow::ensure!(
                    !assigned.is_empty(),
                    "{} is rated for no feature in GitLab {gitlab} (that is not turned off)",
                    args.deployment
                );
                for feature in &assigned {
                    settings
                        .features
                        .insert(feature.clone(), args.deployment.clone());
                }
                Ok(())
            })?;
            println!(
                "{} now serves {} features it is rated for in GitLab {gitlab}: {}",
                args.deployment,
                assigned.len(),
                assigned.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn feature_key(catalog: &Catalog, key: &str) -> anyhow::Result<String> {
    catalog
        .feature(key)
        .filter(|f| f.key == key)
        .map(|f| f.key.clone())
        .with_context(|| format!("`{key}` is not a Duo feature key (see `duows features list`)"))
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
