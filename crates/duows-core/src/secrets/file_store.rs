//! The secrets file: a JSON object of secret id → value, mode 0600, written atomically. A
//! file others can read has its mode narrowed before it is read, and that is logged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use duows_base::Secret;

use super::SecretStoreError;

/// The secrets file of a data folder.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    /// Serialises this program's read-modify-write cycles.
    lock: Arc<std::sync::Mutex<()>>,
}

impl FileStore {
    /// The store at `path` (created on the first write).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Arc::default(),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of `id`, if stored.
    pub fn get(&self, id: &str) -> Result<Option<Secret>, SecretStoreError> {
        Ok(self.read()?.remove(id).map(Secret::new))
    }

    /// Stores `value` under `id`.
    pub fn set(&self, id: &str, value: &Secret) -> Result<(), SecretStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut all = self.read()?;
        all.insert(id.to_owned(), value.expose().to_owned());
        self.write(&all)
    }

    /// Removes `id`; a missing file or id is not an error.
    pub fn remove(&self, id: &str) -> Result<(), SecretStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut all = self.read()?;
        if all.remove(id).is_some() {
            self.write(&all)?;
        }
        Ok(())
    }

    fn read(&self) -> Result<BTreeMap<String, String>, SecretStoreError> {
        let failed = |reason: String| SecretStoreError::File {
            action: "read",
            path: self.path.clone(),
            reason,
        };
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(failed(e.to_string())),
        };
        self.narrow_mode();
        serde_json::from_slice(&bytes)
            .map_err(|e| failed(format!("it is not a JSON object of strings ({e})")))
    }

    #[cfg(unix)]
    fn narrow_mode(&self) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %self.path.display(), "the secrets file was readable by others; it is now readable only by its owner");
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600));
        }
    }

    #[cfg(not(unix))]
    fn narrow_mode(&self) {}

    fn write(&self, all: &BTreeMap<String, String>) -> Result<(), SecretStoreError> {
        let failed = |reason: String| SecretStoreError::File {
            action: "write",
            path: self.path.clone(),
            reason,
        };
        let bytes = serde_json::to_vec_pretty(all).map_err(|e| failed(e.to_string()))?;
        duows_base::files::write_atomic(&self.path, &bytes, Some(0o600))
            .map_err(|e| failed(e.to_string()))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_file_is_readable_only_by_its_owner() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FileStore::new(dir.path().join("secrets.json"));
        store.set("a", &Secret::new("1")).expect("set");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        assert_eq!(store.get("a").expect("get"), Some(Secret::new("1")));
        assert_eq!(mode(store.path()), 0o600, "narrowed when read");
        std::fs::write(store.path(), "not json").expect("write");
        let error = store.get("a").expect_err("unreadable");
        assert!(error.to_string().contains("secrets.json"), "{error}");
    }
}
