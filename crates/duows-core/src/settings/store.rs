//! The store file on disk: atomic writes, backups of unreadable files, and no lost updates
//! between the two programs that share it.
//!
//! The store remembers the bytes it last read or wrote. A save first compares them with
//! the file: if another program (the desktop app or `duows`) changed it meanwhile, the
//! save is refused with [`SettingsError::ChangedElsewhere`] instead of silently undoing
//! that change. A file that could not be read is only overwritten once a copy of it exists.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Settings, SettingsError, CURRENT_VERSION};

/// What the store last saw on disk.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// Nothing read yet.
    Nothing,
    /// These bytes (`None`: no file).
    Content(Option<Vec<u8>>),
    /// A file that must not be overwritten, and why.
    Protected(String),
}

/// The store file on disk.
#[derive(Debug)]
pub struct SettingsStore {
    path: PathBuf,
    seen: Mutex<Seen>,
}

impl SettingsStore {
    /// A store at `path` (usually [`crate::data_dir::DataDir::settings_file`]).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            seen: Mutex::new(Seen::Nothing),
        }
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read_bytes(&self) -> Result<Option<Vec<u8>>, SettingsError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SettingsError::Io {
                action: "read",
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Reads the settings; a missing file gives the defaults (nothing is written).
    pub fn load(&self) -> Result<Settings, SettingsError> {
        let mut seen = self.seen();
        if *seen == Seen::Nothing {
            // First read: clear what writers killed mid-write left behind.
            crate::files::remove_stale_temps(&self.path);
        }
        let bytes = match self.read_bytes() {
            Ok(bytes) => bytes,
            Err(error) => {
                *seen = Seen::Protected("it could not be read".into());
                return Err(error);
            }
        };
        let Some(content) = &bytes else {
            *seen = Seen::Content(None);
            return Ok(Settings::default());
        };
        match parse(content) {
            Ok(Parsed::Current(settings)) => {
                *seen = Seen::Content(bytes);
                Ok(settings)
            }
            Ok(Parsed::TooNew(found)) => {
                *seen = Seen::Protected(format!("it was written by a newer version ({found})"));
                Err(SettingsError::TooNew {
                    path: self.path.clone(),
                    found,
                })
            }
            Err(reason) => match self.keep_backup(content) {
                Ok(backup) => {
                    // A copy exists: the user may replace the broken file by saving.
                    *seen = Seen::Content(bytes);
                    Err(SettingsError::Unreadable {
                        path: self.path.clone(),
                        reason,
                        backup,
                    })
                }
                Err(source) => {
                    *seen =
                        Seen::Protected("it could not be read and no copy could be made".into());
                    Err(SettingsError::Io {
                        action: "back up",
                        path: self.path.clone(),
                        source,
                    })
                }
            },
        }
    }

    /// Copies broken content aside, once: the same content already kept is not copied again.
    fn keep_backup(&self, content: &[u8]) -> std::io::Result<PathBuf> {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!("{name}.unreadable-");
        for entry in std::fs::read_dir(dir)?.flatten() {
            let kept = entry.file_name().to_string_lossy().starts_with(&prefix);
            if kept && std::fs::read(entry.path()).is_ok_and(|old| old == content) {
                return Ok(entry.path());
            }
        }
        let stamp = duows_base::clock::now_secs();
        let backup = dir.join(format!("{prefix}{stamp}"));
        std::fs::write(&backup, content)?;
        Ok(backup)
    }

    /// Validates and writes atomically (a temporary file, fsync, rename, fsync the folder),
    /// unless the file changed since this store last read or wrote it.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        settings.validate()?;
        let mut seen = self.seen();
        if let Seen::Protected(reason) = &*seen {
            return Err(SettingsError::NotOverwriting {
                path: self.path.clone(),
                reason: reason.clone(),
            });
        }
        let on_disk = self.read_bytes()?;
        if matches!(&*seen, Seen::Content(known) if *known != on_disk)
            || (*seen == Seen::Nothing && on_disk.is_some())
        {
            return Err(SettingsError::ChangedElsewhere {
                path: self.path.clone(),
            });
        }
        let mut json = serde_json::to_vec_pretty(settings).map_err(|e| SettingsError::Io {
            action: "write",
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        json.push(b'\n');
        self.write_atomically(&json)?;
        *seen = Seen::Content(Some(json));
        Ok(())
    }

    fn write_atomically(&self, json: &[u8]) -> Result<(), SettingsError> {
        crate::files::write_atomic(&self.path, json, None).map_err(|source| SettingsError::Io {
            action: "write",
            path: self.path.clone(),
            source,
        })
    }
}

/// What a store file holds.
enum Parsed {
    Current(Settings),
    TooNew(u64),
}

/// Parses, migrates and validates; `Err` says why the content is unusable.
fn parse(content: &[u8]) -> Result<Parsed, String> {
    let value: serde_json::Value = serde_json::from_slice(content).map_err(|e| e.to_string())?;
    let version = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or("it has no numeric `version`")?;
    let value = match version {
        v if v > u64::from(CURRENT_VERSION) => return Ok(Parsed::TooNew(v)),
        // Migrations from older formats: versions 2 to 5 only added fields, all with
        // defaults (an OpenAI-compatible platform, no family, no stored key, nothing turned
        // off, beta features hidden, no replicas, the gateway on this machine only).
        1..=4 => {
            let mut value = value;
            value["version"] = serde_json::json!(CURRENT_VERSION);
            value
        }
        5 => value,
        other => return Err(format!("version {other} is not a known settings format")),
    };
    let settings: Settings = serde_json::from_value(value).map_err(|e| e.to_string())?;
    settings.validate().map_err(|e| e.to_string())?;
    Ok(Parsed::Current(settings))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
