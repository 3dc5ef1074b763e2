//! Running the gateway beside the control API: one listener, the key file in the data
//! folder, the request log under `logs/gateway`, and routes kept current from the engines
//! and settings. `duows serve` and the desktop app both start it through [`start_gateway`].

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::serve::ListenerExt;
use duows_base::access::HostRules;
use duows_core::data_dir::DataDir;
use duows_gateway::{check_bind, Gateway, GatewayConfig, KeyStore};

use crate::gateway_routes::keep_routes_current;
use crate::{ApiError, ApiState, ErrorCode};

/// Where and for whom the gateway listens.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Address and port (port 0 picks a free one).
    pub addr: SocketAddr,
    /// Host names accepted in `Host` besides IP literals, `localhost` and this machine's name.
    pub allowed_hosts: Vec<String>,
}

/// A gateway that is listening.
#[derive(Clone)]
pub struct GatewayHandle {
    /// The gateway.
    pub gateway: Gateway,
    /// Where it listens.
    pub local_addr: SocketAddr,
}

/// The gateway's key file in a data folder (`duows keys` and the server share it).
pub fn keys_file(data_dir: &DataDir) -> PathBuf {
    data_dir.root().join("gateway-keys.json")
}

/// The key store: the running gateway's own (so a key created or revoked here applies to
/// the very next request), else the key file of this program's data folder.
pub fn key_store(state: &ApiState) -> Result<KeyStore, ApiError> {
    if let Some(handle) = state.gateway() {
        return Ok(handle.gateway.keys().clone());
    }
    KeyStore::open(keys_file(state.data_dir()))
        .map_err(|e| ApiError::new(ErrorCode::KeysUnavailable, e.to_string()))
}

/// Binds the gateway and serves it until the program begins to stop; in-flight requests
/// drain. Off loopback it is refused unless an API key exists.
pub async fn start_gateway(
    state: &ApiState,
    options: GatewayOptions,
) -> Result<(GatewayHandle, tokio::task::JoinHandle<()>), ApiError> {
    let keys = key_store(state)?;
    check_bind(options.addr, &keys)
        .map_err(|e| ApiError::new(ErrorCode::GatewayRefused, e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|e| {
            ApiError::new(ErrorCode::GatewayPortInUse,
                format!(
                    "the gateway cannot listen on {}: {e} (another program, or another Duo Workstation, uses the port; choose another with --gateway-port)",
                    options.addr
                ),
            )
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let hostname = duows_core::hardware::SystemFacts::hostname();
    let config = GatewayConfig {
        hosts: HostRules::new(hostname.into_iter().chain(options.allowed_hosts)),
        loopback: options.addr.ip().is_loopback(),
        request_log_dir: Some(state.data_dir().logs_dir().join("gateway")),
        log_bodies: state.settings_snapshot().log_prompts,
        ..GatewayConfig::default()
    };
    let gateway = Gateway::new(config, keys);
    let handle = GatewayHandle {
        gateway: gateway.clone(),
        local_addr,
    };
    state.set_gateway(handle.clone());
    tokio::spawn(keep_routes_current(state.clone(), gateway.clone()));
    tokio::spawn(crate::deployment_checks::keep_deployments_checked(
        state.clone(),
    ));
    let stopped = state.stopped();
    // Streamed answers are many small writes: without TCP_NODELAY each one waits for the
    // client's acknowledgement of the one before (up to its delayed-ACK time, 40 ms on Linux).
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on a gateway connection");
        }
    });
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, gateway.router())
            .with_graceful_shutdown(stopped)
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the gateway stopped");
        }
    });
    tracing::info!(%local_addr, "gateway listening");
    Ok((handle, task))
}
