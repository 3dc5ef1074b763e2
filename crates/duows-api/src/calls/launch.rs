//! Preparing an engine's start: the launch plan (vLLM for a catalog model, llama.cpp's
//! server for a GGUF file) and the pre-start checks gathered from this server's state.
//! The plan preview and the start build exactly the same thing here, so the preview
//! lists every reason a start would be refused.

use std::path::PathBuf;

use duows_core::catalog::{Catalog, Variant};
use duows_core::engine::{
    self, installed::Installation, EngineKind, GpuMemoryFacts, LaunchPlan, LlamaCppOptions,
    PlanOptions, Preflight, PreflightFacts, Secret, WeightsFacts,
};
use duows_core::fit::FitResult;
use duows_core::hardware::HardwareSource;
use serde::Serialize;

use super::engines::EngineParams;
use super::planning::{fit, FitParams};
use crate::{ApiError, ApiState, ErrorCode};

/// A launch plan with what it is based on.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// A plan with its checks, ready to start when they pass.
pub(crate) struct PreparedStart {
    pub plan: LaunchPlan,
    pub fit: Option<FitResult>,
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

/// Builds the plan for `params` and checks what the start needs.
pub(crate) async fn prepare_start(
    state: &ApiState,
    params: &EngineParams,
) -> Result<PreparedStart, ApiError> {
    let port =
        free_port().map_err(|e| ApiError::internal(format!("cannot find a free port: {e}")))?;
    let api_key =
        Secret::random().map_err(|e| ApiError::internal(format!("cannot make a key: {e}")))?;
    match (&params.model, &params.gguf) {
        (Some(_), Some(_)) | (None, None) => Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "name either a catalog model (`model`) or a GGUF file (`gguf`), not both",
        )
        .with_field(if params.model.is_some() {
            "gguf"
        } else {
            "model"
        })),
        (None, Some(gguf)) => prepare_gguf(state, params, gguf, port, api_key).await,
        (Some(model_id), None) => prepare_vllm(state, params, model_id, port, api_key).await,
    }
}

async fn prepare_gguf(
    state: &ApiState,
    params: &EngineParams,
    gguf: &str,
    port: u16,
    api_key: Secret,
) -> Result<PreparedStart, ApiError> {
    if params.gpus.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "a GGUF engine runs on this machine; `gpus` plans catalog models only",
        )
        .with_field("gpus"));
    }
    let file = PathBuf::from(gguf);
    if !file.is_file() {
        return Err(
            ApiError::new(ErrorCode::InvalidParameter, format!("{gguf} is not a file"))
                .with_field("gguf"),
        );
    }
    let file = file.canonicalize().unwrap_or(file);
    let root = state.data_dir().root();
    let python = engine::installed::locate_llama_cpp_python(root);
    let installation = python.exists().then(|| Installation {
        program: python.clone(),
        source: "app environment".into(),
        version: None,
        problem: None,
    });
    let gpu_layers = params.gpu_layers.unwrap_or(0);
    let options = PlanOptions {
        program: python.clone(),
        model_dir: None,
        hf_home: state.models_dir(),
        served_name: params.name.clone(),
        port,
        run_dir: root.join("engines"),
        api_key,
    };
    let llama = LlamaCppOptions {
        python,
        gguf: file,
        context: params.context.unwrap_or(4096),
        gpu_layers,
    };
    let plan = engine::llama_cpp_plan(&llama, &options).map_err(plan_error)?;
    let (described_hardware, real_gpus) = hardware_facts(state).await?;
    let facts = PreflightFacts {
        kind: EngineKind::LlamaCpp,
        installation,
        min_version: None,
        weights: WeightsFacts::File,
        described_hardware,
        real_gpus,
        needs_gpu: gpu_layers > 0,
        fits: None,
        fit_fix: None,
        required_free_bytes: 0,
        gpus: Vec::new(),
        override_memory: params.override_memory_estimate.unwrap_or(false),
    };
    Ok(PreparedStart {
        plan,
        fit: None,
        preflight: engine::preflight(&facts),
    })
}

