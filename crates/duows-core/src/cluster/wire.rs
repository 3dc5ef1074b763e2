//! What the head and its nodes send each other, and how the head shows a node: a join and
//! its answer, a heartbeat and its answer (the Ray worker to run), a join token as shown
//! once, a node's GPUs, states and view.

use serde::{Deserialize, Serialize};

/// One GPU of a node, as its hardware report gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct NodeGpu {
    /// Its name (`NVIDIA L4`).
    pub name: String,
    /// Its memory in GiB.
    pub memory_gib: f64,
}

/// Whether the head hears from a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// Its last heartbeat is recent.
    Online,
    /// No heartbeat for [`super::OFFLINE_AFTER_MS`].
    Offline,
}

/// A node's Ray process, as the node reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RayNodeState {
    /// Not running.
    #[default]
    Idle,
    /// `ray start` runs and joins the head.
    Running,
    /// `ray start` ended by itself (the node's `ray_message` says how).
    Failed,
}

/// What the head asks a node to run: its Ray worker joining the head's cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RayAssignment {
    /// `<head address>:<port>`, the cluster to join.
    pub head_address: String,
    /// The GPUs this node gives the cluster.
    pub num_gpus: u32,
    /// This node's address (Ray's node address, `VLLM_HOST_IP`).
    pub node_ip: String,
    /// The interface NCCL and Gloo use, when set.
    pub interface: Option<String>,
}

/// A join: who the node is and where its own control API listens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct JoinRequest {
    /// The node's name (letters, digits, `.`, `-`, `_`; at most 63).
    pub name: String,
    /// The node's control API (`http://host:port`).
    pub control_url: String,
    /// The node's GPUs.
    pub gpus: Vec<NodeGpu>,
}

/// The head's answer to a join: the node's id and key (shown this once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Joined {
    /// The node's id.
    pub node_id: String,
    /// The key the node sends with each heartbeat; the head keeps only its hash.
    pub node_key: String,
}

/// A joined node's heartbeat: its hardware and its Ray process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Heartbeat {
    /// The node's id.
    pub node_id: String,
    /// Its GPUs now.
    pub gpus: Vec<NodeGpu>,
    /// Its Ray process.
    pub ray: RayNodeState,
    /// How its Ray process ended, when it failed.
    pub ray_message: Option<String>,
}

/// The head's answer to a heartbeat: what the node should run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct HeartbeatAnswer {
    /// The Ray worker to run, or none (stop it).
    pub ray: Option<RayAssignment>,
}

/// A join token made on the head, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct IssuedToken {
    /// The token (only now; the head keeps its hash).
    pub token: String,
    /// When it expires (ms since the epoch).
    pub expires_ms: u64,
}

/// A node as the head lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct NodeView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its control API.
    pub control_url: String,
    /// Its GPUs.
    pub gpus: Vec<NodeGpu>,
    /// Online or offline.
    pub state: NodeState,
    /// Its Ray process.
    pub ray: RayNodeState,
    /// How its Ray process ended, when it failed.
    pub ray_message: Option<String>,
    /// Whether the head asks it to run a Ray worker now.
    pub assigned: bool,
    /// When it joined (ms since the epoch).
    pub joined_ms: u64,
    /// When the head last heard from it (ms since the epoch).
    pub last_seen_ms: u64,
}
