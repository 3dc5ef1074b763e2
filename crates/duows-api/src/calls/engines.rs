//! The engine calls: launch plans, and the engines this program runs (start, status,
//! stop, logs). Engines live as long as the program that started them.

use duows_core::catalog::Catalog;
use duows_core::engine::{
    self, EngineStatus, LaunchPlan, LlamaCppOptions, PlanOptions, Secret, SupervisionPolicy,
    SupervisorError,
};
use duows_core::fit::FitResult;
use serde::{Deserialize, Serialize};

use super::planning::{fit, FitParams};
use crate::{ApiError, ApiState};

/// Parameters of `engine_start` and `engine_plan`: a catalog model (vLLM) or a GGUF
/// file (llama.cpp's server). A plan is exactly what a start with the same parameters runs.
/// The fit fields are spelled out rather than a flattened `FitParams`: serde's `flatten`
/// cannot be combined with `deny_unknown_fields`, and unknown fields must be refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineParams {
    /// Catalog id or Hugging Face repo id, served by vLLM.
    #[serde(default)]
    pub model: Option<String>,
    /// Checkpoint of `model` (default: the model's own).
    #[serde(default)]
    pub variant: Option<String>,
    /// A GGUF file, served by llama.cpp's server.
    #[serde(default)]
    pub gguf: Option<String>,
    /// Plan only: a hardware spec to plan for instead of this machine.
    #[serde(default)]
    pub gpus: Option<String>,
    /// Name to serve under (default: the catalog id, or the file name).
    #[serde(default)]
    pub name: Option<String>,
    /// Context length in tokens.
    #[serde(default)]
    pub context: Option<u32>,
    /// Requests that must fit at once (vLLM).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Use exactly this tensor-parallel size (vLLM).
    #[serde(default)]
    pub tensor_parallel_size: Option<u32>,
    /// `--gpu-memory-utilization` (vLLM).
    #[serde(default)]
    pub gpu_memory_utilization: Option<f64>,
    /// Layers to offload to a GPU (llama.cpp; default 0, CPU only).
    #[serde(default)]
    pub gpu_layers: Option<u32>,
    /// The model's local folder (vLLM; default: its download in the models folder, if any).
    #[serde(default)]
    pub model_dir: Option<String>,
}

/// `engine_plan`'s parameters.
pub type EnginePlanParams = EngineParams;
/// `engine_start`'s parameters.
pub type EngineStartParams = EngineParams;

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
}

/// `engine_plan`: the launch plan a start with the same parameters would run.
pub async fn engine_plan(
    state: &ApiState,
    params: EngineParams,
) -> Result<EnginePlanView, ApiError> {
    let (plan, fit) = build_plan(state, &params).await?;
    Ok(EnginePlanView {
        command_line: plan.command_line(),
        base_url: plan.base_url(),
        plan,
        fit,
    })
}

/// The plan for `params`, and the fit it is sized by (catalog models).
async fn build_plan(
    state: &ApiState,
    params: &EngineParams,
) -> Result<(LaunchPlan, Option<FitResult>), ApiError> {
    let port =
        free_port().map_err(|e| ApiError::internal(format!("cannot find a free port: {e}")))?;
    let api_key =
        Secret::random().map_err(|e| ApiError::internal(format!("cannot make a key: {e}")))?;
    match (&params.model, &params.gguf) {
        (Some(_), Some(_)) | (None, None) => Err(ApiError::new(
            400,
            "invalid_parameter",
            "name either a catalog model (`model`) or a GGUF file (`gguf`), not both",
        )
        .with_field(if params.model.is_some() {
            "gguf"
        } else {
            "model"
        })),
        (None, Some(gguf)) => {
            if params.gpus.is_some() {
                return Err(ApiError::new(
                    400,
                    "invalid_parameter",
                    "a GGUF engine runs on this machine; `gpus` plans catalog models only",
                )
                .with_field("gpus"));
            }
            let file = std::path::PathBuf::from(gguf);
            if !file.is_file() {
                return Err(ApiError::new(
                    400,
                    "invalid_parameter",
                    format!("{gguf} is not a file"),
                )
                .with_field("gguf"));
            }
            let file = file.canonicalize().unwrap_or(file);
            let options = PlanOptions {
                program: llama_cpp_python(state)?,
                model_dir: None,
                hf_home: state.models_dir(),
                served_name: params.name.clone(),
                port,
                run_dir: state.data_dir().root().join("engines"),
                api_key,
            };
            let llama = LlamaCppOptions {
                python: options.program.clone(),
                gguf: file,
                context: params.context.unwrap_or(4096),
                gpu_layers: params.gpu_layers.unwrap_or(0),
            };
            Ok((
                engine::llama_cpp_plan(&llama, &options).map_err(plan_error)?,
                None,
            ))
        }
        (Some(model_id), None) => {
            let fit_params = FitParams {
                model: model_id.clone(),
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
                ApiError::new(400, "unknown_model", "unknown model").with_field("model")
            })?;
            let variant = model.variant(Some(&fitted.variant)).ok_or_else(|| {
                ApiError::new(400, "unknown_variant", "unknown checkpoint").with_field("variant")
            })?;
            let name = params.name.clone().unwrap_or_else(|| model.id.clone());
            let options = PlanOptions {
                program: engine::installed::locate_vllm(state.data_dir().root()).0,
                model_dir: model_dir(state, variant, params.model_dir.as_deref())?,
                hf_home: state.models_dir(),
                served_name: Some(name.clone()),
                port,
                run_dir: state.data_dir().root().join("engines").join(&name),
                api_key,
            };
            let plan = engine::vllm_plan(model, variant, &fitted, &options).map_err(plan_error)?;
            Ok((plan, Some(fitted)))
        }
    }
}

