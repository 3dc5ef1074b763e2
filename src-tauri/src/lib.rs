//! The desktop shell: a Tauri window over the same API the headless server serves.
//!
//! [`commands`] are adapters over `duows_api::calls`; the shell adds only the window
//! and the Tauri transport. [`builder`] is generic over the runtime so tests boot the
//! app with Tauri's mock runtime, without a display.

pub mod commands;
pub mod subscriptions;

use std::sync::Arc;

use duows_api::{ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::{DescribedProbe, GpuProbe, HardwareDescription, NvmlProbe};
use tauri::Runtime;

/// Environment variable naming a hardware description (spec or JSON file) to use
/// instead of the driver, like `duows --gpus`.
pub const GPUS_ENV: &str = "DUOWS_GPUS";

/// The app with its state and commands, on any runtime (`base` is
/// `tauri::Builder::default()`, or `tauri::test::mock_builder()` in tests).
pub fn builder<R: Runtime>(base: tauri::Builder<R>, state: ApiState) -> tauri::Builder<R> {
    base.manage(state)
        .manage(subscriptions::Subscriptions::default())
        .invoke_handler(tauri::generate_handler![
            commands::version,
            commands::hardware,
            commands::describe_hardware,
            commands::latest_sample,
            subscriptions::subscribe_samples,
            subscriptions::subscribe_events,
            commands::sample_history,
            commands::dashboard,
            commands::logs,
            commands::settings,
            commands::update_settings,
            commands::catalog,
            commands::recommend,
            commands::fit,
            commands::engine_plan,
            commands::engine_start,
            commands::engine_status,
            commands::engine_stop,
            commands::engine_retry,
            commands::engine_apply_remedy,
            commands::engine_remove,
            commands::engine_logs,
            commands::engine_install,
            commands::model_download,
            commands::jobs,
            commands::job_cancel,
            commands::gateway_info,
            commands::gateway_network,
            commands::doctor,
            commands::config_export,
            commands::config_import,
            commands::ai_gateway_status,
            commands::ai_gateway_setup,
            commands::ai_gateway_start,
            commands::ai_gateway_stop,
            commands::deployment_test,
            commands::deployment_key,
            commands::features_rated,
            commands::setup_status,
            commands::setup_update,
            commands::setup_check,
            commands::setup_test,
            commands::keys,
            commands::key_create,
            commands::key_revoke,
            commands::gitlab_plan,
            commands::gitlab_apply,
            commands::gitlab_steps,
            commands::cluster_token,
            commands::cluster_admit,
            commands::cluster_heartbeat,
            commands::cluster_nodes,
            commands::cluster_remove,
            commands::cluster_join,
            commands::cluster_start,
            commands::cluster_stop,
        ])
}

/// The API state from the environment: the shared data folder, and the driver or
/// the description in `DUOWS_GPUS`.
pub fn state_from_env() -> Result<ApiState, String> {
    let data_dir = DataDir::from_env().map_err(|e| e.to_string())?;
    data_dir.ensure().map_err(|e| e.to_string())?;
    duows_core::logging::init(&data_dir, "desktop");
    let probe: Arc<dyn GpuProbe> = match std::env::var(GPUS_ENV).ok().filter(|v| !v.is_empty()) {
        Some(input) => Arc::new(DescribedProbe::new(
            HardwareDescription::from_spec_or_file(&input)
                .map_err(|e| format!("{GPUS_ENV}: {e}"))?,
        )),
        None => Arc::new(NvmlProbe::new()),
    };
    Ok(ApiState::new(StateOptions { data_dir, probe }))
}

/// Environment variable choosing the gateway's port (default 8000).
pub const GATEWAY_PORT_ENV: &str = "DUOWS_GATEWAY_PORT";

fn gateway_port() -> u16 {
    std::env::var(GATEWAY_PORT_ENV)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000)
}

/// The WebKitGTK setting the window needs on this machine: with the NVIDIA driver, WebKit's
/// DMA-BUF renderer shows a blank window, so it is turned off unless the user chose.
fn webkit_renderer_override(
    nvidia_driver: bool,
    user_choice: Option<&str>,
) -> Option<(&'static str, &'static str)> {
    (nvidia_driver && user_choice.is_none()).then_some(("WEBKIT_DISABLE_DMABUF_RENDERER", "1"))
}

