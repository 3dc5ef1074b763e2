//! Tauri commands: each is a thin adapter over the API function of the same name. Every
//! one that reads a file, the driver or the network is async, so none runs on the
//! window's main thread; the streams are in [`crate::subscriptions`].

use duows_api::calls::{
    self, AiGatewaySetupParams, AiGatewayStatus, CatalogView, ConfigExport, ConfigImportParams,
    CreatedKey, DashboardView, DeploymentRef, DescribeRequest, DownloadParams, EnginePlanParams,
    EnginePlanView, EngineStartParams, FitParams, GatewayInfo, GitlabParams, GitlabStepsParams,
    InstallParams, JobStatus, KeyCreateParams, KeyRevokeParams, LogsParams, RecommendParams,
    VersionInfo,
};
use duows_api::calls::{ClusterJoinParams, ClusterRemoveParams, ClusterView};
use duows_api::{ApiError, ApiState};
use duows_core::aigw::GeneratedFiles;
use duows_core::cluster::{
    ClusterStartRequest, Heartbeat, HeartbeatAnswer, IssuedToken, JoinRequest, Joined, NodeView,
    RayClusterStatus,
};
use duows_core::deployment_check::DeploymentCheck;
use duows_core::doctor::DoctorReport;
use duows_core::engine::EngineStatus;
use duows_core::fit::{FitResult, Recommendation};
use duows_core::gitlab::{ApplyReport, ManualSteps, Plan};
use duows_core::hardware::HardwareReport;
use duows_core::log_search::LogSearch;
use duows_core::sampler::Sample;
use duows_core::settings::Settings;
use duows_gateway::KeyInfo;
use tauri::State;

#[tauri::command]
pub fn version() -> VersionInfo {
    calls::version()
}

#[tauri::command]
pub async fn hardware(state: State<'_, ApiState>) -> Result<HardwareReport, ApiError> {
    calls::hardware(&state).await
}

#[tauri::command]
pub async fn describe_hardware(
    state: State<'_, ApiState>,
    spec: String,
) -> Result<HardwareReport, ApiError> {
    calls::describe_hardware(&state, DescribeRequest { spec }).await
}

#[tauri::command]
pub async fn latest_sample(state: State<'_, ApiState>) -> Result<Sample, ApiError> {
    Ok(calls::latest_sample(&state))
}

#[tauri::command]
pub async fn sample_history(
    state: State<'_, ApiState>,
    minutes: Option<u32>,
    points: Option<usize>,
) -> Result<Vec<Sample>, ApiError> {
    calls::sample_history(&state, minutes, points)
}

#[tauri::command]
pub async fn dashboard(
    state: State<'_, ApiState>,
    minutes: Option<u32>,
) -> Result<DashboardView, ApiError> {
    calls::dashboard(&state, minutes).await
}

#[tauri::command]
pub async fn logs(state: State<'_, ApiState>, params: LogsParams) -> Result<LogSearch, ApiError> {
    calls::logs(&state, params).await
}

#[tauri::command]
pub async fn settings(state: State<'_, ApiState>) -> Result<Settings, ApiError> {
    Ok(calls::settings(&state).await)
}

#[tauri::command]
pub async fn update_settings(
    state: State<'_, ApiState>,
    settings: Settings,
) -> Result<Settings, ApiError> {
    calls::update_settings(&state, settings).await
}

#[tauri::command]
pub async fn catalog() -> Result<CatalogView, ApiError> {
    calls::catalog()
}

#[tauri::command]
pub async fn recommend(
    state: State<'_, ApiState>,
    params: RecommendParams,
) -> Result<Recommendation, ApiError> {
    calls::recommend(&state, params).await
}

#[tauri::command]
pub async fn fit(state: State<'_, ApiState>, params: FitParams) -> Result<FitResult, ApiError> {
    calls::fit(&state, params).await
}

#[tauri::command]
pub async fn engine_plan(
    state: State<'_, ApiState>,
    params: EnginePlanParams,
) -> Result<EnginePlanView, ApiError> {
    calls::engine_plan(&state, params).await
}

#[tauri::command]
pub async fn engine_start(
    state: State<'_, ApiState>,
    params: EngineStartParams,
) -> Result<EngineStatus, ApiError> {
    calls::engine_start(&state, params).await
}

#[tauri::command]
pub async fn engine_status(state: State<'_, ApiState>) -> Result<Vec<EngineStatus>, ApiError> {
    calls::engine_status(&state)
}

