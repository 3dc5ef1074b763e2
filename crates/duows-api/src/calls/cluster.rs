//! The cluster calls. On the head: make a join token (shown once), admit a node that
//! presents one, take each member's heartbeat (its key as the bearer), list and remove
//! nodes, start and stop the Ray cluster over them. On a node: join a head (the token goes
//! to the head as a bearer, never on a command line) and send the heartbeat every
//! [`HEARTBEAT_EVERY`].

use std::time::Duration;

use duows_core::cluster::{
    ClusterStartRequest, Heartbeat, HeartbeatAnswer, IssuedToken, JoinRequest, Joined, NodeGpu,
    NodeView, RayClusterStatus,
};
use serde::{Deserialize, Serialize};

use super::cluster_errors::{cluster_error, registry_error, unauthorized};
use crate::{ApiError, ApiState};

/// How often a member tells the head it is there.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// How long a join token stays valid.
const TOKEN_TTL_MS: u64 = 30 * 60 * 1000;

/// This machine's place in a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ClusterRole {
    /// Neither head nor member.
    Standalone,
    /// Nodes joined this machine.
    Head,
    /// This machine joined a head.
    Member,
}

/// `cluster_nodes`: this machine's role, the head it joined, the nodes that joined it and
/// its Ray cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ClusterView {
    /// Head, member or neither.
    pub role: ClusterRole,
    /// The head this machine joined (a member).
    pub head_url: Option<String>,
    /// This machine's id on that head (a member).
    pub node_id: Option<String>,
    /// The nodes that joined this machine (a head).
    pub nodes: Vec<NodeView>,
    /// The Ray cluster this head runs.
    pub ray: RayClusterStatus,
}

/// Body of `cluster_join` (sent to this machine's own server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ClusterJoinParams {
    /// The head's control API (`http://host:port`).
    pub head_url: String,
    /// The join token the head showed.
    pub token: String,
    /// This node's name (the host name when not given).
    #[serde(default)]
    pub name: Option<String>,
    /// This node's control API as the head reaches it.
    pub control_url: String,
}

/// Body of `cluster_remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ClusterRemoveParams {
    /// The node's id or name.
    pub node: String,
}

/// `cluster_token`: a join token, valid for 30 minutes and one join; shown only now.
pub async fn cluster_token(state: &ApiState) -> Result<IssuedToken, ApiError> {
    let state = state.clone();
    super::blocking(move || {
        state
            .cluster()
            .registry()
            .issue_token(duows_base::clock::now_ms(), TOKEN_TTL_MS)
            .map_err(registry_error)
    })
    .await
}

/// `cluster_admit`: a node joins this head with a join token (`bearer`).
pub async fn cluster_admit(
    state: &ApiState,
    bearer: Option<String>,
    params: JoinRequest,
) -> Result<Joined, ApiError> {
    let token =
        bearer.ok_or_else(|| unauthorized("a join needs the head's join token as the bearer"))?;
    let state = state.clone();
    super::blocking(move || {
        let joined = state
            .cluster()
            .registry()
            .join(&token, &params, duows_base::clock::now_ms())
            .map_err(registry_error)?;
        state.notify_change();
        Ok(joined)
    })
    .await
}

/// `cluster_heartbeat`: a member says it is there (its key as `bearer`); the answer says
/// what it should run.
pub async fn cluster_heartbeat(
    state: &ApiState,
    bearer: Option<String>,
    params: Heartbeat,
) -> Result<HeartbeatAnswer, ApiError> {
    let key =
        bearer.ok_or_else(|| unauthorized("a heartbeat needs the node's key as the bearer"))?;
    let state = state.clone();
    super::blocking(move || {
        state
            .cluster()
            .registry()
            .heartbeat(&key, &params, duows_base::clock::now_ms())
            .map_err(registry_error)
    })
    .await
}

/// `cluster_nodes`: this machine's role, its nodes with their hardware, state and when each
/// was last seen, and its Ray cluster.
pub async fn cluster_nodes(state: &ApiState) -> Result<ClusterView, ApiError> {
    let state = state.clone();
    super::blocking(move || {
        let cluster = state.cluster();
        let nodes = cluster
            .registry()
            .nodes(duows_base::clock::now_ms())
            .map_err(registry_error)?;
        let membership = cluster.membership();
        let role = match (&membership, nodes.is_empty()) {
            (Some(_), _) => ClusterRole::Member,
            (None, false) => ClusterRole::Head,
            (None, true) => ClusterRole::Standalone,
        };
        Ok(ClusterView {
            role,
            head_url: membership.as_ref().map(|m| m.head_url.clone()),
            node_id: membership.map(|m| m.node_id),
            nodes,
            ray: cluster.status(),
        })
    })
    .await
}

/// `cluster_remove`: forgets a node (its key stops working; its next heartbeat ends its
/// membership and its Ray worker).
pub async fn cluster_remove(
    state: &ApiState,
    params: ClusterRemoveParams,
) -> Result<NodeView, ApiError> {
    let state = state.clone();
    super::blocking(move || {
        let removed = state
            .cluster()
            .registry()
            .remove(&params.node, duows_base::clock::now_ms())
            .map_err(registry_error)?;
        state.notify_change();
        Ok(removed)
    })
    .await
}

/// `cluster_join`: this machine joins the head at `head_url` with its token.
pub async fn cluster_join(
    state: &ApiState,
    params: ClusterJoinParams,
) -> Result<ClusterView, ApiError> {
    let name = match params.name {
        Some(name) => name,
        None => host_name(),
    };
    let request = JoinRequest {
        name,
        control_url: params.control_url,
        gpus: gpus(state).await,
    };
    state
        .cluster()
        .join(&params.head_url, &params.token, &request)
        .await
        .map_err(cluster_error)?;
    state.notify_change();
    let _ = state.cluster().beat(request.gpus).await;
    cluster_nodes(state).await
}

/// `cluster_start`: forms the Ray cluster over the online nodes (this head's Ray head,
/// each node's worker); `forming` until Ray holds the GPUs, then `ready`. With `engine`, the
/// model is fitted across the nodes and checked first, and served once Ray is ready.
pub async fn cluster_start(
    state: &ApiState,
    params: ClusterStartRequest,
) -> Result<RayClusterStatus, ApiError> {
    super::cluster_engine::start(state, params).await
}

/// `cluster_stop`: stops the Ray cluster on every node and waits until each node's worker
/// is gone.
pub async fn cluster_stop(state: &ApiState) -> Result<RayClusterStatus, ApiError> {
    super::cluster_engine::stop(state).await
}

/// Sends this member's heartbeat every [`HEARTBEAT_EVERY`] until the program stops.
pub fn spawn_heartbeat(state: ApiState) {
    tokio::spawn(async move {
        let stopped = state.stopped();
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                () = &mut stopped => return,
                () = tokio::time::sleep(HEARTBEAT_EVERY) => {}
            }
            let cluster = state.cluster();
            if cluster.membership().is_none() {
                continue;
            }
            if let Err(error) = cluster.beat(gpus(&state).await).await {
                tracing::warn!(%error, "cluster heartbeat");
            }
        }
    });
}

async fn gpus(state: &ApiState) -> Vec<NodeGpu> {
    super::hardware(state)
        .await
        .map(|report| {
            report
                .gpus
                .iter()
                .map(|gpu| NodeGpu {
                    name: gpu.name.clone(),
                    memory_gib: gpu.memory_total_gib,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into())
}
