//! The whole configuration exported and imported without secrets: the settings (whose
//! deployment keys are only the names of environment variables) and GitLab's AI gateway
//! configuration (its keys are made on each machine, never carried). An import is checked
//! whole before anything is written, names the field at fault, and writes nothing then.

use duows_core::aigw::AigwConfig;
use duows_core::settings::{Settings, CURRENT_VERSION};
use serde::{Deserialize, Serialize};

use crate::{ApiError, ApiState, ErrorCode};

/// The export file's format.
pub const EXPORT_FORMAT: u32 = 1;

/// An exported configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ConfigExport {
    /// Format of this file (1).
    pub format: u32,
    /// The program and version that wrote it.
    pub written_by: String,
    /// The settings.
    pub settings: Settings,
    /// GitLab's AI gateway configuration, when set up.
    #[serde(default)]
    #[ts(optional)]
    pub ai_gateway: Option<AigwConfig>,
    /// The secrets this configuration refers to but does not carry: set them on the machine
    /// that imports it (environment variables of deployment keys, keys in the secret store).
    #[serde(default)]
    pub secrets_not_included: Vec<String>,
}

/// Body of `config_import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ConfigImportParams {
    /// What `config_export` wrote.
    pub export: ConfigExport,
}

/// `config_export`: the configuration as it is now, without secrets.
pub async fn config_export(state: &ApiState) -> Result<ConfigExport, ApiError> {
    let settings = super::settings(state).await;
    let secrets_not_included = settings
        .deployments
        .iter()
        .filter_map(|d| match (&d.api_key_env, d.api_key_stored) {
            (Some(var), _) => Some(format!("{var} (API key of the deployment {})", d.name)),
            (None, true) => Some(format!(
                "the API key of the deployment {} (kept in the secret store: give it again with `duows deployments key {}` or on the Gateway page)",
                d.name, d.name
            )),
            (None, false) => None,
        })
        .collect();
    Ok(ConfigExport {
        format: EXPORT_FORMAT,
        written_by: format!("Duo Workstation {}", env!("CARGO_PKG_VERSION")),
        settings,
        ai_gateway: super::ai_gateway::configured(state),
        secrets_not_included,
    })
}

/// `config_import`: checks everything, then writes the settings and the AI gateway's files.
pub async fn config_import(
    state: &ApiState,
    params: ConfigImportParams,
) -> Result<ConfigExport, ApiError> {
    let mut export = params.export;
    if export.format != EXPORT_FORMAT {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("is {}: this program reads format {EXPORT_FORMAT} (export it again with this version)", export.format),
        )
        .with_field("export.format"));
    }
    // Settings of an older format read with the fields added since at their defaults (as the
    // settings file does); the network switch is this machine's, not the exporting one's.
    if (1..CURRENT_VERSION).contains(&export.settings.version) {
        export.settings.version = CURRENT_VERSION;
    }
    export.settings.gateway_open_to_network = state.settings_snapshot().gateway_open_to_network;
    export.settings.validate().map_err(|e| {
        let api = ApiError::from(e);
        let field = api.field.clone().map(|f| format!("export.settings.{f}"));
        ApiError { field, ..api }
    })?;
    let ai_gateway = match export.ai_gateway.clone() {
        Some(config) => Some(config.validated().map_err(|e| {
            ApiError::new(ErrorCode::InvalidParameter, e.reason.clone())
                .with_field(format!("export.ai_gateway.{}", e.field))
        })?),
        None => None,
    };
    super::update_settings(state, export.settings.clone()).await?;
    if let Some(config) = ai_gateway {
        super::ai_gateway::ai_gateway_setup(state, super::AiGatewaySetupParams { config }).await?;
    }
    config_export(state).await
}
