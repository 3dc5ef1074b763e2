//! Preparing an engine's start, the same for the plan preview and the start itself: the
//! request ([`LaunchRequest`]), the launch plan (vLLM for a catalog model, llama.cpp's
//! server for a GGUF file) with the app's defaults (loopback, a free port, a random key,
//! the run folder, the model folder to serve), and the pre-start checks
//! ([`super::preflight`]). The caller supplies what only it knows: the fit on its
//! hardware, whether that hardware is described, and the free memory now.

mod port;
mod request;
mod weights;

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::cluster::{ray_cluster_plan, ray_cluster_preview, ClusterNetwork, ClusterPlan};
use super::installed::{self, Installation};
use super::plan::{llama_cpp_plan, vllm_plan, EngineKind, LaunchPlan, LlamaCppOptions};
use super::plan::{PlanError, PlanOptions, Secret};
use super::preflight::{preflight, GpuMemoryFacts, Preflight, PreflightFacts, WeightsFacts};
use crate::catalog::Catalog;
use crate::fit::FitResult;

pub use request::{LaunchError, LaunchErrorKind, LaunchRequest};
pub use weights::weights_to_serve;

/// What the caller knows of the machine an engine would start on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineFacts {
    /// `Some(spec or label)` when the hardware is described, not detected.
    pub described: Option<String>,
    /// GPUs the driver reports.
    pub real_gpus: usize,
    /// The NVIDIA driver's version, when known (a description may give one).
    pub driver_version: Option<String>,
    /// Free bytes per GPU index in the latest sample.
    pub free_bytes: Vec<(u32, Option<u64>)>,
}

/// Where the app keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFolders {
    /// The data folder (`venvs/`, `engines/`).
    pub data_root: PathBuf,
    /// The models folder (the engines' `HF_HOME`).
    pub models_dir: PathBuf,
}

/// A plan with its checks, ready to start when they pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreparedStart {
    /// What would run.
    pub plan: LaunchPlan,
    /// The fit the sizing flags come from (catalog models).
    pub fit: Option<FitResult>,
    /// What a start checks first, and how each check comes out now.
    pub preflight: Preflight,
}

/// A port nobody listens on now, for the engine (see [`port`]).
fn free_port() -> Result<u16, LaunchError> {
    port::engine_port().map_err(|e| LaunchError::internal(format!("cannot find a free port: {e}")))
}

fn plan_error(error: PlanError) -> LaunchError {
    LaunchError::cannot_plan(error.field, error.reason)
}

/// The plan and checks for a GGUF file served by llama.cpp's server.
pub fn prepare_gguf(
    request: &LaunchRequest,
    gguf: &str,
    folders: &AppFolders,
    machine: &MachineFacts,
) -> Result<PreparedStart, LaunchError> {
    let file = PathBuf::from(gguf);
    if !file.is_file() {
        return Err(LaunchError::invalid(
            "gguf",
            format!("{gguf} is not a file"),
        ));
    }
    let file = file.canonicalize().unwrap_or(file);
    let python = installed::locate_llama_cpp_python(&folders.data_root);
    let installation = python.exists().then(|| Installation {
        program: python.clone(),
        source: "app environment".into(),
        version: None,
        problem: None,
    });
    let gpu_layers = request.gpu_layers.unwrap_or(0);
    let options = PlanOptions {
        program: python.clone(),
        model_dir: None,
        hf_home: folders.models_dir.clone(),
        served_name: request.name.clone(),
        port: free_port()?,
        run_dir: folders.data_root.join("engines"),
        api_key: random_key()?,
    };
    let llama = LlamaCppOptions {
        python,
        gguf: file,
        context: request.context.unwrap_or(4096),
        gpu_layers,
    };
    let plan = llama_cpp_plan(&llama, &options).map_err(plan_error)?;
    let facts = PreflightFacts {
        kind: EngineKind::LlamaCpp,
        installation,
        min_version: None,
        weights: WeightsFacts::File,
        described_hardware: machine.described.clone(),
        real_gpus: machine.real_gpus,
        driver_version: machine.driver_version.clone(),
        needs_gpu: gpu_layers > 0,
        fits: None,
        fit_fix: None,
        required_free_bytes: 0,
        gpus: Vec::new(),
        override_memory: request.override_memory_estimate.unwrap_or(false),
    };
    Ok(PreparedStart {
        plan,
        fit: None,
        preflight: preflight(&facts),
    })
}

