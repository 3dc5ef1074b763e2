//! Settings: typed, validated, versioned, written atomically, never silently lost.
//!
//! The store file is a flat JSON object (tauri-plugin-store's format), shared by the
//! desktop app and the headless program ([`SettingsStore`]). A file that cannot be read is
//! copied aside as a backup and reported; it is never replaced with defaults behind the
//! user's back, and a save never overwrites a change another program made meanwhile.

mod store;

pub use store::SettingsStore;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::hardware::HardwareDescription;

/// The settings format this build writes (2 added deployments, feature routing and the
/// gateway's request-log switch; a version 1 file reads as version 2 with those empty).
pub const CURRENT_VERSION: u32 = 2;

/// Everything the user can set. Defaults live in [`Settings::default`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Format version, for migrations.
    pub version: u32,
    /// Folder for model weights; `None` means `<data folder>/models`.
    #[serde(default)]
    pub models_dir: Option<PathBuf>,
    /// A hardware spec the user plans for (e.g. `2xL40S`), shown beside the real machine.
    #[serde(default)]
    pub planned_hardware: Option<String>,
    /// OpenAI-compatible endpoints outside this app that the gateway routes to.
    #[serde(default)]
    pub deployments: Vec<ExternalDeployment>,
    /// Which model serves each Duo feature: feature key (`duo_chat`) → the name of an
    /// engine of this app or of an external deployment. Chat sub-features without an
    /// entry use General Chat's.
    #[serde(default)]
    pub features: BTreeMap<String, String>,
    /// Whether the gateway's request log also keeps prompts and outputs (off by default).
    #[serde(default)]
    pub log_prompts: bool,
}

/// An OpenAI-compatible endpoint the user added (another vLLM, a hosted service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ExternalDeployment {
    /// The name clients and feature routing use.
    pub name: String,
    /// Base URL ending in `/v1`, e.g. `http://gpu-2.internal:8000/v1`.
    pub endpoint: String,
    /// The model name that endpoint serves.
    pub served_model: String,
    /// The environment variable holding its API key (the key itself is never stored).
    #[serde(default)]
    pub api_key_env: Option<String>,
}

impl ExternalDeployment {
    /// The key its checks and requests send: read now from its environment variable.
    pub fn api_key(&self) -> Option<String> {
        self.api_key_env
            .as_ref()
            .and_then(|var| std::env::var(var).ok())
            .filter(|key| !key.is_empty())
    }
}

/// Environment variables that hold other services' secrets (this app's own among them): a
/// deployment's key may not be read from them, since it is sent to the deployment's host.
const OTHER_SECRETS: &[&str] = &[
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_TOKEN",
    "DUOWS_TOKEN",
    "VLLM_API_KEY",
    "API_KEY",
    "GITHUB_TOKEN",
    "GITLAB_TOKEN",
    "CI_JOB_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
];

/// Whether `name` can name a deployment: 1–64 of letters, digits, `.`, `_`, `-`, starting
/// with a letter or digit.
pub fn valid_deployment_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: CURRENT_VERSION,
            models_dir: None,
            planned_hardware: None,
            deployments: Vec::new(),
            features: BTreeMap::new(),
            log_prompts: false,
        }
    }
}

/// Why settings could not be read, accepted or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A field holds a value that is not allowed.
    #[error("settings field `{field}` {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The store file exists but is not valid settings; a copy was kept.
    #[error("the settings file {path} could not be read ({reason}); it was kept as {backup}")]
    Unreadable {
        /// The store file.
        path: PathBuf,
        /// The parse or I/O error.
        reason: String,
        /// Where the copy was put.
        backup: PathBuf,
    },
    /// The file was written by a newer version of the app; it is left as it is.
    #[error("the settings file {path} has version {found}, newer than this app understands ({CURRENT_VERSION}); update Duo Workstation (the file is left as it is)")]
    TooNew {
        /// The store file.
        path: PathBuf,
        /// Its version.
        found: u64,
    },
    /// Another program (the desktop app or `duows`) changed the file since it was read.
    #[error("the settings were changed by another Duo Workstation program since they were read; they have been reloaded: review them and save again")]
    ChangedElsewhere {
        /// The store file.
        path: PathBuf,
    },
    /// Saving would overwrite a file that could not be read and has no backup (or was
    /// written by a newer version).
    #[error("not overwriting the settings file {path}: {reason}")]
    NotOverwriting {
        /// The store file.
        path: PathBuf,
        /// Why it is protected.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("cannot {action} the settings file {path}: {source}")]
    Io {
        /// "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Settings {
    /// Checks every field; the error names the field at fault.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.version != CURRENT_VERSION {
            return Err(SettingsError::Invalid {
                field: "version",
                reason: format!("must be {CURRENT_VERSION}"),
            });
        }
        if let Some(dir) = &self.models_dir {
            if dir.as_os_str().is_empty() || !dir.is_absolute() {
                return Err(SettingsError::Invalid {
                    field: "models_dir",
                    reason: "must be an absolute folder path".into(),
                });
            }
            if dir.is_file() {
                return Err(SettingsError::Invalid {
                    field: "models_dir",
                    reason: "names a file, not a folder".into(),
                });
            }
        }
        self.validate_deployments()?;
        self.validate_features()?;
        if let Some(spec) = &self.planned_hardware {
            HardwareDescription::from_spec(spec).map_err(|e| SettingsError::Invalid {
                field: "planned_hardware",
                reason: format!("is not a hardware spec: {e}"),
            })?;
        }
        Ok(())
    }
}

