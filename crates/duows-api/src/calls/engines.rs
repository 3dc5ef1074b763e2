//! The engine calls. So far: the launch plan of a catalog model, as the user would run it.

use duows_core::catalog::Catalog;
use duows_core::engine::{self, LaunchPlan, PlanOptions, Secret};
use duows_core::fit::FitResult;
use serde::{Deserialize, Serialize};

use super::planning::{fit, FitParams};
use crate::{ApiError, ApiState};

/// Parameters of `engine_plan`: a fit's, plus the name to serve under.
/// (Spelled out: serde's `flatten` cannot be combined with `deny_unknown_fields`.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnginePlanParams {
    /// Catalog id or Hugging Face repo id.
    pub model: String,
    /// Checkpoint (default: the model's own).
    #[serde(default)]
    pub variant: Option<String>,
    /// A hardware spec to plan for instead of this machine.
    #[serde(default)]
    pub gpus: Option<String>,
    /// Desired context in tokens.
    #[serde(default)]
    pub context: Option<u32>,
    /// Requests that must fit at once.
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Use exactly this tensor-parallel size.
    #[serde(default)]
    pub tensor_parallel_size: Option<u32>,
    /// `--gpu-memory-utilization`.
    #[serde(default)]
    pub gpu_memory_utilization: Option<f64>,
    /// Name to serve the model under (default: its catalog id).
    #[serde(default)]
    pub name: Option<String>,
}

impl EnginePlanParams {
    fn fit_params(&self) -> FitParams {
        FitParams {
            model: self.model.clone(),
            variant: self.variant.clone(),
            gpus: self.gpus.clone(),
            context: self.context,
            concurrency: self.concurrency,
            tensor_parallel_size: self.tensor_parallel_size,
            gpu_memory_utilization: self.gpu_memory_utilization,
            constants: None,
        }
    }
}

/// A launch plan with what it is based on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnginePlanView {
    /// The plan (program, arguments, environment with secrets hidden, files to prepare).
    pub plan: LaunchPlan,
    /// The command as a user would type it, key hidden.
    pub command_line: String,
    /// The engine's OpenAI-compatible base URL.
    pub base_url: String,
    /// The fit the sizing flags come from.
    pub fit: FitResult,
}

/// `engine_plan`: the vLLM launch plan for a model on the hardware.
pub async fn engine_plan(
    state: &ApiState,
    params: EnginePlanParams,
) -> Result<EnginePlanView, ApiError> {
    let fitted = fit(state, params.fit_params()).await?;
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let model = catalog
        .model(&params.model)
        .ok_or_else(|| ApiError::new(400, "unknown_model", "unknown model").with_field("model"))?;
    let variant = model.variant(Some(&fitted.variant)).ok_or_else(|| {
        ApiError::new(400, "unknown_variant", "unknown checkpoint").with_field("variant")
    })?;
    let port =
        free_port().map_err(|e| ApiError::internal(format!("cannot find a free port: {e}")))?;
    let name = params.name.clone().unwrap_or_else(|| model.id.clone());
    let options = PlanOptions {
        program: "vllm".into(),
        model_dir: None,
        hf_home: state.data_dir().default_models_dir(),
        served_name: Some(name.clone()),
        port,
        run_dir: state.data_dir().root().join("engines").join(&name),
        api_key: Secret::random()
            .map_err(|e| ApiError::internal(format!("cannot make a key: {e}")))?,
    };
    let plan = engine::vllm_plan(model, variant, &fitted, &options)
        .map_err(|e| ApiError::new(400, "cannot_plan", e.reason).with_field(e.field))?;
    Ok(EnginePlanView {
        command_line: plan.command_line(),
        base_url: plan.base_url(),
        plan,
        fit: fitted,
    })
}

/// A port nobody listens on now (bind port 0 on loopback, read it, let it go).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}
