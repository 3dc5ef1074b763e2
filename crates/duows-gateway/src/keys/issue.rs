//! Making, listing and revoking keys: each change reads the file afresh and writes it back
//! atomically, so two processes never lose each other's keys.

use duows_base::clock::now_secs;
use duows_base::Secret;

use super::{KeyError, KeyInfo, KeyStore};
use crate::key_file::{read_file, StoredKey};
use crate::key_format;

impl KeyStore {
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
}

impl KeyStore {
    /// Takes a key out of the file for good (a short-lived key used once, such as the
    /// doctor's): it stops working at once and leaves no revoked entry behind.
    pub fn remove(&self, id: &str) -> Result<KeyInfo, KeyError> {
        self.modify(|keys| {
            let at = keys
                .iter()
                .position(|k| k.id == id)
                .ok_or_else(|| KeyError::NotFound { key: id.into() })?;
            Ok(KeyInfo::from(&keys.remove(at)))
        })
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
