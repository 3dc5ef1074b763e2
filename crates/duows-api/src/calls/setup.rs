//! The setup wizard's calls: where the setup stands (`setup_status`, derived from the
//! machine: engine installed, weights on disk, engine ready, features routed, a key), the
//! choices it keeps (`setup_update`), the read-only system check (`setup_check`) and a
//! real chat request through the gateway for its last step (`setup_test`).

use std::time::{Duration, Instant};

use duows_core::catalog::Catalog;
use duows_core::engine::download::downloaded_file;
use duows_core::engine::launch::LaunchRequest;
use duows_core::engine::{installed, CheckItem, CheckOutcome, EngineState};
use duows_core::setup::{
    self, EngineFact, Reach, SetupChoices, SetupEngine, SetupFacts, SetupFile, SetupProgress,
    SystemCheckFacts,
};
use serde::{Deserialize, Serialize};

use super::launch::prepare_start;
use crate::gateway_service::key_store;
use crate::{ApiError, ApiState, ErrorCode};

/// How long the package index and the hub may take to answer the system check.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the setup stands, and what its next steps send.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SetupStatus {
    /// The choices made so far.
    pub choices: SetupChoices,
    /// Each step's state, and the step to show.
    pub progress: SetupProgress,
    /// What the machine says (engine installed, weights, the engine, routes, keys).
    pub facts: SetupFacts,
    /// The download the weights step starts (none before a model is chosen, or with own
    /// weights).
    #[ts(optional)]
    pub download: Option<SetupDownload>,
    /// The start the launch step sends (none until the weights are known).
    #[ts(optional)]
    pub launch: Option<LaunchRequest>,
    /// The engine's name: the chosen model's id.
    #[ts(optional)]
    pub engine_name: Option<String>,
}

/// The weights step's download: the body of `model_download`, and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SetupDownload {
    /// Catalog id.
    pub model: String,
    /// The GGUF quantization, for llama.cpp.
    #[ts(optional)]
    pub gguf: Option<String>,
    /// The Hugging Face repository fetched (the download job is `download-<repo>`).
    pub repo: String,
    /// Bytes to download, from the catalog.
    pub bytes: u64,
    /// Whether the model is gated (a Hugging Face token is needed).
    pub gated: bool,
}

/// The system check's answer.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SetupCheck {
    /// The lines, in the order a person fixes them.
    pub lines: Vec<duows_core::doctor::DoctorLine>,
    /// When it ran.
    pub checked_at_ms: u64,
}

/// The last step's chat request through the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SetupTest {
    /// The gateway alias asked (`duo-chat`, `duo-code-completion`, …).
    pub alias: String,
    /// The model's answer.
    pub answer: String,
    /// Round trip in milliseconds.
    pub ms: u64,
}

/// Body of `setup_update`: the whole set of choices.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SetupUpdateParams {
    /// The choices to keep.
    pub choices: SetupChoices,
}

fn setup_file(state: &ApiState) -> SetupFile {
    SetupFile::in_folder(state.data_dir().root())
}

fn load_choices(state: &ApiState) -> Result<SetupChoices, ApiError> {
    setup_file(state)
        .load()
        .map_err(|e| ApiError::new(ErrorCode::SetupUnavailable, e.to_string()))
}

fn save_choices(state: &ApiState, choices: &SetupChoices) -> Result<(), ApiError> {
    setup_file(state)
        .save(choices)
        .map_err(|e| ApiError::new(ErrorCode::SetupUnavailable, e.to_string()))
}

