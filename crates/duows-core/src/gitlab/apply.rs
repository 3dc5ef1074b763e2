//! Applying a plan, in GitLab's order: create or update the models, point the features at
//! them (one `aiFeatureSettingUpdate` per provider and model), set the Duo settings, then ask
//! GitLab's AI gateway to reach each model. The first refusal stops it: the error says which
//! step and what was applied before; nothing after it is sent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use duows_base::Secret;

use super::client::GitlabClient;
use super::documents::{self, Document, ModelFields};
use super::model::FeatureProvider;
use super::plan::{FeatureAction, ModelAction, Plan, PlannedDuoSettings, PlannedModel};
use super::read::fail_on_errors;
use super::GitlabError;

/// What GitLab's AI gateway answered for one model, as GitLab wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ConnectionCheck {
    /// The model's name in GitLab.
    pub model: String,
    /// Whether the AI gateway reached the model (`null`: GitLab did not say).
    pub success: Option<bool>,
    /// GitLab's message.
    pub message: Option<String>,
    /// GitLab's list of errors.
    pub errors: Vec<String>,
    /// The probe's name.
    pub probe: Option<String>,
    /// GitLab's details, as JSON text.
    pub details: Option<String>,
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ApplyReport {
    /// The plan that was applied.
    pub plan: Plan,
    /// Each change sent and accepted, in order, in words.
    pub applied: Vec<String>,
    /// Each model's connection check.
    pub connection_checks: Vec<ConnectionCheck>,
}

/// One step of an apply.
enum Step<'a> {
    Model(&'a PlannedModel),
    Features {
        /// The model, or none to turn the features off.
        model: Option<&'a str>,
        features: Vec<&'a str>,
    },
    DuoSettings(&'a PlannedDuoSettings),
    Check(&'a PlannedModel),
}

impl Step<'_> {
    fn describe(&self) -> String {
        match self {
            Self::Model(m) => match &m.action {
                ModelAction::Create => format!("create model {}", m.name),
                _ => format!("update model {}", m.name),
            },
            Self::Features {
                model: Some(model),
                features,
            } => format!("set {} to {model}", features.join(", ")),
            Self::Features {
                model: None,
                features,
            } => format!("turn off {}", features.join(", ")),
            Self::DuoSettings(_) => "set the Duo settings".into(),
            Self::Check(m) => format!("connection check of {}", m.name),
        }
    }
}

/// The keys GitLab is given for the models: the gateway key, and the own key of each Bedrock
/// or Azure deployment that has one (by deployment name).
#[derive(Debug, Clone, Copy)]
pub struct ModelKeys<'a> {
    /// The gateway key, for the models at the gateway's address.
    pub gateway: Option<&'a Secret>,
    /// Deployment name → its key.
    pub deployments: &'a BTreeMap<String, Secret>,
}

impl<'a> ModelKeys<'a> {
    /// The key for `model`.
    fn of(&self, model: &PlannedModel) -> Option<&'a Secret> {
        match &model.key_of_deployment {
            Some(name) => self.deployments.get(name),
            None if model.provider == "API" && model.identifier.starts_with("custom_openai/") => {
                self.gateway
            }
            None => None,
        }
    }
}

/// Applies `plan` to the GitLab of `client` with `keys` (written where the plan says so, and
/// used by the connection checks).
pub async fn apply(
    client: &GitlabClient,
    plan: &Plan,
    keys: ModelKeys<'_>,
) -> Result<ApplyReport, GitlabError> {
    let steps = steps_of(plan);
    let total = steps.len();
    let mut ids: BTreeMap<&str, String> = plan
        .models
        .iter()
        .filter_map(|m| match &m.action {
            ModelAction::Update { id, .. } | ModelAction::Keep { id } => {
                Some((m.name.as_str(), id.clone()))
            }
            ModelAction::Create => None,
        })
        .collect();
    let mut applied = Vec::new();
    let mut checks = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let failed = |reason: String, applied: &[String]| GitlabError::StepFailed {
            step: step.describe(),
            number: index + 1,
            total,
            reason,
            done: applied.to_vec(),
        };
        let outcome = run_step(client, plan, step, keys, &ids).await;
        match outcome {
            Ok(Outcome::Model { name, id }) => {
                ids.insert(name, id);
            }
            Ok(Outcome::Check(check)) => checks.push(check),
            Ok(Outcome::Done) => {}
            Err(StepError::Refused(errors)) => {
                return Err(failed(
                    format!("GitLab answered: {}", errors.join("; ")),
                    &applied,
                ))
            }
            Err(StepError::Failed(error)) => return Err(failed(error.to_string(), &applied)),
        }
        if !matches!(step, Step::Check(_)) {
            applied.push(step.describe());
        }
    }
    Ok(ApplyReport {
        plan: plan.clone(),
        applied,
        connection_checks: checks,
    })
}

