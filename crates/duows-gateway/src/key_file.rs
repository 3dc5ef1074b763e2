//! The key file: `{ "version": 1, "keys": [...] }` holding each key's public id, name, dates
//! and the SHA-256 of the key (never the key). Read whole, checked, and written atomically
//! (temporary file, fsync, rename; mode 0600 on Unix). A damaged or newer file is reported and
//! left alone, never replaced. [`KeyError`] lives here, beside the file whose troubles most of
//! its cases tell.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub(crate) use duows_base::files::FileStamp;
use serde::{Deserialize, Serialize};

use crate::key_format;

/// The key file's format version.
pub(crate) const FILE_VERSION: u32 = 1;

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// An input was not acceptable; `field` names it.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The input at fault (`name`, `expires_at`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An active key already has this name.
    #[error("invalid name: an active key is already called `{name}`; pick another name or revoke that key first")]
    NameTaken {
        /// The name asked for.
        name: String,
    },
    /// No active key has this id, prefix or name.
    #[error("no active key has the id or name `{key}`")]
    NotFound {
        /// What was asked for.
        key: String,
    },
    /// The key file could not be read or written.
    #[error("cannot {action} the key file {path}: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The key file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The key file is not valid; it is left as it is for the user to repair.
    #[error("the key file {path} is damaged ({reason}); fix or move it away (keys in it stop working until then)")]
    Corrupt {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file was written by a newer version of this program.
    #[error("the key file {path} has version {version}, newer than this program understands ({FILE_VERSION}); update Duo Workstation")]
    TooNew {
        /// The key file.
        path: PathBuf,
        /// Its version.
        version: u32,
    },
}

impl KeyError {
    /// The input field at fault, when the caller's input was wrong.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::NameTaken { .. } => Some("name"),
            Self::NotFound { .. } => Some("key"),
            _ => None,
        }
    }
}

/// The key file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyFile {
    pub version: u32,
    pub keys: Vec<StoredKey>,
}

/// One key as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    /// Lower-case hex SHA-256 of the whole key.
    pub hash: String,
    pub created_at: u64,
    pub expires_at: Option<u64>,
    pub revoked_at: Option<u64>,
}

impl StoredKey {
    pub fn is_active(&self, now: u64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| now < t)
    }

    fn is_well_formed(&self) -> bool {
        self.id.len() == key_format::ID_LEN
            && self.prefix == key_format::prefix(&self.id)
            && self.hash.len() == 64
            && self
                .hash
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

/// Reads and checks the key file; a missing file is an empty one.
pub(crate) fn read_file(path: &Path) -> Result<(Option<FileStamp>, KeyFile), KeyError> {
    let empty = KeyFile {
        version: FILE_VERSION,
        keys: Vec::new(),
    };
    let io_error = |source| KeyError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let mut handle = match fs::File::open(path) {
        Ok(handle) => handle,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, empty)),
        Err(e) => return Err(io_error(e)),
    };
    let stamp = FileStamp::of(&handle.metadata().map_err(io_error)?);
    let mut text = Vec::new();
    io::Read::read_to_end(&mut handle, &mut text).map_err(io_error)?;
    let corrupt = |reason: String| KeyError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let version = serde_json::from_slice::<Version>(&text)
        .map_err(|e| corrupt(e.to_string()))?
        .version;
    if version > FILE_VERSION {
        return Err(KeyError::TooNew {
            path: path.to_owned(),
            version,
        });
    }
    let file: KeyFile = serde_json::from_slice(&text).map_err(|e| corrupt(e.to_string()))?;
    if let Some(bad) = file.keys.iter().find(|k| !k.is_well_formed()) {
        return Err(corrupt(format!(
            "the entry of key `{}` is malformed",
            bad.id
        )));
    }
    Ok((Some(stamp), file))
}

/// Writes `bytes` to `path` atomically, readable by the user only.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    duows_base::files::write_atomic(path, bytes, Some(0o600))
}
