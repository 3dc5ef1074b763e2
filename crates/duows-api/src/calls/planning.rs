//! The model calls: the catalog, recommendations, and one model's fit in detail.
//!
//! Hardware is the server's own (detected, or described at start) unless the request
//! names a spec in `gpus`; on detected GPUs the free memory of the latest sample counts.

use std::path::Path;
use std::sync::Arc;

use duows_core::catalog::{read_config_model, Catalog, Feature, GitlabVersion, Model};
use duows_core::fit::{
    self, FitConstants, FitRequest, FitResult, RecommendRequest, Recommendation, Slot,
};
use duows_core::hardware::{DescribedProbe, GpuProbe, HardwareDescription};
use serde::{Deserialize, Serialize};

use super::blocking;
use crate::{ApiError, ApiState, ErrorCode};

/// Parameters of `recommend` (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct RecommendParams {
    /// A hardware spec or description file to plan for, instead of this machine.
    #[serde(default)]
    pub gpus: Option<String>,
    /// Only this Duo feature (e.g. `code_completions`).
    #[serde(default)]
    pub feature: Option<String>,
    /// Desired context in tokens.
    #[serde(default)]
    pub context: Option<u32>,
    /// Requests that must fit at once (default 1).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// The GitLab version, e.g. `18.4` (default: the catalog's).
    #[serde(default)]
    pub gitlab: Option<String>,
    /// `--gpu-memory-utilization` (default: 0.95, lowered to what is free).
    #[serde(default)]
    pub gpu_memory_utilization: Option<f64>,
    /// Judgement constants to override.
    #[serde(default)]
    pub constants: Option<FitConstants>,
    /// Plan over this many identical nodes with these GPUs each (default 1): a model too
    /// large for one is split into pipeline stages across them.
    #[serde(default)]
    pub nodes: Option<u32>,
}

/// Parameters of `fit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct FitParams {
    /// Catalog id or Hugging Face repo id (or give `config` instead).
    #[serde(default)]
    pub model: Option<String>,
    /// A model not in the catalog: the path, on the server, of its `config.json` or of a
    /// folder holding one (a downloaded snapshot too). Exactly one of `model` and `config`.
    #[serde(default)]
    pub config: Option<String>,
    /// Checkpoint name (default: the model's own).
    #[serde(default)]
    pub variant: Option<String>,
    /// A hardware spec or description file to plan for, instead of this machine.
    #[serde(default)]
    pub gpus: Option<String>,
    /// Desired context in tokens.
    #[serde(default)]
    pub context: Option<u32>,
    /// Requests that must fit at once (default 1).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Use exactly this tensor-parallel size.
    #[serde(default)]
    pub tensor_parallel_size: Option<u32>,
    /// `--gpu-memory-utilization`.
    #[serde(default)]
    pub gpu_memory_utilization: Option<f64>,
    /// Judgement constants to override.
    #[serde(default)]
    pub constants: Option<FitConstants>,
    /// Plan over this many identical nodes with these GPUs each (default 1): a model too
    /// large for one is split into pipeline stages across them.
    #[serde(default)]
    pub nodes: Option<u32>,
}

impl FitParams {
    /// The fit an engine start of `params` is sized by: its model, checkpoint, planned
    /// hardware and sizing, on one node.
    pub(crate) fn for_start(params: &duows_core::engine::launch::LaunchRequest) -> Self {
        Self {
            model: params.model.clone(),
            variant: params.variant.clone(),
            gpus: params.gpus.clone(),
            context: params.context,
            concurrency: params.concurrency,
            tensor_parallel_size: params.tensor_parallel_size,
            gpu_memory_utilization: params.gpu_memory_utilization,
            ..Self::default()
        }
    }
}

/// The catalog for people: version, features, models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CatalogView {
    /// Data version.
    pub version: String,
    /// The GitLab version assumed by default.
    pub default_gitlab: GitlabVersion,
    /// Duo features.
    pub features: Vec<Feature>,
    /// Models.
    pub models: Vec<Model>,
    /// The default judgement constants of the fit.
    pub fit_constants: FitConstants,
}

fn catalog_or_error() -> Result<&'static Catalog, ApiError> {
    Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))
}

/// `catalog`: the model catalog.
pub fn catalog() -> Result<CatalogView, ApiError> {
    let catalog = catalog_or_error()?;
    Ok(CatalogView {
        version: catalog.version.clone(),
        default_gitlab: catalog.default_gitlab,
        features: catalog.features.clone(),
        models: catalog.models.clone(),
        fit_constants: FitConstants::default(),
    })
}

/// `recommend`: which models fit, ranked per Duo feature.
pub async fn recommend(
    state: &ApiState,
    params: RecommendParams,
) -> Result<Recommendation, ApiError> {
    let catalog = catalog_or_error()?;
    let gitlab = params
        .gitlab
        .as_deref()
        .map(|v| v.parse::<GitlabVersion>())
        .transpose()
        .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e).with_field("gitlab"))?;
    let (slots, memory) = hardware_slots(state, params.gpus.clone()).await?;
    let request = RecommendRequest {
        catalog,
        slots: &slots,
        gitlab,
        feature: params.feature.as_deref(),
        context: params.context,
        concurrency: params.concurrency.unwrap_or(1),
        gpu_memory_utilization: params.gpu_memory_utilization,
        constants: params.constants.unwrap_or_default(),
        system_memory_bytes: Some(memory),
    };
    fit::recommend_on_nodes(&request, params.nodes.unwrap_or(1)).map_err(fit_error)
}

