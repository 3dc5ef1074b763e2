//! Declares the app's commands so capabilities can grant them one by one.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "version",
        "hardware",
        "describe_hardware",
        "latest_sample",
        "subscribe_samples",
        "settings",
        "update_settings",
        "catalog",
        "recommend",
        "fit",
        "engine_plan",
        "engine_start",
        "engine_status",
        "engine_stop",
        "engine_retry",
        "engine_remove",
        "engine_logs",
        "engine_install",
        "model_download",
        "jobs",
        "job_cancel",
        "gateway_info",
        "keys",
        "key_create",
        "key_revoke",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("Tauri build configuration");
}
