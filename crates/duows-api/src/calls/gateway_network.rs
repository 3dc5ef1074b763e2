//! The gateway's network switch: open to the network (GitLab or its AI gateway on another
//! machine) or this machine only. It is a setting (`gateway_open_to_network`), so it holds
//! for the next start too, and saving it moves the running gateway's socket at once.

use std::net::{IpAddr, SocketAddr};

use serde::Deserialize;

use super::gateway::{gateway_info, GatewayInfo};
use crate::gateway_listener::MoveError;
use crate::gateway_service::{host_for, key_store};
use crate::{ApiError, ApiState, ErrorCode};

/// Body of `gateway_network`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct GatewayNetworkParams {
    /// `true`: every network interface (a key is required then); `false`: this machine only.
    pub open: bool,
}

/// `gateway_network`: saves the switch and moves the gateway there; answers with the
/// gateway as it is now.
pub async fn gateway_network(
    state: &ApiState,
    params: GatewayNetworkParams,
) -> Result<GatewayInfo, ApiError> {
    let mut settings = super::settings(state).await;
    settings.gateway_open_to_network = params.open;
    super::update_settings(state, settings)
        .await
        .map_err(|error| match error.field.as_deref() {
            Some("gateway_open_to_network") => error.with_field("open"),
            _ => error,
        })?;
    gateway_info(state).await
}

/// A move of the gateway's socket made for a settings change, to undo if the save fails.
pub(crate) struct Moved {
    from: IpAddr,
}

/// Before settings with the switch at `open` are saved: moves the running gateway where the
/// switch says, judged by where its socket is (another program may have written the
/// settings file meanwhile). Refused — nothing moves, nothing is saved — when opening
/// without an active key (also when no gateway runs here: it would not start open), when
/// the command line fixed the address and the switch changes, or when the new address
/// cannot be listened on. Callers hold the settings update lock.
pub(crate) async fn follow_switch(state: &ApiState, open: bool) -> Result<Option<Moved>, ApiError> {
    let want = host_for(open);
    let saved = state.settings_snapshot().gateway_open_to_network;
    if open && duows_gateway::check_bind(SocketAddr::new(want, 0), &key_store(state)?).is_err() {
        if saved {
            // Already on, and the last key went since: other settings still save; the
            // gateway stays on this machine until a key exists (`listen_problem` says so).
            return Ok(None);
        }
        return Err(switch_error(
            ErrorCode::GatewayRefused,
            "create an API key first: on the network the gateway asks every caller for one (Gateway page, or `duows keys create`)".to_owned(),
        ));
    }
    let Some(handle) = state.gateway() else {
        // No gateway in this program: the switch applies when one starts.
        return Ok(None);
    };
    if let Some(option) = handle.listener.pinned_by() {
        if saved == open {
            return Ok(None);
        }
        return Err(switch_error(
            ErrorCode::InvalidSettings,
            format!(
                "the gateway's address was set with `{option}` for this run; start it without that option to choose here"
            ),
        ));
    }
    let from = handle.local_addr();
    if from.ip() == want && handle.listener.is_listening() {
        return Ok(None);
    }
    let to = SocketAddr::new(want, from.port());
    handle
        .listener
        .move_to(state, &handle.gateway, want)
        .await
        .map_err(|error| {
            let message = match error {
                MoveError::Refused(error) => format!(
                    "the gateway cannot listen on {to}: {error}; it still listens on {from}"
                ),
                MoveError::Lost(message) => message,
                MoveError::Stopping => "the program is stopping".to_owned(),
            };
            ApiError::new(ErrorCode::GatewayPortInUse, message)
                .with_field("gateway_open_to_network")
        })?;
    Ok(Some(Moved { from: from.ip() }))
}

impl Moved {
    /// Puts the gateway back where it was (the settings were not saved).
    pub(crate) async fn undo(self, state: &ApiState) {
        if let Some(handle) = state.gateway() {
            if let Err(error) = handle
                .listener
                .move_to(state, &handle.gateway, self.from)
                .await
            {
                tracing::error!(?error, "the gateway could not go back to its address");
            }
        }
    }
}

fn switch_error(code: ErrorCode, message: String) -> ApiError {
    ApiError::new(code, message).with_field("gateway_open_to_network")
}