impl Settings {
    fn validate_deployments(&self) -> Result<(), SettingsError> {
        let invalid =
            |field: &'static str, reason: String| SettingsError::Invalid { field, reason };
        for (i, d) in self.deployments.iter().enumerate() {
            if !valid_deployment_name(&d.name) {
                return Err(invalid(
                    "deployments.name",
                    format!("`{}` must be 1-64 letters, digits, `.`, `_` or `-`", d.name),
                ));
            }
            if self.deployments[..i].iter().any(|o| o.name == d.name) {
                return Err(invalid(
                    "deployments.name",
                    format!("`{}` is used twice", d.name),
                ));
            }
            let endpoint = d.endpoint.trim_end_matches('/');
            let host = endpoint
                .strip_prefix("http://")
                .or_else(|| endpoint.strip_prefix("https://"));
            // Credentials or a query in the address would be stored and shown in clear.
            if endpoint.contains(['@', '?', '#']) {
                return Err(invalid(
                    "deployments.endpoint",
                    format!(
                        "`{}` must not hold a user, password, query or fragment: give the key through api_key_env",
                        d.endpoint
                    ),
                ));
            }
            if !host.is_some_and(|h| h.len() > 3 && !h.starts_with('/'))
                || !endpoint.ends_with("/v1")
                || endpoint.contains(char::is_whitespace)
            {
                return Err(invalid(
                    "deployments.endpoint",
                    format!(
                        "`{}` must be an http(s) address ending in /v1, e.g. http://gpu-2:8000/v1",
                        d.endpoint
                    ),
                ));
            }
            if d.served_model.trim().is_empty() || d.served_model.len() > 256 {
                return Err(invalid(
                    "deployments.served_model",
                    "must name the model the endpoint serves".into(),
                ));
            }
            if let Some(var) = &d.api_key_env {
                let ok = !var.is_empty()
                    && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !var.starts_with(|c: char| c.is_ascii_digit());
                if !ok {
                    return Err(invalid(
                        "deployments.api_key_env",
                        format!("`{var}` is not an environment variable name"),
                    ));
                }
                if OTHER_SECRETS.iter().any(|s| var.eq_ignore_ascii_case(s))
                    || var.to_ascii_uppercase().starts_with("AWS_")
                {
                    return Err(invalid(
                        "deployments.api_key_env",
                        format!(
                            "`{var}` holds another service's secret; the gateway would send it to {}: set the deployment's key in a variable of its own, e.g. GPU2_API_KEY",
                            d.endpoint
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_features(&self) -> Result<(), SettingsError> {
        let catalog = crate::catalog::Catalog::builtin().map_err(|e| SettingsError::Invalid {
            field: "features",
            reason: format!("the catalog is unavailable: {e}"),
        })?;
        for (feature, target) in &self.features {
            if catalog.feature(feature).is_none_or(|f| f.key != *feature) {
                return Err(SettingsError::Invalid {
                    field: "features",
                    reason: format!("`{feature}` is not a Duo feature key (e.g. duo_chat)"),
                });
            }
            if !valid_deployment_name(target) {
                return Err(SettingsError::Invalid {
                    field: "features",
                    reason: format!("`{target}` (for {feature}) is not a deployment name"),
                });
            }
        }
        Ok(())
    }
}
