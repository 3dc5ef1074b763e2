//! `engine_plan`, and what a start needs before it runs: this server's side of
//! `duows_core::engine::launch` (the fit on its hardware, whether that hardware is
//! described, the free memory of the latest sample). The preview and the start prepare
//! exactly the same thing, so the preview lists every reason a start would be refused.

use duows_core::catalog::Catalog;
use duows_core::engine::cluster::{ClusterNetwork, ClusterPlan};
use duows_core::engine::installed;
use duows_core::engine::launch::{
    self, AppFolders, LaunchError, LaunchErrorKind, MachineFacts, PreparedStart,
};
use duows_core::engine::{LaunchPlan, Preflight};
use duows_core::fit::FitResult;
use duows_core::hardware::HardwareSource;
use serde::Serialize;

use super::planning::{fit, FitParams};
use crate::{ApiError, ApiState, ErrorCode};
use duows_core::engine::launch::LaunchRequest as EngineParams;

/// A launch plan with what it is based on.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct EnginePlanView {
    /// The plan (program, arguments, environment with secrets hidden, files to prepare).
    pub plan: LaunchPlan,
    /// The command as a user would type it, key hidden.
    pub command_line: String,
    /// The engine's OpenAI-compatible base URL.
    pub base_url: String,
    /// The fit the sizing flags come from (catalog models).
    pub fit: Option<FitResult>,
    /// What a start checks first, and how each check comes out now.
    pub preflight: Preflight,
}

/// `engine_plan`: the launch plan a start with the same parameters would run, and what
/// would stop that start now.
pub async fn engine_plan(
    state: &ApiState,
    params: EngineParams,
) -> Result<EnginePlanView, ApiError> {
    let prepared = prepare_start(state, &params).await?;
    Ok(EnginePlanView {
        command_line: prepared.plan.command_line(),
        base_url: prepared.plan.base_url(),
        plan: prepared.plan,
        fit: prepared.fit,
        preflight: prepared.preflight,
    })
}

/// The commands of a fit across nodes (each node's `ray start`, the head's `vllm serve`)
/// with this server's folders; placeholders where `network` is `None` (machines described,
/// not yet named). Not a command of the table: `duows fit --nodes` prints it.
pub fn cluster_plan(
    state: &ApiState,
    fit: &FitResult,
    network: Option<&ClusterNetwork>,
) -> Result<ClusterPlan, ApiError> {
    let folders = AppFolders {
        data_root: state.data_dir().root().to_path_buf(),
        models_dir: state.models_dir(),
    };
    launch::prepare_cluster(&EngineParams::default(), fit, &folders, network).map_err(launch_error)
}

/// Builds the plan for `params` and checks what the start needs.
pub(crate) async fn prepare_start(
    state: &ApiState,
    params: &EngineParams,
) -> Result<PreparedStart, ApiError> {
    let folders = AppFolders {
        data_root: state.data_dir().root().to_path_buf(),
        models_dir: state.models_dir(),
    };
    match (&params.model, &params.gguf) {
        (None, None) => Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "name a catalog model (`model`), a GGUF file (`gguf`), or both (a GGUF file of that model)",
        )
        .with_field("model")),
        (model, Some(gguf)) => {
            if params.gpus.is_some() {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    "a GGUF engine runs on this machine; `gpus` plans catalog models only",
                )
                .with_field("gpus"));
            }
            // A GGUF file of a catalog model is served under the model's id, so the
            // features rated for the model can be routed to it.
            let mut request = params.clone();
            if let Some(id) = model {
                let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
                let known = catalog.model(id).ok_or_else(|| {
                    ApiError::new(ErrorCode::UnknownModel, format!("`{id}` is not in the catalog"))
                        .with_field("model")
                })?;
                request.name = request.name.or_else(|| Some(known.id.clone()));
            }
            let machine = machine_facts(state, None).await?;
            launch::prepare_gguf(&request, gguf, &folders, &machine).map_err(launch_error)
        }
        (Some(model_id), None) => {
            let fitted = fit(
                state,
                FitParams {
                    model: Some(model_id.clone()),
                    ..FitParams::for_start(params)
                },
            )
            .await?;
            let machine = machine_facts(state, params.gpus.clone()).await?;
            let root = folders.data_root.clone();
            // Asking vLLM its version runs it: off the async workers.
            let found = tokio::task::spawn_blocking(move || installed::find_vllm(&root))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            launch::prepare_vllm(params, fitted, &folders, &machine, found).map_err(launch_error)
        }
    }
}

