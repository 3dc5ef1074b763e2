//! `duows gitlab plan | apply | steps`: configures a GitLab from this data folder's feature
//! routes (or prints the values to type by hand). The GitLab token comes from `GITLAB_TOKEN`,
//! the secret store (`--remember-token` keeps one there)
//! or a prompt that does not echo; the gateway key GitLab is to send from
//! `DUOWS_GATEWAY_KEY`. Neither is ever printed.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use duows_api::gateway_service::keys_file;
use duows_core::catalog::Catalog;
use duows_core::data_dir::DataDir;
use duows_core::gitlab::{
    self, desired_for_settings, manual_steps, ApiShape, DesiredConfig, DesiredInputs, GitlabClient,
    GitlabError, GitlabUrl,
};
use duows_core::secrets::{SecretName, SecretStore};
use duows_core::settings::SettingsStore;
use duows_gateway::{KeyStore, Secret};

use crate::cli::{DuoSettingsArgs, GitlabArgs, GitlabCommand, GitlabStepsArgs};

/// Where the GitLab token is read from.
const TOKEN_ENV: &str = "GITLAB_TOKEN";
/// Where the gateway key GitLab is to send is read from.
const GATEWAY_KEY_ENV: &str = "DUOWS_GATEWAY_KEY";

pub fn run(command: &GitlabCommand) -> anyhow::Result<ExitCode> {
    match command {
        GitlabCommand::Steps(args) => steps(args),
        GitlabCommand::Plan(args) => {
            let (client, desired, keep) = prepare(args)?;
            let plan = runtime()?
                .block_on(gitlab::plan_against(&client, &desired))
                .map_err(cli_error)?;
            keep_token(keep)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else {
                println!("{plan}");
            }
            Ok(ExitCode::SUCCESS)
        }
        GitlabCommand::Apply(args) => {
            let (client, desired, keep) = prepare(&args.target)?;
            let runtime = runtime()?;
            let plan = runtime
                .block_on(gitlab::plan_against(&client, &desired))
                .map_err(cli_error)?;
            keep_token(keep)?;
            if !args.target.json {
                println!("{plan}\n");
            }
            if plan.change_count() > 0 && !args.yes && !confirmed()? {
                println!("Nothing was changed.");
                return Ok(ExitCode::from(1));
            }
            let report = runtime
                .block_on(gitlab::apply(
                    &client,
                    &plan,
                    gitlab::ModelKeys {
                        gateway: desired.model_api_key.as_ref(),
                        deployments: &deployment_keys()?,
                    },
                ))
                .map_err(cli_error)?;
            if args.target.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
            let all_reached = report
                .connection_checks
                .iter()
                .all(|c| c.success == Some(true));
            Ok(if all_reached {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// `duows gitlab steps`: needs no token and sends nothing.
fn steps(args: &GitlabStepsArgs) -> anyhow::Result<ExitCode> {
    let shape = args
        .gitlab
        .as_deref()
        .map(|text| {
            gitlab::model::parse_version(text)
                .and_then(ApiShape::for_version)
                .with_context(|| {
                    format!(
                        "--gitlab: `{text}` is not a GitLab version of 17.9 or newer, e.g. 18.6"
                    )
                })
        })
        .transpose()?;
    let inputs = inputs(&args.address, &args.duo, None)?;
    let desired = desired(inputs)?;
    let text = manual_steps(&desired, shape).to_string();
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("--out: cannot write {}", path.display()))?;
            println!("Wrote the steps to {}.", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan against GitLab at `url` for the gateway at `address` (the doctor's GitLab step):
/// the token from `GITLAB_TOKEN` or asked for; every failure in words.
pub fn plan_for_doctor(url: &str, address: &str) -> Result<gitlab::Plan, String> {
    let args = GitlabArgs {
        url: url.to_owned(),
        address: address.to_owned(),
        duo: DuoSettingsArgs {
            ai_gateway_url: None,
            timeout: None,
        },
        remember_token: false,
        json: false,
    };
    let (client, desired, _) = prepare(&args).map_err(|e| e.to_string())?;
    runtime()
        .map_err(|e| e.to_string())?
        .block_on(gitlab::plan_against(&client, &desired))
        .map_err(|e| e.to_string())
}

/// The client and the desired configuration; with `--remember-token`, also the token to
/// keep once GitLab has accepted it (see [`keep_token`]).
fn prepare(args: &GitlabArgs) -> anyhow::Result<(GitlabClient, DesiredConfig, Option<Secret>)> {
    let url = GitlabUrl::parse(&args.url).map_err(cli_error)?;
    let key = std::env::var(GATEWAY_KEY_ENV)
        .ok()
        .filter(|k| !k.is_empty())
        .map(Secret::new);
    let desired = desired(inputs(&args.address, &args.duo, key)?)?;
    let (token, given) = token()?;
    let keep = (args.remember_token && given).then(|| token.clone());
    let client = GitlabClient::new(url, token).map_err(cli_error)?;
    Ok((client, desired, keep))
}

/// Keeps a token GitLab accepted in the secret store.
fn keep_token(token: Option<Secret>) -> anyhow::Result<()> {
    let Some(token) = token else {
        return Ok(());
    };
    let secrets = SecretStore::open(&DataDir::from_env()?);
    secrets.set(&SecretName::GitlabToken, &token)?;
    eprintln!("The token is remembered. {}", secrets.info().description);
    Ok(())
}

fn inputs(
    address: &str,
    duo: &DuoSettingsArgs,
    key: Option<Secret>,
) -> anyhow::Result<DesiredInputs> {
    DesiredInputs::parse(address, duo.ai_gateway_url.as_deref(), duo.timeout, key)
        .map_err(cli_error)
}

/// The desired configuration from this data folder's settings and gateway keys.
fn desired(mut inputs: DesiredInputs) -> anyhow::Result<DesiredConfig> {
    let data_dir = DataDir::from_env()?;
    data_dir.ensure()?;
    let settings = SettingsStore::new(data_dir.settings_file()).load()?;
    let keys = KeyStore::open(keys_file(&data_dir))?;
    inputs.gateway_requires_key = keys.has_active_keys();
    if let Some(key) = &inputs.model_api_key {
        anyhow::ensure!(
            keys.verify(key.expose()).is_some(),
            "{GATEWAY_KEY_ENV} is not an active key of this gateway: create one (duows keys create --name gitlab) and set it to the key printed"
        );
    }
    // Engines are named after their catalog model unless renamed; a running server knows more.
    Ok(desired_for_settings(
        &settings,
        Catalog::builtin()?,
        &BTreeMap::new(),
        inputs,
    ))
}

/// The keys of this data folder's Bedrock and Azure deployments (their variables or the
/// secret store), for GitLab to send to them.
fn deployment_keys() -> anyhow::Result<BTreeMap<String, Secret>> {
    let data_dir = DataDir::from_env()?;
    let settings = SettingsStore::new(data_dir.settings_file()).load()?;
    Ok(SecretStore::open(&data_dir).deployment_keys(&settings))
}

/// The token from `GITLAB_TOKEN`, else the one remembered in the secret store, else asked
/// for without echo; and whether it was given now (not remembered).
fn token() -> anyhow::Result<(Secret, bool)> {
    if let Some(token) = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Ok((Secret::new(token.trim()), true));
    }
    let secrets = SecretStore::open(&DataDir::from_env()?);
    if let Some(token) = secrets.get(&SecretName::GitlabToken)? {
        return Ok((token, false));
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "set {TOKEN_ENV} to an administrator's personal access token with the api scope (it is never a command-line argument)"
    );
    let token =
        rpassword::prompt_password("GitLab token (an administrator's, api scope; not shown): ")
            .context("cannot read the token")?;
    Ok((Secret::new(token.trim()), true))
}

/// Asks before changing GitLab; without a terminal, `--yes` is needed.
fn confirmed() -> anyhow::Result<bool> {
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "nothing was changed: add --yes to apply without a terminal"
    );
    print!("Apply these changes to GitLab? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// A GitLab error as the command line says it: the option at fault instead of the API field.
fn cli_error(error: GitlabError) -> anyhow::Error {
    let option = match error.field() {
        Some("url") => "--url",
        Some("endpoint_address") => "--address",
        Some("ai_gateway_url") => "--ai-gateway-url",
        Some("ai_gateway_timeout_seconds") => "--timeout",
        Some("token") => TOKEN_ENV,
        Some("model_api_key") => GATEWAY_KEY_ENV,
        _ => return anyhow::anyhow!("{error}"),
    };
    match error {
        GitlabError::Invalid { reason, .. } => anyhow::anyhow!("{option}: {reason}"),
        other => anyhow::anyhow!("{other}"),
    }
}
