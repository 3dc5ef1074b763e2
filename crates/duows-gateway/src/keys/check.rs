//! Checking a presented key against the hashes: by id, in constant time, telling revoked and
//! expired keys apart from unknown ones; a key not yet known triggers a fresh read of the file.

use duows_base::access::constant_time_eq;
use duows_base::clock::now_secs;

use super::{KeyCheck, KeyInfo, KeyStore};
use crate::key_format;

impl KeyStore {
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
}