/// `setup_status`: the choices, each step's state from the machine, and the download and
/// start the next steps send.
pub async fn setup_status(state: &ApiState) -> Result<SetupStatus, ApiError> {
    let choices = load_choices(state)?;
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let model = choices.model.as_deref().and_then(|id| catalog.model(id));
    let engine_name = model.map(|m| m.id.clone());
    let download = model
        .filter(|_| choices.weights_path.is_none())
        .and_then(|m| match (&choices.engine, &choices.gguf) {
            (Some(SetupEngine::LlamaCpp), Some(quant)) => m
                .gguf
                .iter()
                .find(|g| g.quant.eq_ignore_ascii_case(quant))
                .map(|g| SetupDownload {
                    model: m.id.clone(),
                    gguf: Some(g.quant.clone()),
                    repo: g.repo.clone(),
                    bytes: g.bytes,
                    // GGUF files come from the quantizers' own public repositories.
                    gated: false,
                }),
            _ => m.variant(None).map(|v| SetupDownload {
                model: m.id.clone(),
                gguf: None,
                repo: v.repo.clone(),
                bytes: v.weight_bytes,
                gated: m.gated,
            }),
        });
    let mut facts = SetupFacts {
        model_name: model.map(|m| m.name.clone()),
        ..SetupFacts::default()
    };
    let mut launch = None;
    if let Some(model) = model {
        let request = launch_request(state, &choices, model);
        (facts.engine_installed, facts.engine_problem) = engine_installed(state, &choices);
        match &request {
            Some(request) => {
                // The start's own checks say whether the program and the weights are there.
                match prepare_start(state, request).await {
                    Ok(prepared) => {
                        for check in &prepared.preflight.checks {
                            let ok = check.outcome != CheckOutcome::Fail;
                            let problem = (!ok).then(|| check.message.clone());
                            match check.item {
                                CheckItem::Engine => {
                                    (facts.engine_installed, facts.engine_problem) =
                                        (Some(ok), problem)
                                }
                                CheckItem::Weights => {
                                    (facts.weights_present, facts.weights_problem) =
                                        (Some(ok), problem)
                                }
                                _ => {}
                            }
                        }
                    }
                    Err(error) => {
                        facts.weights_present = Some(false);
                        facts.weights_problem = Some(error.message);
                    }
                }
            }
            None => {
                facts.weights_present = Some(false);
                facts.weights_problem = Some("not downloaded".into());
            }
        }
        launch = request;
    }
    if let Some(name) = &engine_name {
        facts.engine = super::engines::existing_engine_statuses(state)
            .into_iter()
            .find(|e| &e.name == name)
            .map(|e| EngineFact {
                name: e.name.clone(),
                ready: e.state == EngineState::Ready,
                state: serde_json::to_value(e.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            });
        let settings = state.settings_snapshot();
        facts.routed_features = settings.features.values().filter(|t| *t == name).count();
    }
    facts.active_keys = key_store(state)
        .and_then(|keys| keys.list().map_err(|e| ApiError::internal(e.to_string())))
        .map(|keys| {
            let now = duows_base::clock::now_secs();
            keys.iter().filter(|k| k.is_active(now)).count()
        })
        .unwrap_or(0);
    Ok(SetupStatus {
        progress: setup::progress(&choices, &facts),
        choices,
        facts,
        download,
        launch,
        engine_name,
    })
}

/// The start for the choices: vLLM with the model (its download, or the own folder), or
/// llama.cpp with the model's GGUF file (downloaded, or the own file). None while the
/// GGUF file is not on disk.
fn launch_request(
    state: &ApiState,
    choices: &SetupChoices,
    model: &duows_core::catalog::Model,
) -> Option<LaunchRequest> {
    let mut request = LaunchRequest {
        model: Some(model.id.clone()),
        name: Some(model.id.clone()),
        override_memory_estimate: Some(choices.override_memory_estimate),
        ..LaunchRequest::default()
    };
    match choices.engine {
        Some(SetupEngine::LlamaCpp) => {
            let file = match (&choices.weights_path, &choices.gguf) {
                (Some(own), _) => Some(own.clone()),
                (None, Some(quant)) => model
                    .gguf
                    .iter()
                    .find(|g| g.quant.eq_ignore_ascii_case(quant))
                    .and_then(|g| downloaded_file(&state.models_dir(), &g.repo, "main", &g.file))
                    .map(|p| p.display().to_string()),
                (None, None) => None,
            }?;
            request.gguf = Some(file);
            request.override_memory_estimate = None;
        }
        _ => request.model_dir = choices.weights_path.clone(),
    }
    Some(request)
}

/// Whether the engine program for the choices is there, before a start can be prepared.
fn engine_installed(state: &ApiState, choices: &SetupChoices) -> (Option<bool>, Option<String>) {
    match choices.engine {
        Some(SetupEngine::LlamaCpp) => {
            let python = installed::locate_llama_cpp_python(state.data_dir().root());
            let found = python.exists();
            (
                Some(found),
                (!found).then(|| "llama.cpp's server is not installed".to_owned()),
            )
        }
        _ => (None, None),
    }
}

/// `setup_update`: checks and keeps the choices; answers with the new status.
pub async fn setup_update(
    state: &ApiState,
    params: SetupUpdateParams,
) -> Result<SetupStatus, ApiError> {
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    params.choices.validate(catalog).map_err(|refused| {
        let mut error =
            ApiError::new(ErrorCode::InvalidParameter, refused.reason).with_field(refused.field);
        error.fix = refused.fix;
        error
    })?;
    save_choices(state, &params.choices)?;
    setup_status(state).await
}

/// `setup_check`: the read-only system check; notes when it ran.
pub async fn setup_check(state: &ApiState) -> Result<SetupCheck, ApiError> {
    let report = super::hardware(state).await?;
    let sample = state.sampler().latest();
    let used_bytes = sample
        .gpus
        .iter()
        .filter_map(|g| Some((g.index, g.memory_used_bytes?)))
        .collect();
    let cuda = match report.source {
        duows_core::hardware::HardwareSource::Nvml => {
            Some(super::blocking(|| Ok(duows_core::hardware::check_cuda_init())).await?)
        }
        duows_core::hardware::HardwareSource::Description { .. } => None,
    };
    let mut choices = load_choices(state)?;
    let download_bytes = setup_status(state).await?.download.map(|d| d.bytes);
    let index = std::env::var("PIP_INDEX_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "https://pypi.org/simple".into());
    let hub = std::env::var("HF_ENDPOINT")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| duows_core::jobs::DEFAULT_HUB.into());
    let (package_index, model_hub) = tokio::join!(
        reach(format!("{}/vllm/", index.trim_end_matches('/'))),
        reach(format!("{}/api/models?limit=1", hub.trim_end_matches('/'))),
    );
    let lines = setup::system_check(&SystemCheckFacts {
        report: &report,
        used_bytes,
        cuda,
        download_bytes,
        package_index,
        model_hub,
    });
    let checked_at_ms = duows_base::clock::now_ms();
    choices.checked_at_ms = Some(checked_at_ms);
    save_choices(state, &choices)?;
    Ok(SetupCheck {
        lines,
        checked_at_ms,
    })
}

/// Whether `url` answers at all (any HTTP status counts: the server is reachable).
async fn reach(url: String) -> Reach {
    let client = match reqwest::Client::builder().timeout(REACH_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            return Reach::Failed {
                reason: error.to_string(),
                url,
            }
        }
    };
    let started = Instant::now();
    match client.get(&url).send().await {
        Ok(_) => Reach::Answered {
            ms: started.elapsed().as_millis() as u64,
            url,
        },
        Err(error) => Reach::Failed {
            reason: if error.is_timeout() {
                format!("no answer in {} s", REACH_TIMEOUT.as_secs())
            } else if error.is_connect() {
                "cannot connect".into()
            } else {
                error.to_string()
            },
            url,
        },
    }
}