#[tauri::command]
pub async fn engine_stop(
    state: State<'_, ApiState>,
    name: String,
) -> Result<EngineStatus, ApiError> {
    calls::engine_stop(&state, &name).await
}

#[tauri::command]
pub async fn engine_retry(
    state: State<'_, ApiState>,
    name: String,
) -> Result<EngineStatus, ApiError> {
    calls::engine_retry(&state, &name).await
}

#[tauri::command]
pub async fn engine_apply_remedy(
    state: State<'_, ApiState>,
    name: String,
) -> Result<EngineStatus, ApiError> {
    calls::engine_apply_remedy(&state, &name).await
}

#[tauri::command]
pub async fn engine_remove(
    state: State<'_, ApiState>,
    name: String,
) -> Result<EngineStatus, ApiError> {
    calls::engine_remove(&state, &name)
}

#[tauri::command]
pub async fn engine_logs(
    state: State<'_, ApiState>,
    name: String,
    lines: Option<usize>,
) -> Result<Vec<String>, ApiError> {
    calls::engine_logs(&state, &name, lines)
}

#[tauri::command]
pub async fn engine_install(
    state: State<'_, ApiState>,
    params: InstallParams,
) -> Result<JobStatus, ApiError> {
    calls::engine_install(&state, params)
}

#[tauri::command]
pub async fn model_download(
    state: State<'_, ApiState>,
    params: DownloadParams,
) -> Result<JobStatus, ApiError> {
    calls::model_download(&state, params).await
}

#[tauri::command]
pub async fn jobs(state: State<'_, ApiState>) -> Result<Vec<JobStatus>, ApiError> {
    Ok(calls::jobs(&state))
}

#[tauri::command]
pub async fn job_cancel(state: State<'_, ApiState>, id: String) -> Result<JobStatus, ApiError> {
    calls::job_cancel(&state, &id)
}

/// `config_export`.
#[tauri::command]
pub async fn config_export(state: State<'_, ApiState>) -> Result<ConfigExport, ApiError> {
    calls::config_export(&state).await
}

/// `config_import`.
#[tauri::command]
pub async fn config_import(
    state: State<'_, ApiState>,
    params: ConfigImportParams,
) -> Result<ConfigExport, ApiError> {
    calls::config_import(&state, params).await
}

/// `doctor`.
#[tauri::command]
pub async fn doctor(state: State<'_, ApiState>) -> Result<DoctorReport, ApiError> {
    calls::doctor(&state).await
}

/// `gateway_info`.
#[tauri::command]
pub async fn gateway_info(state: State<'_, ApiState>) -> Result<GatewayInfo, ApiError> {
    calls::gateway_info(&state).await
}

/// `gateway_network`.
#[tauri::command]
pub async fn gateway_network(
    state: State<'_, ApiState>,
    params: calls::GatewayNetworkParams,
) -> Result<GatewayInfo, ApiError> {
    calls::gateway_network(&state, params).await
}

#[tauri::command]
pub async fn deployment_test(
    state: State<'_, ApiState>,
    params: DeploymentRef,
) -> Result<DeploymentCheck, ApiError> {
    calls::deployment_test(&state, params).await
}

/// `deployment_key`.
#[tauri::command]
pub async fn deployment_key(
    state: State<'_, ApiState>,
    params: calls::DeploymentKeyParams,
) -> Result<duows_core::settings::Settings, ApiError> {
    calls::deployment_key(&state, params).await
}

/// `features_rated`.
#[tauri::command]
pub async fn features_rated(
    state: State<'_, ApiState>,
    params: calls::FeaturesRatedParams,
) -> Result<calls::RatedAssignment, ApiError> {
    calls::features_rated(&state, params).await
}

/// `setup_status`.
#[tauri::command]
pub async fn setup_status(state: State<'_, ApiState>) -> Result<calls::SetupStatus, ApiError> {
    calls::setup_status(&state).await
}

/// `setup_update`.
#[tauri::command]
pub async fn setup_update(
    state: State<'_, ApiState>,
    params: calls::SetupUpdateParams,
) -> Result<calls::SetupStatus, ApiError> {
    calls::setup_update(&state, params).await
}

/// `setup_check`.
#[tauri::command]
pub async fn setup_check(state: State<'_, ApiState>) -> Result<calls::SetupCheck, ApiError> {
    calls::setup_check(&state).await
}

