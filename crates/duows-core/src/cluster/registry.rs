//! The head's node registry: `<data folder>/cluster/nodes.json` (0600), versioned. It keeps
//! the join tokens still valid (hashed, with their expiry, each good for one join) and the
//! nodes that joined: their name, control URL, hashed key, hardware, Ray state, what the head
//! asks them to run, and when each was last seen. A node that has not sent a heartbeat for
//! [`OFFLINE_AFTER_MS`] is offline.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::token::{hash_secret, new_secret, secret_matches};
use super::wire::{
    Heartbeat, HeartbeatAnswer, IssuedToken, JoinRequest, Joined, NodeGpu, NodeState, NodeView,
    RayAssignment, RayNodeState,
};

/// A node is offline once its last heartbeat is this old.
pub const OFFLINE_AFTER_MS: u64 = 10_000;
/// The registry file's format.
const VERSION: u32 = 1;
const TOKEN_PREFIX: &str = "dwj_";
const NODE_KEY_PREFIX: &str = "dwn_";

/// Why a registry call was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A field of the request is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong and the fix.
        reason: String,
    },
    /// The join token or node key is not (or no longer) valid.
    #[error("{0}")]
    Unauthorized(String),
    /// No node of that id or name.
    #[error("no node `{0}` has joined this head (`duows cluster nodes` lists them)")]
    UnknownNode(String),
    /// The file cannot be read or written.
    #[error("the node registry {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredToken {
    hash: String,
    expires_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredNode {
    id: String,
    name: String,
    control_url: String,
    key_hash: String,
    gpus: Vec<NodeGpu>,
    #[serde(default)]
    ray: RayNodeState,
    #[serde(default)]
    ray_message: Option<String>,
    #[serde(default)]
    assignment: Option<RayAssignment>,
    joined_ms: u64,
    last_seen_ms: u64,
}

