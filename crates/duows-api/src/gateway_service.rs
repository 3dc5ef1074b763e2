//! Running the gateway beside the control API: one listener (which can move between
//! loopback and the network, [`crate::gateway_listener`]), the key file in the data folder,
//! the request log under `logs/gateway`, and routes kept current from the engines and
//! settings. `duows serve` and the desktop app both start it through [`start_gateway`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use duows_base::access::HostRules;
use duows_core::data_dir::DataDir;
use duows_gateway::{check_bind, Gateway, GatewayConfig, KeyStore};

use crate::gateway_listener::{GatewayListener, LOOPBACK_HOST, NETWORK_HOST};
use crate::gateway_routes::keep_routes_current;
use crate::{ApiError, ApiState, ErrorCode};

/// Where and for whom the gateway listens.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Address and port (port 0 picks a free one).
    pub addr: SocketAddr,
    /// Host names accepted in `Host` besides IP literals, `localhost` and this machine's name.
    pub allowed_hosts: Vec<String>,
    /// The command-line option that chose the address (`--gateway-host 0.0.0.0`), if one
    /// did: the address then stays for this run. `None`: the settings' network switch
    /// chose it, and it moves when the switch changes.
    pub pinned_by: Option<String>,
}

/// The gateway's host as the settings in force say (their network switch).
pub fn configured_host(state: &ApiState) -> IpAddr {
    host_for(state.settings_snapshot().gateway_open_to_network)
}

/// The gateway's host for the network switch: every interface when open to the network,
/// loopback otherwise.
pub fn host_for(open_to_network: bool) -> IpAddr {
    if open_to_network {
        NETWORK_HOST
    } else {
        LOOPBACK_HOST
    }
}

/// A gateway that is listening.
#[derive(Clone)]
pub struct GatewayHandle {
    /// The gateway.
    pub gateway: Gateway,
    /// Its socket.
    pub listener: Arc<GatewayListener>,
}

impl GatewayHandle {
    /// Where it listens now.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }
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
/// drain. Off loopback it needs an API key: an address from the command line is refused
/// without one; the settings' network switch without one (the last key revoked since) falls
/// back to loopback and says why.
pub async fn start_gateway(
    state: &ApiState,
    mut options: GatewayOptions,
) -> Result<(GatewayHandle, tokio::task::JoinHandle<()>), ApiError> {
    let keys = key_store(state)?;
    let mut problem = None;
    if let Err(error) = check_bind(options.addr, &keys) {
        if options.pinned_by.is_some() {
            return Err(ApiError::new(ErrorCode::GatewayRefused, error.to_string()));
        }
        let message = format!(
            "the settings open the gateway to the network, but no API key is active: it listens on this machine only until a key exists and it is opened again ({error})"
        );
        tracing::warn!("{message}");
        problem = Some(message);
        options.addr = SocketAddr::new(host_for(false), options.addr.port());
    }
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
    let listener = GatewayListener::start(
        state,
        &gateway,
        listener,
        local_addr,
        options.pinned_by,
        problem,
    );
    let handle = GatewayHandle {
        gateway: gateway.clone(),
        listener: listener.clone(),
    };
    state.set_gateway(handle.clone());
    tokio::spawn(keep_routes_current(state.clone(), gateway.clone()));
    tokio::spawn(crate::deployment_checks::keep_deployments_checked(
        state.clone(),
    ));
    let stopped = state.stopped();
    let task = tokio::spawn(async move {
        stopped.await;
        listener.finished().await;
    });
    tracing::info!(%local_addr, "gateway listening");
    Ok((handle, task))
}
