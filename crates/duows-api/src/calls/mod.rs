//! The API functions. Both transports call exactly these.

mod ai_gateway;
mod cluster;
mod cluster_engine;
mod cluster_errors;
mod config;
mod dashboard;
mod deployments;
mod doctor;
mod engine_checkpoint;
mod engine_remedy;
mod engines;
mod gateway;
mod gateway_network;
mod gateway_probe;
mod gitlab;
mod jobs;
mod kubernetes;
mod launch;
mod planning;
mod setup;

pub use ai_gateway::{
    ai_gateway_setup, ai_gateway_start, ai_gateway_status, ai_gateway_stop, AiGatewaySetupParams,
    AiGatewayStatus, HealthView,
};
pub use cluster::{
    cluster_admit, cluster_heartbeat, cluster_join, cluster_nodes, cluster_remove, cluster_start,
    cluster_stop, cluster_token, spawn_heartbeat, ClusterJoinParams, ClusterRemoveParams,
    ClusterRole, ClusterView, HEARTBEAT_EVERY,
};
pub use config::{config_export, config_import, ConfigExport, ConfigImportParams, EXPORT_FORMAT};
pub use dashboard::{dashboard, logs, DashboardView, LogsParams};
pub use deployments::{
    deployment_key, deployment_test, features_rated, DeploymentKeyParams, DeploymentRef,
    DeploymentView, FeaturesRatedParams, RatedAssignment,
};
pub use doctor::doctor;
pub use engine_remedy::engine_apply_remedy;
pub use engines::{
    engine_logs, engine_remove, engine_retry, engine_start, engine_status, engine_stop,
    EngineParams, EnginePlanParams, EngineStartParams,
};
pub use gateway::{
    gateway_info, key_create, key_revoke, keys, CreatedKey, GatewayInfo, KeyCreateParams,
    KeyRevokeParams,
};
pub use gateway_network::{gateway_network, GatewayNetworkParams};
pub use gitlab::{gitlab_apply, gitlab_plan, gitlab_steps, GitlabParams, GitlabStepsParams};
pub use jobs::{
    engine_install, job_cancel, jobs, model_download, DownloadParams, InstallParams, JobFailure,
    JobKind, JobRef, JobState, JobStatus,
};
pub use kubernetes::{kubernetes_export, KubernetesParams};
pub use launch::{cluster_plan, engine_plan, EnginePlanView};
pub use planning::{catalog, fit, recommend, CatalogView, FitParams, RecommendParams};
pub use setup::{
    setup_check, setup_status, setup_test, setup_update, SetupCheck, SetupDownload, SetupStatus,
    SetupTest, SetupUpdateParams,
};

use std::sync::Arc;

use duows_core::hardware::{DescribedProbe, GpuProbe, HardwareDescription, HardwareReport};
use duows_core::sampler::Sample;
use duows_core::settings::{Settings, SettingsError};
use serde::{Deserialize, Serialize};

use crate::{ApiError, ApiState, ErrorCode};

/// The app's name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VersionInfo {
    /// "Duo Workstation".
    pub name: String,
    /// The build's version.
    pub version: String,
}

/// Body of `describe_hardware`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DescribeRequest {
    /// A hardware spec such as `2xA100-80GB`.
    pub spec: String,
}

/// `version`: the app's name and version.
pub fn version() -> VersionInfo {
    VersionInfo {
        name: duows_core::PRODUCT_NAME.to_owned(),
        version: duows_core::VERSION.to_owned(),
    }
}

/// `hardware`: the GPUs (detected, or described at start), driver state and system facts.
pub async fn hardware(state: &ApiState) -> Result<HardwareReport, ApiError> {
    let state = state.clone();
    blocking(move || {
        let probe = Arc::clone(&state.inner.probe);
        Ok(report(&state, probe.as_ref()))
    })
    .await
}

/// `describe_hardware`: the report for a described machine (planning), with this
/// machine's system facts.
pub async fn describe_hardware(
    state: &ApiState,
    request: DescribeRequest,
) -> Result<HardwareReport, ApiError> {
    let description = HardwareDescription::from_spec(&request.spec)?;
    let state = state.clone();
    blocking(move || Ok(report(&state, &DescribedProbe::new(description)))).await
}

/// `sample_history`: the samples of the last `minutes` (1–60, default 60), at most
/// `points` of them (default 3600), evenly thinned, oldest first.
pub fn sample_history(
    state: &ApiState,
    minutes: Option<u32>,
    points: Option<usize>,
) -> Result<Vec<Sample>, ApiError> {
    let minutes = minutes.unwrap_or(60);
    if !(1..=60).contains(&minutes) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "minutes must be between 1 and 60 (the history keeps one hour)",
        )
        .with_field("minutes"));
    }
    let points = points.unwrap_or(duows_core::sample_history::HISTORY_CAPACITY);
    if points == 0 {
        return Err(
            ApiError::new(ErrorCode::InvalidParameter, "points must be at least 1")
                .with_field("points"),
        );
    }
    let latest = state.sampler().latest().timestamp_ms;
    let since = latest.saturating_sub(u64::from(minutes) * 60_000);
    let window = state.sampler().history().window(since, points);
    Ok(window.iter().map(|s| s.as_ref().clone()).collect())
}

/// `latest_sample`: the newest 1 Hz sample.
pub fn latest_sample(state: &ApiState) -> Sample {
    state.sampler().latest().as_ref().clone()
}

/// `settings`: the settings in force, re-read from the store file so a change made by
/// the other program (desktop app or `duows`) shows up.
pub async fn settings(state: &ApiState) -> Settings {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        state.reload_settings();
        state.settings_snapshot()
    })
    .await
    .unwrap_or_default()
}

/// `update_settings`: validates, writes the store file atomically, then applies.
/// On any error nothing changes on disk; if the other program changed the file since it
/// was read, the save is refused (409) and the settings in force are reloaded from it.
pub async fn update_settings(state: &ApiState, settings: Settings) -> Result<Settings, ApiError> {
    settings.validate()?;
    let _one_update = state.inner.update_lock.lock().await;
    // The network switch moves the running gateway first: a refused move saves nothing.
    let moved = gateway_network::follow_switch(state, settings.gateway_open_to_network).await?;
    let saving = state.clone();
    let saved = blocking(move || {
        let state = saving;
        let inner = &state.inner;
        let _writer = inner.save_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(error) = inner.store.save(&settings) {
            if matches!(error, SettingsError::ChangedElsewhere { .. }) {
                state.reload_settings();
            }
            return Err(error.into());
        }
        state.put_settings(settings.clone());
        Ok(settings)
    })
    .await;
    if let (Err(_), Some(moved)) = (&saved, moved) {
        moved.undo(state).await;
    }
    saved
}

fn report(state: &ApiState, probe: &dyn GpuProbe) -> HardwareReport {
    let models_dir = state.models_dir();
    let system = state.inner.system.info(&models_dir);
    let mut report = HardwareReport::build(probe.inventory(), system);
    report
        .warnings
        .extend(state.inner.startup_warnings.iter().cloned());
    report
}

/// Runs file-system and driver calls off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("a background task failed: {e}")))?
}