/// `fit`: one model on the hardware, in detail: a catalog model, or one read from a config.
pub async fn fit(state: &ApiState, params: FitParams) -> Result<FitResult, ApiError> {
    let catalog = catalog_or_error()?;
    let own = match (params.model.as_deref(), params.config.clone()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "give either `model` (a catalog model) or `config` (a config.json), not both",
            )
            .with_field("config"))
        }
        (None, None) => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "name a catalog model, or give `config`: the path of a model's config.json",
            )
            .with_field("model"))
        }
        (None, Some(path)) => Some(
            blocking(move || {
                read_config_model(Path::new(&path)).map_err(|e| {
                    let message = match e.field {
                        Some(_) => format!("{path}: {e}"),
                        None => e.to_string(),
                    };
                    ApiError::new(ErrorCode::InvalidParameter, message).with_field("config")
                })
            })
            .await?,
        ),
        (Some(_), None) => None,
    };
    let id = params.model.as_deref().unwrap_or_default();
    // A checkpoint's own repository names the model and that checkpoint.
    let checkpoint = catalog
        .model(id)
        .is_none()
        .then(|| catalog.checkpoint(id))
        .flatten()
        .filter(|_| own.is_none());
    let model = match (&own, checkpoint) {
        (Some(own), _) => &own.model,
        (None, Some((model, _))) => model,
        (None, None) => catalog_model(catalog, id)?,
    };
    let named = params
        .variant
        .as_deref()
        .or(checkpoint.map(|(_, v)| v.name.as_str()));
    let variant = model.variant(named).ok_or_else(|| {
        let names: Vec<&str> = model.variants.iter().map(|v| v.name.as_str()).collect();
        ApiError::new(
            ErrorCode::UnknownVariant,
            format!(
                "{} has no checkpoint `{}`; it has: {}",
                model.name,
                params.variant.as_deref().unwrap_or_default(),
                if names.is_empty() {
                    "none (cloud-only)".to_owned()
                } else {
                    names.join(", ")
                }
            ),
        )
        .with_field("variant")
    })?;
    let (slots, _) = hardware_slots(state, params.gpus.clone()).await?;
    let request = FitRequest {
        model,
        variant,
        slots: &slots,
        context: params.context,
        concurrency: params.concurrency.unwrap_or(1),
        tensor_parallel_size: params.tensor_parallel_size,
        gpu_memory_utilization: params.gpu_memory_utilization,
        constants: params.constants.unwrap_or_default(),
    };
    let nodes = params.nodes.unwrap_or(1);
    match &own {
        Some(own) => fit::fit_config_model_on_nodes(own, &request, nodes),
        None => fit::fit_on_nodes(&request, nodes),
    }
    .map_err(fit_error)
}

fn catalog_model<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a Model, ApiError> {
    catalog.model(id).ok_or_else(|| {
        let ids: Vec<&str> = catalog
            .models
            .iter()
            .filter(|m| m.self_hostable())
            .map(|m| m.id.as_str())
            .collect();
        ApiError::new(
            ErrorCode::UnknownModel,
            format!(
                "`{id}` is not in the catalog; self-hostable models: {} (or give `config`: a model's config.json)",
                ids.join(", ")
            ),
        )
        .with_field("model")
    })
}

fn fit_error(error: fit::FitError) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, error.reason).with_field(error.field)
}

/// The GPUs as the fit sees them, and the machine's memory: a described machine when
/// `gpus` names one, else this server's hardware with the free memory of the latest sample.
async fn hardware_slots(
    state: &ApiState,
    gpus: Option<String>,
) -> Result<(Vec<Slot>, u64), ApiError> {
    let state = state.clone();
    blocking(move || {
        let memory = state
            .inner
            .system
            .info(&state.models_dir())
            .memory_total_bytes;
        if let Some(spec) = gpus {
            let description = HardwareDescription::from_spec_or_file(&spec)
                .map_err(|e| ApiError::from(e).with_field("gpus"))?;
            let gpus = DescribedProbe::new(description)
                .inventory()
                .map(|i| i.gpus)
                .unwrap_or_default();
            return Ok((Slot::from_gpus(&gpus, &|_| None), memory));
        }
        let probe = Arc::clone(&state.inner.probe);
        let gpus = probe.inventory().map(|i| i.gpus).unwrap_or_default();
        let sample = state.sampler().latest();
        let free = |index: u32| {
            sample
                .gpus
                .iter()
                .find(|g| g.index == index)
                .and_then(|g| g.memory_free_bytes)
        };
        Ok((Slot::from_gpus(&gpus, &free), memory))
    })
    .await
}