/// The plan and checks for a catalog model served by vLLM, sized by `fit`. `installation`
/// is what [`installed::find_vllm`] found (it runs the program: the caller decides where).
pub fn prepare_vllm(
    request: &LaunchRequest,
    fit: FitResult,
    folders: &AppFolders,
    machine: &MachineFacts,
    installation: Installation,
) -> Result<PreparedStart, LaunchError> {
    let catalog = Catalog::builtin().map_err(|e| LaunchError::internal(e.to_string()))?;
    let model = catalog.model(&fit.model).ok_or_else(|| {
        LaunchError::invalid("model", format!("`{}` is not in the catalog", fit.model))
    })?;
    let variant = model
        .variant(Some(&fit.variant))
        .ok_or_else(|| LaunchError::invalid("variant", "unknown checkpoint"))?;
    let name = request.name.clone().unwrap_or_else(|| model.id.clone());
    let (model_dir, weights) = weights_to_serve(
        &model.id,
        variant,
        request.model_dir.as_deref().map(Path::new),
        &folders.models_dir,
    )?;
    let options = PlanOptions {
        program: installed::locate_vllm(&folders.data_root).0,
        model_dir,
        hf_home: folders.models_dir.clone(),
        served_name: Some(name.clone()),
        port: free_port()?,
        run_dir: folders.data_root.join("engines").join(&name),
        api_key: random_key()?,
    };
    let plan = vllm_plan(model, variant, &fit, &options).map_err(plan_error)?;
    let gpus = fit
        .gpus
        .iter()
        .map(|&index| GpuMemoryFacts {
            index,
            free_bytes: machine
                .free_bytes
                .iter()
                .find(|(i, _)| *i == index)
                .and_then(|(_, free)| *free),
        })
        .collect();
    let facts = PreflightFacts {
        kind: EngineKind::Vllm,
        installation: (installation.source != "not found").then_some(installation),
        min_version: model.serving.as_ref().map(|s| s.min_vllm.clone()),
        weights,
        described_hardware: machine.described.clone(),
        real_gpus: machine.real_gpus,
        driver_version: machine.driver_version.clone(),
        needs_gpu: true,
        fits: Some(fit.fits),
        fit_fix: fit.suggestions.first().map(|s| s.message.clone()),
        required_free_bytes: fit.required_free_bytes,
        gpus,
        override_memory: request.override_memory_estimate.unwrap_or(false),
    };
    Ok(PreparedStart {
        plan,
        fit: Some(fit),
        preflight: preflight(&facts),
    })
}

/// The commands of a catalog model across nodes (`fit` is a fit across nodes) with the
/// app's defaults, on `network`; `None`: placeholders for machines not yet named.
pub fn prepare_cluster(
    request: &LaunchRequest,
    fit: &FitResult,
    folders: &AppFolders,
    network: Option<&ClusterNetwork>,
) -> Result<ClusterPlan, LaunchError> {
    let catalog = Catalog::builtin().map_err(|e| LaunchError::internal(e.to_string()))?;
    let model = catalog.model(&fit.model).ok_or_else(|| {
        LaunchError::invalid("model", format!("`{}` is not in the catalog", fit.model))
    })?;
    let variant = model
        .variant(Some(&fit.variant))
        .ok_or_else(|| LaunchError::invalid("variant", "unknown checkpoint"))?;
    let name = request.name.clone().unwrap_or_else(|| model.id.clone());
    let (model_dir, _) = weights_to_serve(
        &model.id,
        variant,
        request.model_dir.as_deref().map(Path::new),
        &folders.models_dir,
    )?;
    let options = PlanOptions {
        program: installed::locate_vllm(&folders.data_root).0,
        model_dir,
        hf_home: folders.models_dir.clone(),
        served_name: Some(name.clone()),
        port: free_port()?,
        run_dir: folders.data_root.join("engines").join(&name),
        api_key: random_key()?,
    };
    match network {
        Some(network) => ray_cluster_plan(model, variant, fit, &options, network),
        None => ray_cluster_preview(model, variant, fit, &options),
    }
    .map_err(plan_error)
}

fn random_key() -> Result<Secret, LaunchError> {
    Secret::random().map_err(|e| LaunchError::internal(format!("cannot make a key: {e}")))
}
