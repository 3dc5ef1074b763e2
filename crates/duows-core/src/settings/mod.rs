//! Settings: typed, validated, versioned, written atomically, never silently lost.
//!
//! The store file is a flat JSON object (tauri-plugin-store's format), shared by the
//! desktop app and the headless program ([`SettingsStore`]). A file that cannot be read is
//! copied aside as a backup and reported; it is never replaced with defaults behind the
//! user's back, and a save never overwrites a change another program made meanwhile.

mod deployment;
mod features;
mod platform_rules;
mod replica_rules;
mod store;

pub use deployment::{
    family_in_name, valid_deployment_name, ExternalDeployment, Platform, Replica,
};
pub use platform_rules::{check_openai_endpoint, with_single_v1, RuleBroken};
pub use store::SettingsStore;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::hardware::HardwareDescription;

/// The settings format this build writes (2 added deployments, feature routing and the
/// gateway's request-log switch; 3 added deployments' platform, family, region and stored
/// key, disabled features and the beta switch; 4 added deployments' replicas; 5 added the
/// gateway's network switch). Older files read with those at defaults.
pub const CURRENT_VERSION: u32 = 5;

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
    /// entry use General Chat's. A feature without an entry is unassigned, which does not
    /// turn it off in GitLab.
    #[serde(default)]
    pub features: BTreeMap<String, String>,
    /// Features turned off (GitLab's `DISABLED`): the only way to turn one off.
    #[serde(default)]
    pub disabled_features: BTreeSet<String>,
    /// Whether beta and experimental features are shown and configured (GitLab lists them
    /// only after an administrator accepts its testing agreement with the beta switch).
    #[serde(default)]
    pub show_beta_features: bool,
    /// Whether the gateway's request log also keeps prompts and outputs (off by default).
    #[serde(default)]
    pub log_prompts: bool,
    /// Whether the gateway listens on every network interface (GitLab or its AI gateway on
    /// another machine; every call then needs a key) instead of this machine only.
    #[serde(default)]
    pub gateway_open_to_network: bool,
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

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: CURRENT_VERSION,
            models_dir: None,
            planned_hardware: None,
            deployments: Vec::new(),
            features: BTreeMap::new(),
            disabled_features: BTreeSet::new(),
            show_beta_features: false,
            log_prompts: false,
            gateway_open_to_network: false,
        }
    }
}

/// Why settings could not be read, accepted or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A field holds a value that is not allowed.
    #[error("settings field `{field}` {reason}")]
    Invalid {
        /// The field at fault (`deployments.endpoint`, `deployments[2].replicas[1].endpoint`).
        field: Cow<'static, str>,
        /// What is wrong.
        reason: String,
        /// The corrected value, when it is plain (`http://gpu-2:8000/v1`).
        fix: Option<String>,
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

impl SettingsError {
    /// An invalid field without a fix.
    pub fn invalid(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
            fix: None,
        }
    }

    /// The field at fault, for an invalid value.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl Settings {
    /// Checks every field; the error names the field at fault.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.version != CURRENT_VERSION {
            return Err(SettingsError::invalid(
                "version",
                format!("must be {CURRENT_VERSION}"),
            ));
        }
        if let Some(dir) = &self.models_dir {
            if dir.as_os_str().is_empty() || !dir.is_absolute() {
                return Err(SettingsError::invalid(
                    "models_dir",
                    "must be an absolute folder path",
                ));
            }
            if dir.is_file() {
                return Err(SettingsError::invalid(
                    "models_dir",
                    "names a file, not a folder",
                ));
            }
        }
        self.validate_deployments()?;
        features::validate_features(self)?;
        if let Some(spec) = &self.planned_hardware {
            HardwareDescription::from_spec(spec).map_err(|e| {
                SettingsError::invalid("planned_hardware", format!("is not a hardware spec: {e}"))
            })?;
        }
        Ok(())
    }

    fn validate_deployments(&self) -> Result<(), SettingsError> {
        for (i, d) in self.deployments.iter().enumerate() {
            if !valid_deployment_name(&d.name) {
                return Err(SettingsError::invalid(
                    "deployments.name",
                    format!("`{}` must be 1-64 letters, digits, `.`, `_` or `-`", d.name),
                ));
            }
            if self.deployments[..i].iter().any(|o| o.name == d.name) {
                return Err(SettingsError::invalid(
                    "deployments.name",
                    format!("`{}` is used twice", d.name),
                ));
            }
            platform_rules::check_platform_rules(d).map_err(|broken| SettingsError::Invalid {
                field: broken.field.into(),
                reason: broken.reason,
                fix: broken.fix,
            })?;
            replica_rules::check_replicas(i, d)?;
            if let Some(var) = &d.api_key_env {
                check_key_variable(var, &d.endpoint, "deployments.api_key_env")?;
                if d.api_key_stored {
                    return Err(SettingsError::invalid(
                        "deployments.api_key_env",
                        "and a stored key are both set: keep one",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A key variable's name: a plain environment variable, and not one holding another
/// service's secret (it is sent to `endpoint`). Errors name `field`.
pub(super) fn check_key_variable(
    var: &str,
    endpoint: &str,
    field: impl Into<Cow<'static, str>>,
) -> Result<(), SettingsError> {
    let ok = !var.is_empty()
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !var.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        return Err(SettingsError::invalid(
            field,
            format!("`{var}` is not an environment variable name"),
        ));
    }
    if OTHER_SECRETS.iter().any(|s| var.eq_ignore_ascii_case(s))
        || var.to_ascii_uppercase().starts_with("AWS_")
    {
        return Err(SettingsError::invalid(
            field,
            format!(
                "`{var}` holds another service's secret; the gateway would send it to {endpoint}: set the deployment's key in a variable of its own, e.g. GPU2_API_KEY"
            ),
        ));
    }
    Ok(())
}
