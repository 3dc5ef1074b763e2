//! GitLab's AI gateway beside this app: its files generated for the user's GitLab version
//! (`ai_gateway_setup`), its container started and stopped where Docker or Podman is
//! installed, and its state with its health (`ai_gateway_status`).

use std::path::PathBuf;

use duows_core::aigw::{
    self, AigwConfig, AigwKeys, ContainerRuntime, ContainerState, GeneratedFiles, Placement,
};
use serde::{Deserialize, Serialize};

use crate::{ApiError, ApiState, ErrorCode};

/// What `ai_gateway_status` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AiGatewayStatus {
    /// The configuration, once set up.
    #[ts(optional)]
    pub config: Option<AigwConfig>,
    /// The folder of its files.
    pub dir: PathBuf,
    /// `docker` or `podman`, when one is installed.
    #[ts(optional)]
    pub runtime: Option<String>,
    /// The container.
    pub container: ContainerState,
    /// The AI gateway's address on this machine (same-host placement).
    #[ts(optional)]
    pub url: Option<String>,
    /// Whether `GET /monitoring/healthz` answered, and in how many ms; or why not.
    #[ts(optional)]
    pub health: Option<HealthView>,
}

/// One health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HealthView {
    /// It answered 200.
    pub healthy: bool,
    /// In words.
    pub message: String,
}

/// Body of `ai_gateway_setup`: the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AiGatewaySetupParams {
    /// GitLab's address, version and where the AI gateway runs.
    pub config: AigwConfig,
}

fn dir(state: &ApiState) -> PathBuf {
    state.data_dir().root().join("ai-gateway")
}

/// The configuration written by the last setup, if any.
pub fn configured(state: &ApiState) -> Option<AigwConfig> {
    let text = std::fs::read_to_string(dir(state).join("config.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn runtime() -> Option<ContainerRuntime> {
    ContainerRuntime::find(std::env::var_os("PATH").as_deref())
}

/// `ai_gateway_setup`: checks the configuration, makes the keys once, writes the files.
pub async fn ai_gateway_setup(
    state: &ApiState,
    params: AiGatewaySetupParams,
) -> Result<GeneratedFiles, ApiError> {
    let config = params.config.validated().map_err(|e| {
        ApiError::new(ErrorCode::InvalidParameter, e.reason.clone())
            .with_field(format!("config.{}", e.field))
    })?;
    let folder = dir(state);
    super::blocking(move || {
        let hostname = duows_core::hardware::SystemFacts::hostname();
        aigw::write_files(&folder, &config, hostname.as_deref())
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
    })
    .await
}

/// `ai_gateway_status`: the configuration, the container and its health.
pub async fn ai_gateway_status(state: &ApiState) -> Result<AiGatewayStatus, ApiError> {
    let config = configured(state);
    let folder = dir(state);
    let (runtime_name, container) = super::blocking(move || {
        Ok(match runtime() {
            Some(r) => (Some(r.name.clone()), r.state()),
            None => (
                None,
                ContainerState::NoRuntime {
                    fix: ContainerRuntime::install_fix(),
                },
            ),
        })
    })
    .await?;
    let url = config
        .as_ref()
        .filter(|c| c.placement == Placement::SameHost)
        .map(|_| aigw::local_base());
    let health = match &url {
        Some(base) => {
            let client = reqwest::Client::builder()
                .no_proxy()
                .build()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Some(match aigw::health(&client, base).await {
                Ok(ms) => HealthView {
                    healthy: true,
                    message: format!("healthy ({ms} ms)"),
                },
                Err(reason) => HealthView {
                    healthy: false,
                    message: reason,
                },
            })
        }
        None => None,
    };
    Ok(AiGatewayStatus {
        config,
        dir: folder,
        runtime: runtime_name,
        container,
        url,
        health,
    })
}

/// `ai_gateway_start`: starts (or restarts) the container with the keys in the runtime's
/// environment.
pub async fn ai_gateway_start(state: &ApiState) -> Result<AiGatewayStatus, ApiError> {
    let config = configured(state).ok_or_else(not_set_up)?;
    let folder = dir(state);
    super::blocking(move || {
        let runtime = runtime().ok_or_else(no_runtime)?;
        let keys =
            AigwKeys::load_or_create(&folder).map_err(|e| ApiError::internal(e.to_string()))?;
        runtime
            .start(&config, &keys)
            .map_err(|e| ApiError::new(ErrorCode::ContainerFailed, e))?;
        Ok(())
    })
    .await?;
    ai_gateway_status(state).await
}

/// `ai_gateway_stop`: stops and removes the container.
pub async fn ai_gateway_stop(state: &ApiState) -> Result<AiGatewayStatus, ApiError> {
    super::blocking(|| {
        let runtime = runtime().ok_or_else(no_runtime)?;
        runtime
            .remove()
            .map_err(|e| ApiError::new(ErrorCode::ContainerFailed, e))
    })
    .await?;
    ai_gateway_status(state).await
}

fn not_set_up() -> ApiError {
    ApiError::new(
        ErrorCode::AiGatewayNotSetUp,
        "the AI gateway is not set up: run its setup first (GitLab's address and version)",
    )
}

fn no_runtime() -> ApiError {
    ApiError::new(
        ErrorCode::NoContainerRuntime,
        format!(
            "neither Docker nor Podman is installed. {}",
            ContainerRuntime::install_fix()
        ),
    )
}
