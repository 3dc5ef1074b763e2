//! A joined node's membership: `<data folder>/cluster/membership.json`, readable only by the
//! user: the head's control URL, this node's id and its key (sent as a bearer with each
//! heartbeat, never printed).

use std::path::{Path, PathBuf};

use duows_base::secret::Secret;
use serde::{Deserialize, Serialize};

/// Why the membership file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("the cluster membership {path}: {reason}")]
pub struct MembershipError {
    /// The file.
    pub path: PathBuf,
    /// The error.
    pub reason: String,
}

#[derive(Serialize, Deserialize)]
struct MembershipFile {
    head_url: String,
    node_id: String,
    node_key: String,
}

/// This node's place in a head's cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The head's control API (`http://host:port`).
    pub head_url: String,
    /// This node's id on the head.
    pub node_id: String,
    /// This node's key.
    pub node_key: Secret,
}

impl Membership {
    fn path(root: &Path) -> PathBuf {
        root.join("cluster").join("membership.json")
    }

    fn error(root: &Path, reason: impl ToString) -> MembershipError {
        MembershipError {
            path: Self::path(root),
            reason: reason.to_string(),
        }
    }

    /// The membership of the data folder at `root`, if this node joined a head.
    pub fn load(root: &Path) -> Result<Option<Self>, MembershipError> {
        match std::fs::read(Self::path(root)) {
            Ok(bytes) => {
                let file: MembershipFile =
                    serde_json::from_slice(&bytes).map_err(|e| Self::error(root, e))?;
                Ok(Some(Self {
                    head_url: file.head_url,
                    node_id: file.node_id,
                    node_key: Secret::new(file.node_key),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::error(root, e)),
        }
    }

    /// Keeps the membership (0600).
    pub fn save(&self, root: &Path) -> Result<(), MembershipError> {
        let file = MembershipFile {
            head_url: self.head_url.clone(),
            node_id: self.node_id.clone(),
            node_key: self.node_key.expose().to_owned(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| Self::error(root, e))?;
        duows_base::files::write_atomic(&Self::path(root), &bytes, Some(0o600))
            .map_err(|e| Self::error(root, e))
    }

    /// Forgets the membership (after the head removed this node).
    pub fn forget(root: &Path) -> Result<(), MembershipError> {
        match std::fs::remove_file(Self::path(root)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Self::error(root, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_round_trips_in_a_private_file() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(Membership::load(dir.path()).expect("load"), None);
        let membership = Membership {
            head_url: "http://10.0.0.1:8484".into(),
            node_id: "node-1".into(),
            node_key: Secret::new("dwn_abc"),
        };
        membership.save(dir.path()).expect("save");
        assert_eq!(
            Membership::load(dir.path()).expect("load"),
            Some(membership)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("cluster/membership.json"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Membership::forget(dir.path()).expect("forget");
        assert_eq!(Membership::load(dir.path()).expect("load"), None);
    }
}
