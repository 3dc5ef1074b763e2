//! Settings: typed, validated, versioned, written atomically, never silently lost.
//!
//! The store file is a flat JSON object (tauri-plugin-store's format), shared by the
//! desktop app and the headless program. A file that cannot be read is copied aside
//! as a backup and reported; it is never replaced with defaults behind the user's back.

use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// The file was written by a newer version of the app.
    #[error("the settings file {path} has version {found}, newer than this app understands ({CURRENT_VERSION}); update Duo Workstation")]
    TooNew {
        /// The store file.
        path: PathBuf,
        /// Its version.
        found: u64,
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

/// The store file on disk.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// A store at `path` (usually [`crate::data_dir::DataDir::settings_file`]).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the settings; a missing file gives the defaults (nothing is written).
    pub fn load(&self) -> Result<Settings, SettingsError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => {
                return Err(SettingsError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|value| self.migrate(value));
        let settings = match parsed {
            Ok(Some(value)) => serde_json::from_value::<Settings>(value).map_err(|e| e.to_string()),
            Ok(None) => {
                let found = version_of(&text).unwrap_or_default();
                return Err(SettingsError::TooNew {
                    path: self.path.clone(),
                    found,
                });
            }
            Err(reason) => Err(reason),
        }
        .and_then(|s| s.validate().map(|()| s).map_err(|e| e.to_string()));
        settings.map_err(|reason| self.keep_backup(reason))
    }

    /// Brings an older format up to [`CURRENT_VERSION`]; `Ok(None)` for a newer one.
    fn migrate(&self, value: serde_json::Value) -> Result<Option<serde_json::Value>, String> {
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or("it has no numeric `version`")?;
        match version {
            v if v > u64::from(CURRENT_VERSION) => Ok(None),
            1 => Ok(Some(value)),
            other => Err(format!("version {other} is not a known settings format")),
        }
    }

    fn keep_backup(&self, reason: String) -> SettingsError {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let backup = self.path.with_extension(format!("json.unreadable-{stamp}"));
        match std::fs::copy(&self.path, &backup) {
            Ok(_) => SettingsError::Unreadable {
                path: self.path.clone(),
                reason,
                backup,
            },
            Err(source) => SettingsError::Io {
                action: "back up",
                path: self.path.clone(),
                source,
            },
        }
    }

    /// Validates and writes atomically: a temporary file, fsync, rename, fsync the folder.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        settings.validate()?;
        let io = |source| SettingsError::Io {
            action: "write",
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut json =
            serde_json::to_vec_pretty(settings).map_err(|e| io(std::io::Error::other(e)))?;
        json.push(b'\n');
        let tmp = self
            .path
            .with_extension(format!("json.tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}

fn version_of(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()?
        .get("version")?
        .as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SettingsStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SettingsStore::new(dir.path().join("settings.json"));
        (dir, store)
    }

    #[test]
    fn a_missing_file_gives_defaults_without_writing() {
        let (_dir, store) = store();
        assert_eq!(store.load().expect("defaults"), Settings::default());
        assert!(!store.path().exists());
    }

    #[test]
    fn saved_settings_read_back_and_leave_no_temporary_file() {
        let (dir, store) = store();
        let settings = Settings {
            planned_hardware: Some("2xL40S".into()),
            models_dir: Some(dir.path().join("models")),
            ..Settings::default()
        };
        store.save(&settings).expect("save");
        assert_eq!(store.load().expect("load"), settings);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("settings.json")]);
    }

    #[test]
    fn invalid_settings_name_the_field_and_leave_the_file_alone() {
        let (_dir, store) = store();
        store.save(&Settings::default()).expect("save");
        let before = std::fs::read(store.path()).expect("read");
        let bad = Settings {
            planned_hardware: Some("3xBOGUS".into()),
            ..Settings::default()
        };
        let err = store.save(&bad).expect_err("refused");
        assert!(
            matches!(
                err,
                SettingsError::Invalid {
                    field: "planned_hardware",
                    ..
                }
            ),
            "{err}"
        );
        let bad = Settings {
            models_dir: Some("relative/path".into()),
            ..Settings::default()
        };
        let err = store.save(&bad).expect_err("refused");
        assert!(
            matches!(
                err,
                SettingsError::Invalid {
                    field: "models_dir",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(std::fs::read(store.path()).expect("read"), before);
    }

    #[test]
    fn an_unreadable_file_is_kept_as_a_backup_and_reported() {
        let (dir, store) = store();
        std::fs::write(store.path(), "{ not json").expect("write");
        let err = store.load().expect_err("reported");
        let SettingsError::Unreadable { backup, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(
            std::fs::read_to_string(&backup).expect("backup"),
            "{ not json"
        );
        // The original is untouched too.
        assert_eq!(
            std::fs::read_to_string(store.path()).expect("orig"),
            "{ not json"
        );
        assert!(backup.starts_with(dir.path()));
    }

    #[test]
    fn unknown_fields_and_newer_versions_are_refused() {
        let (_dir, store) = store();
        std::fs::write(store.path(), r#"{"version":1,"colour":"red"}"#).expect("write");
        assert!(matches!(
            store.load(),
            Err(SettingsError::Unreadable { .. })
        ));
        std::fs::write(store.path(), r#"{"version":9}"#).expect("write");
        assert!(matches!(
            store.load(),
            Err(SettingsError::TooNew { found: 9, .. })
        ));
    }
}
