//! Tauri commands: each is a thin adapter over the API function of the same name.

use duows_api::calls::{
    self, CatalogView, CreatedKey, DescribeRequest, DownloadParams, EnginePlanParams,
    EnginePlanView, EngineStartParams, FitParams, GatewayInfo, InstallParams, JobStatus,
    KeyCreateParams, KeyRevokeParams, RecommendParams, VersionInfo,
};
use duows_api::{ApiError, ApiState};
use duows_core::engine::EngineStatus;
use duows_core::fit::{FitResult, Recommendation};
use duows_core::hardware::HardwareReport;
use duows_core::sampler::Sample;
use duows_core::settings::Settings;
use duows_gateway::KeyInfo;
use std::collections::HashMap;
use std::sync::Mutex;

use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::{Runtime, State, Webview};

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
pub fn latest_sample(state: State<'_, ApiState>) -> Sample {
    calls::latest_sample(&state)
}

/// The sample forwarders, one per webview: a reloaded page subscribes again, and its
/// old forwarder (whose channel no longer has a listener) must stop.
#[derive(Default)]
pub struct SampleSubscriptions(Mutex<HashMap<String, JoinHandle<()>>>);

/// Sends every new sample to `on_sample`, replacing this webview's earlier subscription.
#[tauri::command]
pub fn subscribe_samples<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, ApiState>,
    subscriptions: State<'_, SampleSubscriptions>,
    on_sample: Channel<Sample>,
) {
    let mut samples = state.sampler().subscribe();
    let stopped = state.stopped();
    let forward = async move {
        loop {
            let sample = samples.borrow_and_update().as_ref().clone();
            if on_sample.send(sample).is_err() || samples.changed().await.is_err() {
                break;
            }
        }
    };
    let task = tauri::async_runtime::spawn(async move {
        tokio::select! {
            () = forward => {},
            () = stopped => {},
        }
    });
    let mut current = subscriptions.0.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(previous) = current.insert(webview.label().to_owned(), task) {
        previous.abort();
    }
}

#[tauri::command]
pub fn settings(state: State<'_, ApiState>) -> Settings {
    calls::settings(&state)
}

#[tauri::command]
pub async fn update_settings(
    state: State<'_, ApiState>,
    settings: Settings,
) -> Result<Settings, ApiError> {
    calls::update_settings(&state, settings).await
}

#[tauri::command]
pub fn catalog() -> Result<CatalogView, ApiError> {
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
pub fn engine_status(state: State<'_, ApiState>) -> Result<Vec<EngineStatus>, ApiError> {
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
pub async fn engine_remove(
    state: State<'_, ApiState>,
    name: String,
) -> Result<EngineStatus, ApiError> {
    calls::engine_remove(&state, &name)
}

#[tauri::command]
pub fn engine_logs(
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
    calls::model_download(&state, params)
}

#[tauri::command]
pub fn jobs(state: State<'_, ApiState>) -> Vec<JobStatus> {
    calls::jobs(&state)
}

#[tauri::command]
pub fn job_cancel(state: State<'_, ApiState>, id: String) -> Result<JobStatus, ApiError> {
    calls::job_cancel(&state, &id)
}

#[tauri::command]
pub fn gateway_info(state: State<'_, ApiState>) -> Result<GatewayInfo, ApiError> {
    calls::gateway_info(&state)
}

#[tauri::command]
pub fn keys(state: State<'_, ApiState>) -> Result<Vec<KeyInfo>, ApiError> {
    calls::keys(&state)
}

#[tauri::command]
pub fn key_create(
    state: State<'_, ApiState>,
    params: KeyCreateParams,
) -> Result<CreatedKey, ApiError> {
    calls::key_create(&state, params)
}

#[tauri::command]
pub fn key_revoke(
    state: State<'_, ApiState>,
    params: KeyRevokeParams,
) -> Result<KeyInfo, ApiError> {
    calls::key_revoke(&state, params)
}
