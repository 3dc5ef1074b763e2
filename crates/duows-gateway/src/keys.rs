//! API keys, kept in a JSON file that more than one process may change: the server reads it,
//! `duows keys create|revoke` writes it. Only SHA-256 hashes are stored; a key is shown once,
//! when it is created.
//!
//! The server notices changes by the file's length, modification time and inode (writes
//! replace the file by rename): it looks at most once a second, and always after a key it
//! does not know, so new keys work at once and revoked ones stop within about a second.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use duows_base::access::constant_time_eq;
use duows_base::clock::now_secs;
use duows_base::Secret;
use serde::Serialize;

pub use crate::key_file::KeyError;
use crate::key_file::{read_file, write_atomic, FileStamp, KeyFile, StoredKey, FILE_VERSION};
use crate::key_format;

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

    /// Creates a key called `name`, valid until `expires_at` (Unix seconds) if given.
    /// Returns what may be shown about it and the key itself, which is not stored and
    /// cannot be shown again.
    pub fn create(
        &self,
        name: &str,
        expires_at: Option<u64>,
    ) -> Result<(KeyInfo, Secret), KeyError> {
        validate_name(name)?;
        let now = now_secs();
        if let Some(t) = expires_at {
            if t <= now {
                return Err(KeyError::Invalid {
                    field: "expires_at",
                    reason: format!("{t} is not in the future (now is {now})"),
                });
            }
        }
        self.modify(|keys| {
            if keys.iter().any(|k| k.name == name && k.is_active(now)) {
                return Err(KeyError::NameTaken { name: name.into() });
            }
            let id = loop {
                let id = key_format::new_id();
                if keys.iter().all(|k| k.id != id) {
                    break id;
                }
            };
            let key = key_format::new_key(&id);
            let hash = key_format::hash_hex(&key);
            let stored = StoredKey {
                prefix: key_format::prefix(&id),
                id,
                name: name.into(),
                hash: String::from_utf8_lossy(&hash).into_owned(),
                created_at: now,
                expires_at,
                revoked_at: None,
            };
            let info = KeyInfo::from(&stored);
            keys.push(stored);
            Ok((info, Secret::new(key)))
        })
    }

    /// Every key in the file, revoked and expired ones included, oldest first.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let (stamp, file) = read_file(&self.inner.path)?;
        let infos = file.keys.iter().map(KeyInfo::from).collect();
        self.install(stamp, file);
        Ok(infos)
    }

    /// Revokes the active key with this id, prefix (`dwk_<id>`) or name.
    pub fn revoke(&self, id_or_name: &str) -> Result<KeyInfo, KeyError> {
        let now = now_secs();
        self.modify(|keys| {
            let key = keys
                .iter_mut()
                .filter(|k| k.revoked_at.is_none())
                .find(|k| k.id == id_or_name || k.prefix == id_or_name || k.name == id_or_name)
                .ok_or_else(|| KeyError::NotFound {
                    key: id_or_name.into(),
                })?;
            key.revoked_at = Some(now);
            Ok(KeyInfo::from(&*key))
        })
    }

    /// What may be shown about the key presented, if it works now; `None` if it is not
    /// ours, revoked or expired.
    pub fn verify(&self, presented: &str) -> Option<KeyInfo> {
        let KeyCheck::Valid(id) = self.check(presented) else {
            return None;
        };
        let loaded = self.inner.loaded.read().unwrap_or_else(|e| e.into_inner());
        loaded
            .keys
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, stored)| KeyInfo::from(stored))
    }

    /// Whether at least one key works now (or the file is damaged, so keys stay required).
    pub fn has_active_keys(&self) -> bool {
        self.refresh(false);
        let now = now_secs();
        let loaded = self.inner.loaded.read().unwrap_or_else(|e| e.into_inner());
        loaded.broken || loaded.keys.iter().any(|(_, k)| k.is_active(now))
    }

    /// Checks a presented key, telling revoked and expired keys apart from unknown ones.
    pub(crate) fn check(&self, presented: &str) -> KeyCheck {
        let Some(id) = key_format::parse_id(presented) else {
            return KeyCheck::Unknown;
        };
        let hash = key_format::hash_hex(presented);
        self.refresh(false);
        if let Some(found) = self.lookup(id, &hash) {
            return found;
        }
        // A key we do not know may have just been created by another process.
        self.refresh(true);
        self.lookup(id, &hash).unwrap_or(KeyCheck::Unknown)
    }

    fn lookup(&self, id: &str, hash: &[u8; 64]) -> Option<KeyCheck> {
        let loaded = self.inner.loaded.read().unwrap_or_else(|e| e.into_inner());
        if loaded.broken {
            return None;
        }
        let (shared_id, key) = loaded
            .keys
            .iter()
            .find(|(_, k)| k.id == id && constant_time_eq(k.hash.as_bytes(), hash))?;
        Some(if key.revoked_at.is_some() {
            KeyCheck::Revoked
        } else if !key.is_active(now_secs()) {
            KeyCheck::Expired
        } else {
            KeyCheck::Valid(shared_id.clone())
        })
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

fn validate_name(name: &str) -> Result<(), KeyError> {
    let invalid = |reason: &str| KeyError::Invalid {
        field: "name",
        reason: reason.into(),
    };
    if name.is_empty() || name.len() > 64 {
        return Err(invalid("use 1 to 64 characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'_' | b'-'))
    {
        return Err(invalid(
            "use only letters, digits, spaces, dots, underscores and hyphens",
        ));
    }
    if name.trim() != name {
        return Err(invalid("do not start or end with a space"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, KeyStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = KeyStore::open(dir.path().join("keys.json")).expect("open");
        (dir, store)
    }

    #[test]
    fn create_verify_revoke() {
        let (_dir, store) = store();
        assert!(!store.has_active_keys());
        let (info, key) = store.create("laptop", None).expect("create");
        assert!(key.expose().starts_with(&info.prefix));
        assert!(store.has_active_keys());
        assert_eq!(store.verify(key.expose()), Some(info.clone()));
        let mut wrong = key.expose().to_owned();
        let last = if wrong.ends_with('A') { "B" } else { "A" };
        wrong.replace_range(wrong.len() - 1.., last);
        assert_eq!(store.verify(&wrong), None);
        assert_eq!(store.verify("nonsense"), None);
        let revoked = store.revoke("laptop").expect("revoke");
        assert!(revoked.revoked_at.is_some());
        assert_eq!(store.check(key.expose()), KeyCheck::Revoked);
        assert!(!store.has_active_keys());
        assert_eq!(store.list().expect("list").len(), 1);
        // The name is free again once revoked.
        store.create("laptop", None).expect("reuse name");
    }

    #[test]
    fn file_holds_hashes_only_and_is_private() {
        let (_dir, store) = store();
        let (_, key) = store.create("ci", Some(now_secs() + 3600)).expect("create");
        let text = fs::read_to_string(store.path()).expect("file");
        assert!(!text.contains(key.expose()));
        assert!(!text.contains(&key.expose()[13..]), "secret part absent");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["version"], 1);
        assert_eq!(v["keys"][0]["hash"].as_str().map(str::len), Some(64));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let json = serde_json::to_string(&store.list().expect("list")).expect("serialise");
        assert!(!json.contains("hash"));
    }

    #[test]
    fn inputs_are_checked_and_errors_name_the_field() {
        let (_dir, store) = store();
        for bad in ["", " lead", "a/b", "ä", &"x".repeat(65)] {
            let e = store.create(bad, None).expect_err(bad);
            assert_eq!(e.field(), Some("name"), "{bad}");
        }
        let e = store.create("ok", Some(1)).expect_err("past expiry");
        assert_eq!(e.field(), Some("expires_at"));
        store.create("ok name_1.x-y", None).expect("valid name");
        let e = store.create("ok name_1.x-y", None).expect_err("duplicate");
        assert!(matches!(e, KeyError::NameTaken { .. }));
        let e = store.revoke("missing").expect_err("unknown");
        assert_eq!(e.field(), Some("key"));
    }

    #[test]
    fn damaged_or_newer_files_are_reported_not_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.json");
        fs::write(&path, "{ not json").expect("write");
        assert!(matches!(
            KeyStore::open(path.clone()),
            Err(KeyError::Corrupt { .. })
        ));
        fs::write(&path, r#"{"version":9,"keys":[]}"#).expect("write");
        assert!(matches!(
            KeyStore::open(path.clone()),
            Err(KeyError::TooNew { version: 9, .. })
        ));
        assert_eq!(
            fs::read_to_string(&path).expect("kept"),
            r#"{"version":9,"keys":[]}"#
        );
    }

    #[test]
    fn another_process_changes_are_seen() {
        let (dir, server) = store();
        let cli = KeyStore::open(dir.path().join("keys.json")).expect("open");
        let (_, key) = cli.create("new", None).expect("create");
        // Unknown keys force a look at the file.
        assert!(server.verify(key.expose()).is_some());
        cli.revoke("new").expect("revoke");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(server.check(key.expose()), KeyCheck::Revoked);
        // A damaged file fails closed.
        let (_, key2) = cli.create("other", None).expect("create");
        assert!(server.verify(key2.expose()).is_some());
        fs::write(server.path(), "garbage").expect("damage");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(server.verify(key2.expose()).is_none());
        assert!(server.has_active_keys());
    }
}
