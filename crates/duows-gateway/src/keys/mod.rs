//! API keys, kept in a JSON file that more than one process may change: the server reads it,
//! `duows keys create|revoke` writes it. Only SHA-256 hashes are stored; a key is shown once,
//! when it is created.
//!
//! The server notices changes by the file's length, modification time and inode (writes
//! replace the file by rename): it looks at most once a second, and always after a key it
//! does not know, so new keys work at once and revoked ones stop within about a second.
//!
//! This module holds the store: the file as last read and how it is re-read and written.
//! `issue` makes, lists and revokes keys; `check` checks a presented key.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::Serialize;

pub use crate::key_file::KeyError;
use crate::key_file::{read_file, write_atomic, FileStamp, KeyFile, StoredKey, FILE_VERSION};

mod check;
mod issue;

/// How often, at most, a running server looks at the key file for changes.
const RECHECK_MS: u64 = 1000;

/// What may be shown about a key: never the key or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KeyInfo {
    /// Public id, 8 characters.
    pub id: String,
    /// Name given by the user.
    pub name: String,
    /// The start of the key, `dwk_<id>`, to recognise it.
    pub prefix: String,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds after which the key no longer works.
    pub expires_at: Option<u64>,
    /// Unix seconds when it was revoked.
    pub revoked_at: Option<u64>,
}

impl From<&StoredKey> for KeyInfo {
    fn from(stored: &StoredKey) -> Self {
        Self {
            id: stored.id.clone(),
            name: stored.name.clone(),
            prefix: stored.prefix.clone(),
            created_at: stored.created_at,
            expires_at: stored.expires_at,
            revoked_at: stored.revoked_at,
        }
    }
}

impl KeyInfo {
    /// Whether the key works at `now` (Unix seconds).
    pub fn is_active(&self, now: u64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| now < t)
    }
}

/// The keys as last read.
#[derive(Default)]
struct Loaded {
    /// `None` when the file does not exist.
    stamp: Option<FileStamp>,
    keys: Vec<(Arc<str>, StoredKey)>,
    /// Set when the file became unreadable at run time: every key is refused until it is
    /// repaired (failing closed), and keys stay required.
    broken: bool,
}

/// The outcome of checking a presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// A working key, by id.
    Valid(Arc<str>),
    /// Not one of ours.
    Unknown,
    /// Ours, but revoked.
    Revoked,
    /// Ours, but expired.
    Expired,
}

/// File-backed API keys. Clones share one view of the file.
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KeyStore {
    /// Shows where the keys live, never their hashes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

struct Inner {
    path: PathBuf,
    loaded: RwLock<Loaded>,
    /// When the file was last looked at, in ms since `epoch`.
    checked_ms: AtomicU64,
    epoch: Instant,
    /// Serialises this process's writes.
    write: Mutex<()>,
}

impl KeyStore {
    /// Opens the key file at `path`; a missing file means no keys yet.
    pub fn open(path: PathBuf) -> Result<Self, KeyError> {
        let (stamp, file) = read_file(&path)?;
        let store = Self {
            inner: Arc::new(Inner {
                path,
                loaded: RwLock::new(Loaded::default()),
                checked_ms: AtomicU64::new(0),
                epoch: Instant::now(),
                write: Mutex::new(()),
            }),
        };
        store.install(stamp, file);
        Ok(store)
    }

    /// The key file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Re-reads the file if it changed; without `force`, looks at most once a second.
    fn refresh(&self, force: bool) {
        let inner = &self.inner;
        let now_ms = inner.epoch.elapsed().as_millis() as u64;
        let last = inner.checked_ms.load(Ordering::Relaxed);
        if !force
            && (now_ms < last + RECHECK_MS
                || inner
                    .checked_ms
                    .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err())
        {
            return;
        }
        inner.checked_ms.store(now_ms, Ordering::Relaxed);
        let stamp = match fs::metadata(&inner.path) {
            Ok(meta) => Some(FileStamp::of(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(_) => return,
        };
        let unchanged = inner.loaded.read().unwrap_or_else(|e| e.into_inner()).stamp == stamp;
        if unchanged {
            return;
        }
        match read_file(&inner.path) {
            Ok((stamp, file)) => self.install(stamp, file),
            Err(error) => {
                tracing::warn!(%error, "refusing every API key until the key file is repaired");
                let mut loaded = inner.loaded.write().unwrap_or_else(|e| e.into_inner());
                loaded.stamp = stamp;
                loaded.broken = true;
            }
        }
    }

    fn install(&self, stamp: Option<FileStamp>, file: KeyFile) {
        let keys = file
            .keys
            .into_iter()
            .map(|k| (Arc::from(k.id.as_str()), k))
            .collect();
        *self.inner.loaded.write().unwrap_or_else(|e| e.into_inner()) = Loaded {
            stamp,
            keys,
            broken: false,
        };
    }

    /// Reads the file afresh, applies `change`, writes it back atomically.
    fn modify<T>(
        &self,
        change: impl FnOnce(&mut Vec<StoredKey>) -> Result<T, KeyError>,
    ) -> Result<T, KeyError> {
        let _guard = self.inner.write.lock().unwrap_or_else(|e| e.into_inner());
        let path = &self.inner.path;
        let (_, mut file) = read_file(path)?;
        let out = change(&mut file.keys)?;
        file.version = FILE_VERSION;
        let text = serde_json::to_vec_pretty(&file).map_err(|e| KeyError::Io {
            action: "write",
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        write_atomic(path, &text).map_err(|source| KeyError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        let stamp = fs::metadata(path).ok().map(|m| FileStamp::of(&m));
        self.install(stamp, file);
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