fn steps_of(plan: &Plan) -> Vec<Step<'_>> {
    let mut steps: Vec<Step<'_>> = plan
        .models
        .iter()
        .filter(|m| !matches!(m.action, ModelAction::Keep { .. }))
        .map(Step::Model)
        .collect();
    // One update per (SELF_HOSTED, model), and one for DISABLED, in the order the features
    // come.
    let mut batches: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for feature in plan
        .features
        .iter()
        .filter(|f| f.action != FeatureAction::Keep)
    {
        let model = feature.model_name.as_deref();
        match batches.iter_mut().find(|(m, _)| *m == model) {
            Some((_, features)) => features.push(&feature.feature),
            None => batches.push((model, vec![&feature.feature])),
        }
    }
    steps.extend(
        batches
            .into_iter()
            .map(|(model, features)| Step::Features { model, features }),
    );
    steps.extend(plan.duo_settings.as_ref().map(Step::DuoSettings));
    steps.extend(plan.models.iter().map(Step::Check));
    steps
}

enum Outcome<'a> {
    Model { name: &'a str, id: String },
    Check(ConnectionCheck),
    Done,
}

enum StepError {
    /// The payload's `errors`.
    Refused(Vec<String>),
    /// No answer, or top-level errors.
    Failed(GitlabError),
}

impl From<GitlabError> for StepError {
    fn from(error: GitlabError) -> Self {
        Self::Failed(error)
    }
}

async fn run_step<'a>(
    client: &GitlabClient,
    plan: &Plan,
    step: &Step<'a>,
    keys: ModelKeys<'_>,
    ids: &BTreeMap<&str, String>,
) -> Result<Outcome<'a>, StepError> {
    let fields = |m: &'a PlannedModel, with_key: bool| ModelFields {
        name: &m.name,
        family: m.family,
        endpoint: m.endpoint.as_deref(),
        identifier: &m.identifier,
        api_token: keys.of(m).filter(|_| with_key),
        provider: &m.provider,
    };
    match step {
        Step::Model(m) => {
            let (document, field, id) = match &m.action {
                ModelAction::Create => (documents::MODEL_CREATE, "aiSelfHostedModelCreate", None),
                ModelAction::Update { id, .. } => (
                    documents::MODEL_UPDATE,
                    "aiSelfHostedModelUpdate",
                    Some(id.as_str()),
                ),
                ModelAction::Keep { .. } => return Ok(Outcome::Done),
            };
            let variables = documents::model_input(plan.shape, fields(m, m.sends_api_token), id);
            let payload = mutate(client, plan, document, field, variables).await?;
            let id = payload["selfHostedModel"]["id"]
                .as_str()
                .ok_or_else(|| unexpected(document, "no selfHostedModel.id"))?;
            Ok(Outcome::Model {
                name: &m.name,
                id: id.to_owned(),
            })
        }
        Step::Features { model, features } => {
            let variables = match model {
                Some(model) => {
                    let id = ids.get(model).ok_or_else(|| {
                        unexpected(documents::FEATURE_UPDATE, "the model has no id")
                    })?;
                    documents::feature_input(features, FeatureProvider::SelfHosted, Some(id))
                }
                None => documents::feature_input(features, FeatureProvider::Disabled, None),
            };
            mutate(
                client,
                plan,
                documents::FEATURE_UPDATE,
                "aiFeatureSettingUpdate",
                variables,
            )
            .await?;
            Ok(Outcome::Done)
        }
        Step::DuoSettings(settings) => {
            let variables = documents::duo_settings_input(
                plan.shape,
                settings.ai_gateway_url.as_deref(),
                settings.ai_gateway_timeout_seconds,
            );
            mutate(
                client,
                plan,
                documents::DUO_SETTINGS_UPDATE,
                "duoSettingsUpdate",
                variables,
            )
            .await?;
            Ok(Outcome::Done)
        }
        Step::Check(m) => {
            let variables = documents::model_input(plan.shape, fields(m, true), None);
            let document = documents::CONNECTION_CHECK;
            let payload = mutate(
                client,
                plan,
                document,
                "aiSelfHostedModelConnectionCheck",
                variables,
            )
            .await?;
            Ok(Outcome::Check(connection_check(
                &m.name,
                &payload["result"],
            )))
        }
    }
}

/// Sends a mutation; its payload, or the payload's `errors` as a refusal.
async fn mutate(
    client: &GitlabClient,
    plan: &Plan,
    document: Document,
    field: &str,
    variables: Value,
) -> Result<Value, StepError> {
    let answer = client.send(document, variables).await?;
    fail_on_errors(
        client.url().as_str(),
        &plan.gitlab_version,
        document,
        &answer,
    )?;
    let payload = answer.data.get(field).cloned().unwrap_or(Value::Null);
    if payload.is_null() {
        return Err(unexpected(document, &format!("no {field} payload")).into());
    }
    let errors: Vec<String> = payload["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(StepError::Refused(errors));
    }
    Ok(payload)
}

fn unexpected(document: Document, detail: &str) -> GitlabError {
    GitlabError::UnexpectedAnswer {
        operation: document.name.into(),
        detail: detail.into(),
    }
}

fn connection_check(model: &str, result: &Value) -> ConnectionCheck {
    let text = |key: &str| result[key].as_str().map(str::to_owned);
    ConnectionCheck {
        model: model.to_owned(),
        success: result["success"].as_bool(),
        message: text("message"),
        errors: result["errors"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        probe: text("name"),
        details: Some(&result["details"])
            .filter(|d| !d.is_null())
            .map(Value::to_string),
    }
}