impl StoredNode {
    fn view(&self, now_ms: u64) -> NodeView {
        NodeView {
            id: self.id.clone(),
            name: self.name.clone(),
            control_url: self.control_url.clone(),
            gpus: self.gpus.clone(),
            state: if now_ms.saturating_sub(self.last_seen_ms) > OFFLINE_AFTER_MS {
                NodeState::Offline
            } else {
                NodeState::Online
            },
            ray: self.ray,
            ray_message: self.ray_message.clone(),
            assigned: self.assignment.is_some(),
            joined_ms: self.joined_ms,
            last_seen_ms: self.last_seen_ms,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RegistryFile {
    version: u32,
    tokens: Vec<StoredToken>,
    nodes: Vec<StoredNode>,
}

/// The head's node registry file; every change is read, changed and written under one lock.
pub struct NodeRegistry {
    path: PathBuf,
    lock: Mutex<()>,
}

impl NodeRegistry {
    /// The registry of the data folder at `root` (`<root>/cluster/nodes.json`).
    pub fn in_data_dir(root: &Path) -> Self {
        Self::at(root.join("cluster").join("nodes.json"))
    }

    /// The registry at `path`.
    pub fn at(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    fn file_error(&self, reason: impl ToString) -> RegistryError {
        RegistryError::File {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    fn change<T>(
        &self,
        change: impl FnOnce(&mut RegistryFile) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = self.read()?;
        let answer = change(&mut file)?;
        file.version = VERSION;
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| self.file_error(e))?;
        duows_base::files::write_atomic(&self.path, &bytes, Some(0o600))
            .map_err(|e| self.file_error(e))?;
        Ok(answer)
    }

    fn read(&self) -> Result<RegistryFile, RegistryError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let file: RegistryFile =
                    serde_json::from_slice(&bytes).map_err(|e| self.file_error(e))?;
                if file.version != VERSION {
                    return Err(self.file_error(format!(
                        "version {} is not one this program reads ({VERSION})",
                        file.version
                    )));
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RegistryFile::default()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    /// Makes a join token valid for `ttl_ms`; only its hash is kept.
    pub fn issue_token(&self, now_ms: u64, ttl_ms: u64) -> Result<IssuedToken, RegistryError> {
        let token = new_secret(TOKEN_PREFIX).map_err(|e| self.file_error(e))?;
        let expires_ms = now_ms.saturating_add(ttl_ms);
        let hash = hash_secret(&token);
        self.change(|file| {
            file.tokens.retain(|t| t.expires_ms > now_ms);
            file.tokens.push(StoredToken { hash, expires_ms });
            Ok(())
        })?;
        Ok(IssuedToken { token, expires_ms })
    }

    /// Adds a node with a valid, unused join token (which is then used up).
    pub fn join(
        &self,
        token: &str,
        request: &JoinRequest,
        now_ms: u64,
    ) -> Result<Joined, RegistryError> {
        check_name(&request.name)?;
        check_control_url(&request.control_url)?;
        let node_key = new_secret(NODE_KEY_PREFIX).map_err(|e| self.file_error(e))?;
        let node_id = new_secret("node-").map_err(|e| self.file_error(e))?[..17].to_owned();
        self.change(|file| {
            file.tokens.retain(|t| t.expires_ms > now_ms);
            let at = file
                .tokens
                .iter()
                .position(|t| secret_matches(token, &t.hash))
                .ok_or_else(|| {
                    RegistryError::Unauthorized(
                        "the join token is not valid (wrong, expired or used already): make a new one on the head with `duows cluster token`".into(),
                    )
                })?;
            if file.nodes.iter().any(|n| n.name == request.name) {
                return Err(RegistryError::Invalid {
                    field: "name",
                    reason: format!(
                        "a node named `{}` has joined already: remove it on the head (`duows cluster remove {}`) or join under another name",
                        request.name, request.name
                    ),
                });
            }
            file.tokens.remove(at);
            file.nodes.push(StoredNode {
                id: node_id.clone(),
                name: request.name.clone(),
                control_url: request.control_url.clone(),
                key_hash: hash_secret(&node_key),
                gpus: request.gpus.clone(),
                ray: RayNodeState::Idle,
                ray_message: None,
                assignment: None,
                joined_ms: now_ms,
                last_seen_ms: now_ms,
            });
            Ok(())
        })?;
        Ok(Joined { node_id, node_key })
    }

    /// Records a node's heartbeat (its key checked) and answers what it should run.
    pub fn heartbeat(
        &self,
        node_key: &str,
        beat: &Heartbeat,
        now_ms: u64,
    ) -> Result<HeartbeatAnswer, RegistryError> {
        self.change(|file| {
            let node = file
                .nodes
                .iter_mut()
                .find(|n| n.id == beat.node_id && secret_matches(node_key, &n.key_hash))
                .ok_or_else(|| {
                    RegistryError::Unauthorized(format!(
                        "node `{}` is not a member of this head (removed, or a wrong key): join again with a new token",
                        beat.node_id
                    ))
                })?;
            node.gpus = beat.gpus.clone();
            node.ray = beat.ray;
            node.ray_message = beat.ray_message.clone();
            node.last_seen_ms = now_ms;
            Ok(HeartbeatAnswer {
                ray: node.assignment.clone(),
            })
        })
    }

    /// Every node, in the order they joined.
    pub fn nodes(&self, now_ms: u64) -> Result<Vec<NodeView>, RegistryError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.read()?.nodes.iter().map(|n| n.view(now_ms)).collect())
    }

    /// Sets (or clears) what a node is asked to run.
    pub fn assign(
        &self,
        node_id: &str,
        assignment: Option<RayAssignment>,
    ) -> Result<(), RegistryError> {
        self.change(|file| {
            let node = file
                .nodes
                .iter_mut()
                .find(|n| n.id == node_id)
                .ok_or_else(|| RegistryError::UnknownNode(node_id.to_owned()))?;
            node.assignment = assignment;
            Ok(())
        })
    }

    /// Removes a node, by id or name; its key stops working.
    pub fn remove(&self, node: &str, now_ms: u64) -> Result<NodeView, RegistryError> {
        self.change(|file| {
            let at = file
                .nodes
                .iter()
                .position(|n| n.id == node || n.name == node)
                .ok_or_else(|| RegistryError::UnknownNode(node.to_owned()))?;
            Ok(file.nodes.remove(at).view(now_ms))
        })
    }
}

fn check_name(name: &str) -> Result<(), RegistryError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            field: "name",
            reason: format!(
                "`{name}` is not a node name: use 1 to 63 letters, digits, '.', '-' or '_' (the machine's host name usually fits)"
            ),
        })
    }
}

fn check_control_url(url: &str) -> Result<(), RegistryError> {
    let parsed = reqwest::Url::parse(url).ok();
    let ok = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    if ok {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            field: "control_url",
            reason: format!(
                "`{url}` is not the node's control API address: give http://<host>:<port>, as its `duows serve` prints it"
            ),
        })
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
