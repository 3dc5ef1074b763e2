//! Settings: typed, validated, versioned, written atomically, never silently lost.
//!
//! The store file is a flat JSON object (tauri-plugin-store's format), shared by the
//! desktop app and the headless program ([`SettingsStore`]). A file that cannot be read is
//! copied aside as a backup and reported; it is never replaced with defaults behind the
//! user's back, and a save never overwrites a change another program made meanwhile.

mod store;

pub use store::SettingsStore;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::hardware::HardwareDescription;

/// The settings format this build writes.
pub const CURRENT_VERSION: u32 = 1;

/// Everything the user can set. Defaults live in [`Settings::default`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: CURRENT_VERSION,
            models_dir: None,
            planned_hardware: None,
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
        if let Some(spec) = &self.planned_hardware {
            HardwareDescription::from_spec(spec).map_err(|e| SettingsError::Invalid {
                field: "planned_hardware",
                reason: format!("is not a hardware spec: {e}"),
            })?;
        }
        Ok(())
    }
}