/// `setup_test`.
#[tauri::command]
pub async fn setup_test(state: State<'_, ApiState>) -> Result<calls::SetupTest, ApiError> {
    calls::setup_test(&state).await
}

/// `ai_gateway_status`.
#[tauri::command]
pub async fn ai_gateway_status(state: State<'_, ApiState>) -> Result<AiGatewayStatus, ApiError> {
    calls::ai_gateway_status(&state).await
}

/// `ai_gateway_setup`.
#[tauri::command]
pub async fn ai_gateway_setup(
    state: State<'_, ApiState>,
    params: AiGatewaySetupParams,
) -> Result<GeneratedFiles, ApiError> {
    calls::ai_gateway_setup(&state, params).await
}

/// `ai_gateway_start`.
#[tauri::command]
pub async fn ai_gateway_start(state: State<'_, ApiState>) -> Result<AiGatewayStatus, ApiError> {
    calls::ai_gateway_start(&state).await
}

/// `ai_gateway_stop`.
#[tauri::command]
pub async fn ai_gateway_stop(state: State<'_, ApiState>) -> Result<AiGatewayStatus, ApiError> {
    calls::ai_gateway_stop(&state).await
}

#[tauri::command]
pub async fn keys(state: State<'_, ApiState>) -> Result<Vec<KeyInfo>, ApiError> {
    calls::keys(&state).await
}

#[tauri::command]
pub async fn key_create(
    state: State<'_, ApiState>,
    params: KeyCreateParams,
) -> Result<CreatedKey, ApiError> {
    calls::key_create(&state, params).await
}

#[tauri::command]
pub async fn key_revoke(
    state: State<'_, ApiState>,
    params: KeyRevokeParams,
) -> Result<KeyInfo, ApiError> {
    calls::key_revoke(&state, params).await
}

#[tauri::command]
pub async fn gitlab_plan(
    state: State<'_, ApiState>,
    params: GitlabParams,
) -> Result<Plan, ApiError> {
    calls::gitlab_plan(&state, params).await
}

#[tauri::command]
pub async fn gitlab_apply(
    state: State<'_, ApiState>,
    params: GitlabParams,
) -> Result<ApplyReport, ApiError> {
    calls::gitlab_apply(&state, params).await
}

#[tauri::command]
pub async fn gitlab_steps(
    state: State<'_, ApiState>,
    params: GitlabStepsParams,
) -> Result<ManualSteps, ApiError> {
    calls::gitlab_steps(&state, params).await
}

#[tauri::command]
pub async fn cluster_token(state: State<'_, ApiState>) -> Result<IssuedToken, ApiError> {
    calls::cluster_token(&state).await
}

/// `cluster_admit`: nodes call it over HTTP with the join token as their bearer; the
/// window has no token to present, so it is refused here.
#[tauri::command]
pub async fn cluster_admit(
    state: State<'_, ApiState>,
    params: JoinRequest,
) -> Result<Joined, ApiError> {
    calls::cluster_admit(&state, None, params).await
}

/// `cluster_heartbeat`: nodes call it over HTTP with their key as the bearer.
#[tauri::command]
pub async fn cluster_heartbeat(
    state: State<'_, ApiState>,
    params: Heartbeat,
) -> Result<HeartbeatAnswer, ApiError> {
    calls::cluster_heartbeat(&state, None, params).await
}

#[tauri::command]
pub async fn cluster_nodes(state: State<'_, ApiState>) -> Result<ClusterView, ApiError> {
    calls::cluster_nodes(&state).await
}

#[tauri::command]
pub async fn cluster_remove(
    state: State<'_, ApiState>,
    params: ClusterRemoveParams,
) -> Result<NodeView, ApiError> {
    calls::cluster_remove(&state, params).await
}

#[tauri::command]
pub async fn cluster_join(
    state: State<'_, ApiState>,
    params: ClusterJoinParams,
) -> Result<ClusterView, ApiError> {
    calls::cluster_join(&state, params).await
}

#[tauri::command]
pub async fn cluster_start(
    state: State<'_, ApiState>,
    params: ClusterStartRequest,
) -> Result<RayClusterStatus, ApiError> {
    calls::cluster_start(&state, params).await
}

#[tauri::command]
pub async fn cluster_stop(state: State<'_, ApiState>) -> Result<RayClusterStatus, ApiError> {
    calls::cluster_stop(&state).await
}
