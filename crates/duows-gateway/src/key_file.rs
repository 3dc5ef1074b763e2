//! The key file: `{ "version": 1, "keys": [...] }` holding each key's public id, name, dates
//! and the SHA-256 of the key (never the key). Read whole, checked, and written atomically
//! (temporary file, fsync, rename; mode 0600 on Unix). A damaged or newer file is reported and
//! left alone, never replaced.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::key_format;
use crate::keys::{KeyError, KeyInfo};

/// The key file's format version.
pub(crate) const FILE_VERSION: u32 = 1;

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
    pub fn info(&self) -> KeyInfo {
        KeyInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        }
    }

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

/// What identifies one version of the key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileStamp {
    pub fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
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

/// Writes `bytes` to `path` through a temporary file in the same folder (mode 0600 on
/// Unix), synced, then renamed over `path`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir)?;
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the key file path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}", key_format::new_id()));
    let tmp = path.with_file_name(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    if let Some(dir) = dir {
        // Make the rename durable; not every platform can open a folder, so this is best effort.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    result
}
