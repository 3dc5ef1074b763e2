//! Tauri commands: each is a thin adapter over the API function of the same name.

use duows_api::calls::{self, DescribeRequest, VersionInfo};
use duows_api::{ApiError, ApiState};
use duows_core::hardware::HardwareReport;
use duows_core::sampler::Sample;
use duows_core::settings::Settings;
use tauri::ipc::Channel;
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
pub fn latest_sample(state: State<'_, ApiState>) -> Sample {
    calls::latest_sample(&state)
}

/// Sends every new sample to `on_sample` until the page drops the channel.
#[tauri::command]
pub fn subscribe_samples(state: State<'_, ApiState>, on_sample: Channel<Sample>) {
    let mut samples = state.sampler().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let sample = samples.borrow_and_update().as_ref().clone();
            if on_sample.send(sample).is_err() || samples.changed().await.is_err() {
                break;
            }
        }
    });
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