/// A port nobody listens on now (bind port 0 on loopback, read it, let it go).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

/// The Python of llama.cpp's server (`engine::installed::locate_llama_cpp_python`), or
/// what to install when it is missing.
fn llama_cpp_python(state: &ApiState) -> Result<std::path::PathBuf, ApiError> {
    let root = state.data_dir().root();
    let path = engine::installed::locate_llama_cpp_python(root);
    if path.exists() {
        return Ok(path);
    }
    let venv = engine::installed::llama_cpp_venv(root);
    Err(ApiError::new(
        409,
        "engine_not_installed",
        format!(
            "llama.cpp's server is not installed at {}: create it with `python3 -m venv {} && {}/bin/pip install 'llama-cpp-python[server]'`, or set DUOWS_LLAMA_CPP_PYTHON",
            path.display(),
            venv.display(),
            venv.display(),
        ),
    ))
}

/// `engine_start`: starts and supervises an engine; answers at once with its first status.
pub async fn engine_start(
    state: &ApiState,
    params: EngineParams,
) -> Result<EngineStatus, ApiError> {
    if params.gpus.is_some() {
        return Err(ApiError::new(
            400,
            "invalid_parameter",
            "an engine starts on this machine's GPUs; `gpus` is for plans only",
        )
        .with_field("gpus"));
    }
    let (plan, _) = build_plan(state, &params).await?;
    if plan.kind == engine::EngineKind::Vllm {
        check_vllm_version(state, &params).await?;
    }
    let policy = SupervisionPolicy::for_engine(plan.kind);
    let status = state
        .supervisor()?
        .start(plan, policy)
        .map_err(supervisor_error)?;
    let first = status.borrow().clone();
    Ok(first)
}

/// Refuses an installed vLLM older than the model needs. A missing vLLM is left to the
/// supervisor, whose `executable_missing` failure says what to install.
async fn check_vllm_version(state: &ApiState, params: &EngineParams) -> Result<(), ApiError> {
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let Some(model) = params.model.as_deref().and_then(|m| catalog.model(m)) else {
        return Ok(());
    };
    let Some(minimum) = model.serving.as_ref().map(|s| s.min_vllm.clone()) else {
        return Ok(());
    };
    let root = state.data_dir().root().to_path_buf();
    let found = tokio::task::spawn_blocking(move || engine::installed::find_vllm(&root))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    match &found.version {
        Some(version) if !found.satisfies(&minimum) => Err(ApiError::new(
            409,
            "engine_too_old",
            format!(
                "vLLM {version} ({}) is older than {minimum}, which {} needs: update it",
                found.program.display(),
                model.name
            ),
        )),
        _ => Ok(()),
    }
}

/// `engine_status`: every engine this program runs.
pub fn engine_status(state: &ApiState) -> Result<Vec<EngineStatus>, ApiError> {
    Ok(state.supervisor()?.statuses())
}

/// `engine_stop`: stops an engine and waits until no process of it is left.
pub async fn engine_stop(state: &ApiState, name: &str) -> Result<EngineStatus, ApiError> {
    state
        .supervisor()?
        .stop(name)
        .await
        .map_err(supervisor_error)
}

/// `engine_logs`: the last `lines` lines an engine printed.
pub fn engine_logs(
    state: &ApiState,
    name: &str,
    lines: Option<usize>,
) -> Result<Vec<String>, ApiError> {
    let lines = lines
        .unwrap_or(200)
        .min(duows_core::engine::log::TAIL_LINES);
    state
        .supervisor()?
        .logs(name, lines)
        .map_err(supervisor_error)
}

/// The folder to serve from: the one given (checked against the catalog), else the
/// checkpoint's download in the models folder (checked too), else none (the engine then
/// reads the hub itself).
fn model_dir(
    state: &ApiState,
    variant: &duows_core::catalog::Variant,
    given: Option<&str>,
) -> Result<Option<std::path::PathBuf>, ApiError> {
    let folder_error = |e: engine::folder::FolderError| {
        ApiError::new(400, "invalid_model_folder", e.to_string()).with_field("model_dir")
    };
    if let Some(dir) = given {
        let dir = std::path::PathBuf::from(dir);
        engine::folder::check_model_folder(&dir, variant).map_err(folder_error)?;
        return Ok(Some(dir));
    }
    let hf_home = state.models_dir();
    match engine::folder::cached_snapshot(&hf_home, &variant.repo, "main") {
        Some(snapshot) => {
            engine::folder::check_model_folder(&snapshot, variant).map_err(folder_error)?;
            Ok(Some(snapshot))
        }
        None => Ok(None),
    }
}

fn plan_error(error: engine::PlanError) -> ApiError {
    ApiError::new(400, "cannot_plan", error.reason).with_field(error.field)
}

fn supervisor_error(error: SupervisorError) -> ApiError {
    match error {
        SupervisorError::NameTaken(_) => {
            ApiError::new(409, "engine_exists", error.to_string()).with_field("name")
        }
        SupervisorError::Unknown(_) => ApiError::new(404, "unknown_engine", error.to_string()),
    }
}
