//! `duows deployments`: models served elsewhere, as GitLab models them (platform, endpoint,
//! model, family, region, replicas), with their keys in the secret store or an environment
//! variable, never on the command line. A value GitLab would refuse is refused here with the field and,
//! where it is plain, the corrected value.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use duows_core::catalog::{family_from_gitlab, family_name, Catalog};
use duows_core::data_dir::DataDir;
use duows_core::secrets::{SecretName, SecretStore};
use duows_core::settings::{
    ExternalDeployment, Platform, Replica, Settings, SettingsError, SettingsStore,
};
use duows_gateway::Secret;

use crate::cli::{DeploymentAddArgs, DeploymentKeyArgs, DeploymentsCommand, PlatformArg};
use crate::text::table;

/// Where a key is read from when it is not typed at a prompt.
const KEY_ENV: &str = "DUOWS_DEPLOYMENT_KEY";

pub fn deployments(command: &DeploymentsCommand) -> anyhow::Result<ExitCode> {
    let data_dir = DataDir::from_env()?;
    data_dir.ensure()?;
    let store = SettingsStore::new(data_dir.settings_file());
    let secrets = SecretStore::open(&data_dir);
    match command {
        DeploymentsCommand::Add(args) => add(&store, &secrets, args)?,
        DeploymentsCommand::List(args) => list(&store, &secrets, args.json)?,
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
            secrets.remove(&SecretName::DeploymentKey(args.name.clone()))?;
            println!("Removed {} (and its stored key, if any).", args.name);
        }
        DeploymentsCommand::Test(args) => return test(&store, &secrets, &args.name),
        DeploymentsCommand::Key(args) => key(&store, &secrets, args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn add(
    store: &SettingsStore,
    secrets: &SecretStore,
    args: &DeploymentAddArgs,
) -> anyhow::Result<()> {
    let family = args
        .family
        .as_deref()
        .map(|text| {
            family_from_gitlab(text).with_context(|| {
                format!("--family: `{text}` is not one of GitLab's model families (e.g. MISTRAL, LLAMA3, CLAUDE_3, GPT, GENERAL)")
            })
        })
        .transpose()?;
    let deployment = ExternalDeployment {
        name: args.name.clone(),
        platform: match args.platform {
            PlatformArg::Openai => Platform::OpenaiCompatible,
            PlatformArg::Bedrock => Platform::Bedrock,
            PlatformArg::Azure => Platform::AzureOpenai,
        },
        endpoint: args.endpoint.trim().trim_end_matches('/').to_owned(),
        served_model: args.served_model.trim().to_owned(),
        family,
        region: args.region.clone(),
        api_key_env: args.api_key_env.clone(),
        api_key_stored: args.store_key,
        replicas: args
            .replicas
            .iter()
            .map(|endpoint| Replica {
                endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
                api_key_env: None,
            })
            .collect(),
    };
    // The key is asked for before anything is saved, so a cancelled prompt changes nothing.
    let key = args.store_key.then(read_key).transpose()?;
    edit(store, |settings| {
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
    if let Some(key) = key {
        secrets.set(&SecretName::DeploymentKey(deployment.name.clone()), &key)?;
    }
    let catalog = Catalog::builtin()?;
    println!(
        "Added {} ({}): {} in GitLab, family {}.",
        deployment.name,
        deployment.platform.label(),
        deployment.gitlab_identifier(),
        family_name(deployment.effective_family(catalog))
    );
    if !deployment.platform.through_gateway() {
        println!("GitLab's AI gateway calls it directly: `duows gitlab apply` registers it in GitLab as it is.");
    }
    if !deployment.replicas.is_empty() {
        println!(
            "Requests are spread over {} endpoints: {} and its replicas.",
            deployment.replicas.len() + 1,
            deployment.endpoint
        );
    }
    if let Some(var) = &args.api_key_env {
        if std::env::var_os(var).is_none() {
            println!("Note: {var} is not set here; set it where `duows serve` runs.");
        }
    }
    if args.store_key {
        println!("{}", secrets.info().description);
    }
    Ok(())
}

fn list(store: &SettingsStore, secrets: &SecretStore, json: bool) -> anyhow::Result<()> {
    let settings = store.load()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&settings.deployments)?);
        return Ok(());
    }
    if settings.deployments.is_empty() {
        println!("No external deployments. Engines this app runs are routed to without one.");
        return Ok(());
    }
    let catalog = Catalog::builtin()?;
    let mut rows: Vec<[String; 6]> = Vec::new();
    for d in &settings.deployments {
        let key = d.key_source().unwrap_or_else(|| "-".into());
        rows.push([
            d.name.clone(),
            d.platform.label().to_owned(),
            if d.endpoint.is_empty() {
                "-".into()
            } else {
                d.endpoint.clone()
            },
            d.gitlab_identifier(),
            family_name(d.effective_family(catalog)).to_owned(),
            key,
        ]);
        // Each replica on a line of its own under its deployment.
        for replica in &d.replicas {
            rows.push([
                String::new(),
                "replica".into(),
                format!("+ {}", replica.endpoint),
                String::new(),
                String::new(),
                replica
                    .key_source()
                    .unwrap_or_else(|| "the deployment's".into()),
            ]);
        }
    }
    print!(
        "{}",
        table(
            &["NAME", "PLATFORM", "ENDPOINT", "IN GITLAB", "FAMILY", "KEY"],
            &rows
        )
    );
    println!("{}", secrets.info().description);
    Ok(())
}

fn key(
    store: &SettingsStore,
    secrets: &SecretStore,
    args: &DeploymentKeyArgs,
) -> anyhow::Result<()> {
    let settings = store.load()?;
    anyhow::ensure!(
        settings.deployments.iter().any(|d| d.name == args.name),
        "there is no external deployment `{}` (see `duows deployments list`)",
        args.name
    );
    let name = SecretName::DeploymentKey(args.name.clone());
    if args.remove {
        secrets.remove(&name)?;
        edit(store, |settings| {
            for d in settings
                .deployments
                .iter_mut()
                .filter(|d| d.name == args.name)
            {
                d.api_key_stored = false;
            }
            Ok(())
        })?;
        println!("Forgot the key of {}.", args.name);
        return Ok(());
    }
    let key = read_key()?;
    // Marked first: a refused change (e.g. a Bedrock deployment, which takes no key) stores
    // nothing.
    edit(store, |settings| {
        for d in settings
            .deployments
            .iter_mut()
            .filter(|d| d.name == args.name)
        {
            d.api_key_stored = true;
            d.api_key_env = None;
        }
        Ok(())
    })?;
    secrets.set(&name, &key)?;
    println!(
        "Kept the key of {}. {}",
        args.name,
        secrets.info().description
    );
    Ok(())
}

/// The key from `DUOWS_DEPLOYMENT_KEY`, else asked for without echo.
fn read_key() -> anyhow::Result<Secret> {
    if let Some(key) = std::env::var(KEY_ENV).ok().filter(|k| !k.trim().is_empty()) {
        return Ok(Secret::new(key.trim()));
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "set {KEY_ENV} to the deployment's API key (it is never a command-line argument)"
    );
    let key = rpassword::prompt_password("The deployment's API key (not shown): ")
        .context("cannot read the key")?;
    anyhow::ensure!(
        !key.trim().is_empty(),
        "no key was given; nothing was changed"
    );
    Ok(Secret::new(key.trim()))
}

/// `duows deployments test NAME`: the same check the server makes; exit 1 unless it answers
/// with the model (Bedrock and Azure: says that GitLab's connection check tests them).
fn test(store: &SettingsStore, secrets: &SecretStore, name: &str) -> anyhow::Result<ExitCode> {
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
    let key = secrets.deployment_key(deployment);
    let check = runtime.block_on(check_external(&client, deployment, key.as_ref()));
    println!("{name}: {}", check.message);
    // Bedrock and Azure are GitLab's to check: not a failure here.
    Ok(match check.reachability {
        Reachability::Reachable | Reachability::CheckedByGitlab => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// Loads, changes, validates and saves the settings; a rejected change writes nothing, and
/// a value with a plain fix names it.
pub fn edit(
    store: &SettingsStore,
    change: impl FnOnce(&mut Settings) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut settings = store.load()?;
    change(&mut settings)?;
    store.save(&settings).map_err(|error| match &error {
        SettingsError::Invalid {
            field,
            fix: Some(fix),
            ..
        } => anyhow::anyhow!("{error}\n  fix: --{} {fix:?}", option_of(field)),
        _ => error.into(),
    })?;
    Ok(())
}

/// The command-line option for a settings field (`deployments.served_model` → `model`,
/// `deployments[0].replicas[1].endpoint` → `replica`).
fn option_of(field: &str) -> &str {
    if field.contains(".replicas[") {
        return "replica";
    }
    match field.rsplit('.').next().unwrap_or(field) {
        "served_model" => "model",
        other => other,
    }
}