/// The plan and the checks of a catalog model across `nodes` nodes on `network`: the fit
/// across nodes, each node's `ray start` and the head's `vllm serve`, and what a start checks
/// on the head (engine installed, weights, real GPUs, fit, free memory).
pub(crate) async fn prepare_cluster_start(
    state: &ApiState,
    params: &EngineParams,
    nodes: u32,
    network: &ClusterNetwork,
) -> Result<(ClusterPlan, Preflight), ApiError> {
    let folders = AppFolders {
        data_root: state.data_dir().root().to_path_buf(),
        models_dir: state.models_dir(),
    };
    let model = match (&params.model, &params.gguf) {
        (Some(model), None) => model.clone(),
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "an engine across nodes serves a catalog model with vLLM: name it in `engine.model` (no `gguf`)",
            )
            .with_field("engine.model"))
        }
    };
    let fitted = fit(
        state,
        FitParams {
            model: Some(model),
            gpus: None,
            nodes: Some(nodes),
            ..FitParams::for_start(params)
        },
    )
    .await?;
    let machine = machine_facts(state, None).await?;
    let root = folders.data_root.clone();
    let found = tokio::task::spawn_blocking(move || installed::find_vllm(&root))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let checks = launch::prepare_vllm(params, fitted.clone(), &folders, &machine, found)
        .map_err(launch_error)?
        .preflight;
    let plan =
        launch::prepare_cluster(params, &fitted, &folders, Some(network)).map_err(launch_error)?;
    Ok((plan, checks))
}

/// This server's machine as a start sees it; a plan for `planned` (a spec) is for a
/// described machine by definition.
async fn machine_facts(
    state: &ApiState,
    planned: Option<String>,
) -> Result<MachineFacts, ApiError> {
    let probe = std::sync::Arc::clone(&state.inner.probe);
    let sample = state.sampler().latest();
    let free_bytes = sample
        .gpus
        .iter()
        .map(|g| (g.index, g.memory_free_bytes))
        .collect();
    super::blocking(move || {
        let (described, real_gpus, driver_version) = match (planned, probe.inventory()) {
            (Some(spec), _) => (Some(spec), 0, None),
            (None, Ok(inventory)) => {
                let driver = inventory.driver_version;
                match inventory.source {
                    HardwareSource::Description { label, spec } => {
                        (Some(spec.unwrap_or(label)), 0, driver)
                    }
                    HardwareSource::Nvml => (None, inventory.gpus.len(), driver),
                }
            }
            (None, Err(_)) => (None, 0, None),
        };
        Ok(MachineFacts {
            described,
            real_gpus,
            driver_version,
            free_bytes,
        })
    })
    .await
}

fn launch_error(error: LaunchError) -> ApiError {
    let code = match error.kind {
        LaunchErrorKind::Invalid => ErrorCode::InvalidParameter,
        LaunchErrorKind::CannotPlan => ErrorCode::CannotPlan,
        LaunchErrorKind::ModelFolder => ErrorCode::InvalidModelFolder,
        LaunchErrorKind::Internal => ErrorCode::Internal,
    };
    let field = error.field;
    let api = ApiError::new(code, error.message);
    match field {
        Some(field) => api.with_field(field),
        None => api,
    }
}
