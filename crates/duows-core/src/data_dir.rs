//! The one folder where all state lives: settings store, logs, downloaded files.
//!
//! `DUOWS_HOME` when set (tests use it so they never touch a user's files), else
//! `$XDG_DATA_HOME/duo-workstation`, else `~/.local/share/duo-workstation`. The desktop
//! app and `duows` resolve it the same way, so they share settings.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the data folder.
pub const HOME_ENV: &str = "DUOWS_HOME";

/// Folder name under the XDG data home.
pub const APP_DIR_NAME: &str = "duo-workstation";

/// Why the data folder could not be found or made.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// `DUOWS_HOME` is set to something that is not an absolute path.
    #[error("{HOME_ENV} must be an absolute path, not `{0}`")]
    NotAbsolute(String),
    /// Neither `DUOWS_HOME`, `XDG_DATA_HOME` nor `HOME` is set.
    #[error("cannot find a data folder: set {HOME_ENV} or HOME")]
    NoHome,
    /// The folder could not be created.
    #[error("cannot create the data folder {path}: {source}")]
    Create {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The resolved data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves the folder from the environment (see the module docs).
    pub fn from_env() -> Result<Self, DataDirError> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(home) = var(HOME_ENV) {
            let path = PathBuf::from(&home);
            if !path.is_absolute() {
                return Err(DataDirError::NotAbsolute(path.display().to_string()));
            }
            return Ok(Self::at(path));
        }
        let xdg = var("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".local/share")))
            .ok_or(DataDirError::NoHome)?;
        Ok(Self::at(xdg.join(APP_DIR_NAME)))
    }

    /// A data folder at an explicit path.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Creates the folder (owner-only on Unix) if it is missing.
    pub fn ensure(&self) -> Result<(), DataDirError> {
        let create = |path: &Path| {
            std::fs::create_dir_all(path).map_err(|source| DataDirError::Create {
                path: path.to_path_buf(),
                source,
            })
        };
        let existed = self.root.exists();
        create(&self.root)?;
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700));
        }
        create(&self.logs_dir())
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The settings store file (tauri-plugin-store's JSON format).
    pub fn settings_file(&self) -> PathBuf {
        self.root.join("settings.json")
    }

    /// The secrets file, readable only by the user: where secrets are kept when the desktop's
    /// secret service does not answer.
    pub fn secrets_file(&self) -> PathBuf {
        self.root.join("secrets.json")
    }

    /// Log files.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Where model weights go unless the settings say otherwise.
    pub fn default_models_dir(&self) -> PathBuf {
        self.root.join("models")
    }
}