async fn prepare_vllm(
    state: &ApiState,
    params: &EngineParams,
    model_id: &str,
    port: u16,
    api_key: Secret,
) -> Result<PreparedStart, ApiError> {
    let fit_params = FitParams {
        model: model_id.to_owned(),
        variant: params.variant.clone(),
        gpus: params.gpus.clone(),
        context: params.context,
        concurrency: params.concurrency,
        tensor_parallel_size: params.tensor_parallel_size,
        gpu_memory_utilization: params.gpu_memory_utilization,
        constants: None,
    };
    let fitted = fit(state, fit_params).await?;
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let model = catalog.model(model_id).ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownModel, "unknown model").with_field("model")
    })?;
    let variant = model.variant(Some(&fitted.variant)).ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownVariant, "unknown checkpoint").with_field("variant")
    })?;
    let name = params.name.clone().unwrap_or_else(|| model.id.clone());
    let (model_dir, weights) = weights(state, &model.id, variant, params.model_dir.as_deref())?;
    let root = state.data_dir().root().to_path_buf();
    let options = PlanOptions {
        program: engine::installed::locate_vllm(&root).0,
        model_dir,
        hf_home: state.models_dir(),
        served_name: Some(name.clone()),
        port,
        run_dir: root.join("engines").join(&name),
        api_key,
    };
    let plan = engine::vllm_plan(model, variant, &fitted, &options).map_err(plan_error)?;
    let found = tokio::task::spawn_blocking(move || engine::installed::find_vllm(&root))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let installation = (found.source != "not found").then_some(found);
    let (described_hardware, real_gpus) = match &params.gpus {
        // A plan for another machine: its GPUs are described by definition.
        Some(spec) => (Some(spec.clone()), 0),
        None => hardware_facts(state).await?,
    };
    let sample = state.sampler().latest();
    let gpus = fitted
        .gpus
        .iter()
        .map(|&index| GpuMemoryFacts {
            index,
            free_bytes: sample
                .gpus
                .iter()
                .find(|g| g.index == index)
                .and_then(|g| g.memory_free_bytes),
        })
        .collect();
    let facts = PreflightFacts {
        kind: EngineKind::Vllm,
        installation,
        min_version: model.serving.as_ref().map(|s| s.min_vllm.clone()),
        weights,
        described_hardware,
        real_gpus,
        needs_gpu: true,
        fits: Some(fitted.fits),
        fit_fix: fitted.suggestions.first().map(|s| s.message.clone()),
        required_free_bytes: fitted.required_free_bytes,
        gpus,
        override_memory: params.override_memory_estimate.unwrap_or(false),
    };
    Ok(PreparedStart {
        plan,
        fit: Some(fitted),
        preflight: engine::preflight(&facts),
    })
}

/// Whether this server plans for a described machine (its label), and how many GPUs the
/// driver reports.
async fn hardware_facts(state: &ApiState) -> Result<(Option<String>, usize), ApiError> {
    let probe = std::sync::Arc::clone(&state.inner.probe);
    super::blocking(move || {
        Ok(match probe.inventory() {
            Ok(inventory) => match inventory.source {
                HardwareSource::Description { label, spec } => (Some(spec.unwrap_or(label)), 0),
                HardwareSource::Nvml => (None, inventory.gpus.len()),
            },
            Err(_) => (None, 0),
        })
    })
    .await
}

/// A port nobody listens on now (bind port 0 on loopback, read it, let it go).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

/// The folder to serve from and what it holds: the one given (checked against the
/// catalog; a wrong folder is the caller's error), else the checkpoint's download in the
/// models folder, else none (the weights are absent).
fn weights(
    state: &ApiState,
    model_id: &str,
    variant: &Variant,
    given: Option<&str>,
) -> Result<(Option<PathBuf>, WeightsFacts), ApiError> {
    if let Some(dir) = given {
        let dir = PathBuf::from(dir);
        engine::folder::check_model_folder(&dir, variant).map_err(|e| {
            ApiError::new(ErrorCode::InvalidModelFolder, e.to_string()).with_field("model_dir")
        })?;
        let folder = dir.display().to_string();
        return Ok((Some(dir), WeightsFacts::Present { folder }));
    }
    let hf_home = state.models_dir();
    let Some(snapshot) = engine::folder::cached_snapshot(&hf_home, &variant.repo, "main") else {
        return Ok((
            None,
            WeightsFacts::Absent {
                repo: variant.repo.clone(),
                model: model_id.to_owned(),
            },
        ));
    };
    let folder = snapshot.display().to_string();
    let facts = match engine::folder::check_model_folder(&snapshot, variant) {
        Ok(_) => WeightsFacts::Present { folder },
        Err(error) => WeightsFacts::Incomplete {
            folder,
            reason: error.to_string(),
            model: model_id.to_owned(),
        },
    };
    Ok((Some(snapshot), facts))
}

fn plan_error(error: engine::PlanError) -> ApiError {
    ApiError::new(ErrorCode::CannotPlan, error.reason).with_field(error.field)
}