/// WebKitGTK's accelerated compositing, off unless the user chose: the pages are plain
/// documents and 2D canvas charts, and without it the window's web process holds about
/// 100 MB less and draws the dashboard with half the CPU (bench/desktop.sh).
fn webkit_compositing_override(user_choice: Option<&str>) -> Option<(&'static str, &'static str)> {
    user_choice
        .is_none()
        .then_some(("WEBKIT_DISABLE_COMPOSITING_MODE", "1"))
}

/// Starts the desktop app.
pub fn run() {
    // Before any thread starts: the environment is read by WebKit when the window is made.
    let nvidia = std::path::Path::new("/proc/driver/nvidia/version").exists();
    let chosen = std::env::var("WEBKIT_DISABLE_DMABUF_RENDERER").ok();
    let compositing = std::env::var("WEBKIT_DISABLE_COMPOSITING_MODE").ok();
    let overrides = [
        webkit_renderer_override(nvidia, chosen.as_deref()),
        webkit_compositing_override(compositing.as_deref()),
    ];
    for (name, value) in overrides.into_iter().flatten() {
        std::env::set_var(name, value);
    }
    let state = match state_from_env() {
        Ok(state) => state,
        Err(message) => {
            eprintln!("Duo Workstation cannot start: {message}");
            std::process::exit(2);
        }
    };
    let engines = state.clone();
    let gateway_state = state.clone();
    // Window size and position between runs; disposable UI state for the web front end.
    let window_state = tauri_plugin_window_state::Builder::default()
        .with_state_flags(
            tauri_plugin_window_state::StateFlags::SIZE
                | tauri_plugin_window_state::StateFlags::POSITION
                | tauri_plugin_window_state::StateFlags::MAXIMIZED,
        )
        .build();
    let base = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(window_state);
    let app = match builder(base, state).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("Duo Workstation stopped with an error: {error}");
            std::process::exit(1);
        }
    };
    tauri::async_runtime::spawn(async move {
        // A member of a cluster tells its head it is there, like `duows serve`.
        duows_api::calls::spawn_heartbeat(gateway_state.clone());
        // The gateway where the settings' network switch says (loopback unless opened),
        // like `duows serve`; a busy port (say, a running `duows serve`) leaves the app
        // working without it, and the Gateway page says so.
        let options = duows_api::gateway_service::GatewayOptions {
            addr: std::net::SocketAddr::new(
                duows_api::gateway_service::configured_host(&gateway_state),
                gateway_port(),
            ),
            allowed_hosts: Vec::new(),
            pinned_by: None,
        };
        if let Err(error) = duows_api::gateway_service::start_gateway(&gateway_state, options).await
        {
            tracing::warn!(%error, "the gateway did not start");
        }
    });
    app.run(move |_, event| {
        // Engines live as long as the app: stop them (TERM to each group, then KILL).
        if let tauri::RunEvent::Exit = event {
            engines.begin_shutdown();
            tauri::async_runtime::block_on(engines.stop_engines());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{webkit_compositing_override, webkit_renderer_override};

    #[test]
    fn compositing_is_off_unless_the_user_chose() {
        assert_eq!(
            webkit_compositing_override(None),
            Some(("WEBKIT_DISABLE_COMPOSITING_MODE", "1"))
        );
        assert_eq!(webkit_compositing_override(Some("0")), None);
    }

    #[test]
    fn the_dmabuf_renderer_is_turned_off_only_with_the_nvidia_driver_and_no_user_choice() {
        assert_eq!(
            webkit_renderer_override(true, None),
            Some(("WEBKIT_DISABLE_DMABUF_RENDERER", "1"))
        );
        assert_eq!(
            webkit_renderer_override(true, Some("0")),
            None,
            "the user chose"
        );
        assert_eq!(
            webkit_renderer_override(false, None),
            None,
            "no NVIDIA driver"
        );
    }
}