/// `setup_test`: a real chat request through the gateway to a feature routed to the
/// wizard's engine (Chat first, else the first routed), with the model's answer.
pub async fn setup_test(state: &ApiState) -> Result<SetupTest, ApiError> {
    let status = setup_status(state).await?;
    let name = status.engine_name.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidParameter, "choose a model first").with_field("model")
    })?;
    let handle = state.gateway().ok_or_else(|| {
        ApiError::new(
            ErrorCode::GatewayRequestFailed,
            "this program does not run the gateway",
        )
    })?;
    let settings = state.settings_snapshot();
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let mut routed: Vec<&String> = settings
        .features
        .iter()
        .filter(|(_, target)| **target == name)
        .map(|(feature, _)| feature)
        .collect();
    routed.sort_by_key(|f| *f != "duo_chat");
    let feature = routed
        .first()
        .and_then(|f| catalog.feature(f))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::GatewayRequestFailed,
                format!("no Duo feature is routed to {name} yet: route them on the gateway step"),
            )
        })?;
    let alias = feature.gateway_alias();
    let answer = super::gateway_probe::ask(
        state,
        handle.local_addr(),
        &alias,
        "Write a one-line Python function that adds two numbers.",
        32,
    )
    .await
    .map_err(|reason| {
        ApiError::new(
            ErrorCode::GatewayRequestFailed,
            format!("`{alias}` did not answer through the gateway: {reason}"),
        )
    })?;
    Ok(SetupTest {
        alias,
        answer: answer.text,
        ms: answer.ms,
    })
}
