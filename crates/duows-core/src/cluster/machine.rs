//! This machine's part in a cluster ([`ClusterMachine`]). As the head: its node registry, its
//! supervised `ray start --head`, what it asks each node to run, and the Ray cluster's state
//! (forming until it holds the GPUs asked for, then watched: a node that stops answering or
//! a Ray process that ends fails it with that reason). As a member: its membership, the
//! heartbeat that carries its hardware and Ray state to the head and brings back what to
//! run, and its supervised `ray start --address=…` worker.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::membership::Membership;
use super::ray::{RayCommand, RayNodeProcess, RayRole};
use super::registry::NodeRegistry;
use super::wire::{
    Heartbeat, HeartbeatAnswer, JoinRequest, Joined, NodeGpu, RayAssignment, RayNodeState,
};
use crate::engine::process::ProcessLauncher;

/// How long a stop waits after SIGTERM before SIGKILL for Ray's processes.
const RAY_STOP_GRACE: Duration = Duration::from_secs(5);
/// How long forming may take before the cluster counts as failed.
const FORM_TIMEOUT: Duration = Duration::from_secs(180);

/// Where the head's Ray cluster is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RayClusterState {
    /// Not running.
    Idle,
    /// Ray runs; waiting for the nodes' GPUs.
    Forming,
    /// The cluster holds the GPUs asked for.
    Ready,
    /// Stopped by a failure (see `failure`).
    Failed,
}

/// The head's Ray cluster, as the UI and `duows cluster nodes` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RayClusterStatus {
    /// Its state.
    pub state: RayClusterState,
    /// `<head address>:<port>` while it runs.
    pub head_address: Option<String>,
    /// GPUs it must hold (`T × P`).
    pub gpus_wanted: u32,
    /// GPUs it holds, as Ray last said.
    pub gpus_held: f64,
    /// Ray nodes alive, as Ray last said.
    pub ray_nodes: u32,
    /// Why it failed.
    pub failure: Option<String>,
}

impl RayClusterStatus {
    fn idle() -> Self {
        Self {
            state: RayClusterState::Idle,
            head_address: None,
            gpus_wanted: 0,
            gpus_held: 0.0,
            ray_nodes: 0,
            failure: None,
        }
    }
}

/// What a cluster start asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ClusterStartRequest {
    /// GPUs each node gives (the tensor-parallel size).
    pub gpus_per_node: u32,
    /// Ray's port on the head (6379 when not given).
    #[serde(default)]
    pub ray_port: Option<u16>,
    /// The interface the nodes reach each other on, for NCCL and Gloo.
    #[serde(default)]
    pub interface: Option<String>,
    /// The head's address on the network the nodes share; needed unless every node is on
    /// this machine's loopback.
    #[serde(default)]
    pub head_address: Option<String>,
    /// The engine to serve once Ray holds the GPUs: a catalog model, fitted across the head
    /// and its online nodes (its tensor-parallel size then sets `gpus_per_node`).
    #[serde(default)]
    pub engine: Option<crate::engine::launch::LaunchRequest>,
}

/// Why a cluster call was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A field is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong and the fix.
        reason: String,
    },
    /// The registry refused.
    #[error(transparent)]
    Registry(#[from] super::registry::RegistryError),
    /// The head refused or did not answer.
    #[error("{0}")]
    Head(String),
    /// A Ray process could not start.
    #[error("{0}")]
    Ray(String),
}

/// This machine's part in a cluster.
pub struct ClusterMachine {
    root: PathBuf,
    registry: NodeRegistry,
    launcher: OnceLock<Result<ProcessLauncher, String>>,
    client: reqwest::Client,
    head: tokio::sync::Mutex<Option<RayNodeProcess>>,
    status: watch::Sender<RayClusterStatus>,
    worker: tokio::sync::Mutex<Option<(RayAssignment, RayNodeProcess)>>,
    worker_ended: Mutex<Option<String>>,
    engine: Mutex<Option<String>>,
}

impl ClusterMachine {
    /// The cluster part of the data folder at `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            registry: NodeRegistry::in_data_dir(root),
            launcher: OnceLock::new(),
            client: reqwest::Client::builder()
                .no_proxy()
                .connect_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            head: tokio::sync::Mutex::new(None),
            status: watch::channel(RayClusterStatus::idle()).0,
            worker: tokio::sync::Mutex::new(None),
            worker_ended: Mutex::new(None),
            engine: Mutex::new(None),
        }
    }

    /// The head's node registry.
    pub fn registry(&self) -> &NodeRegistry {
        &self.registry
    }

    /// The Ray cluster's state on this head.
    pub fn status(&self) -> RayClusterStatus {
        self.status.borrow().clone()
    }

    /// Follows the Ray cluster's state on this head.
    pub fn watch_status(&self) -> watch::Receiver<RayClusterStatus> {
        self.status.subscribe()
    }

    /// Records (or clears) the name of the engine served on this head's Ray cluster; returns
    /// the one recorded before.
    pub fn set_engine(&self, name: Option<String>) -> Option<String> {
        std::mem::replace(
            &mut *self.engine.lock().unwrap_or_else(|p| p.into_inner()),
            name,
        )
    }

    /// This node's membership, when it joined a head.
    pub fn membership(&self) -> Option<Membership> {
        Membership::load(&self.root).ok().flatten()
    }

    fn launcher(&self) -> Result<&ProcessLauncher, ClusterError> {
        self.launcher
            .get_or_init(|| ProcessLauncher::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| ClusterError::Ray(format!("cannot start the process launcher: {e}")))
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.root
            .join("logs")
            .join("cluster")
            .join(format!("{name}.log"))
    }

    /// Joins the head at `head_url` with a join token; keeps the membership.
    pub async fn join(
        &self,
        head_url: &str,
        token: &str,
        request: &JoinRequest,
    ) -> Result<Joined, ClusterError> {
        let head_url = head_url.trim_end_matches('/');
        let answer = self
            .client
            .post(format!("{head_url}/api/cluster/admit"))
            .bearer_auth(token)
            .json(request)
            .send()
            .await
            .map_err(|e| {
                ClusterError::Head(format!(
                    "the head at {head_url} did not answer ({}): check the address and that its `duows serve` listens there",
                    e.without_url()
                ))
            })?;
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        if !status.is_success() {
            let message = body["message"].as_str().unwrap_or("no reason given");
            return Err(ClusterError::Head(format!(
                "the head at {head_url} refused the join ({status}): {message}"
            )));
        }
        let joined: Joined = serde_json::from_value(body).map_err(|e| {
            ClusterError::Head(format!("the head's answer was not understood: {e}"))
        })?;
        Membership {
            head_url: head_url.to_owned(),
            node_id: joined.node_id.clone(),
            node_key: duows_base::secret::Secret::new(joined.node_key.clone()),
        }
        .save(&self.root)
        .map_err(|e| ClusterError::Head(e.to_string()))?;
        Ok(joined)
    }

    /// One heartbeat to the head (when this node is a member), then starts or stops the
    /// Ray worker as the head answers. A head that no longer knows this node ends the
    /// membership.
    pub async fn beat(&self, gpus: Vec<NodeGpu>) -> Result<(), ClusterError> {
        let Some(membership) = self.membership() else {
            return Ok(());
        };
        let (ray, ray_message) = self.worker_state().await;
        let beat = Heartbeat {
            node_id: membership.node_id.clone(),
            gpus,
            ray,
            ray_message,
        };
        let sent = self
            .client
            .post(format!("{}/api/cluster/heartbeat", membership.head_url))
            .bearer_auth(membership.node_key.expose())
            .json(&beat)
            .send()
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) => {
                // The head is away: a worker whose head is gone cannot serve.
                self.follow(None).await;
                return Err(ClusterError::Head(format!(
                    "the head did not answer the heartbeat: {}",
                    e.without_url()
                )));
            }
        };
        if answer.status() == reqwest::StatusCode::UNAUTHORIZED {
            self.follow(None).await;
            let _ = Membership::forget(&self.root);
            return Err(ClusterError::Head(
                "the head no longer knows this node (removed): join again to rejoin".into(),
            ));
        }
        let answer: HeartbeatAnswer = answer
            .error_for_status()
            .map_err(|e| ClusterError::Head(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| ClusterError::Head(e.to_string()))?;
        self.follow(answer.ray).await;
        Ok(())
    }

    async fn worker_state(&self) -> (RayNodeState, Option<String>) {
        let mut worker = self.worker.lock().await;
        if let Some((_, process)) = worker.as_mut() {
            if let Some(ended) = process.exited() {
                *worker = None;
                *self.worker_ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(ended);
            } else {
                return (RayNodeState::Running, None);
            }
        }
        match self
            .worker_ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            Some(ended) => (RayNodeState::Failed, Some(ended)),
            None => (RayNodeState::Idle, None),
        }
    }

    /// Stops this machine's Ray processes (at exit): the head's cluster, with every node's
    /// worker, and this node's own worker.
    pub async fn shutdown(&self) {
        if self.head.lock().await.is_some() {
            self.stop().await;
        }
        self.follow(None).await;
    }

    /// Makes this node's Ray worker match what the head asks for.
    async fn follow(&self, wanted: Option<RayAssignment>) {
        let mut worker = self.worker.lock().await;
        let current = worker.as_ref().map(|(assignment, _)| assignment.clone());
        if current == wanted {
            return;
        }
        if let Some((_, process)) = worker.take() {
            process.stop(RAY_STOP_GRACE).await;
        }
        let Some(assignment) = wanted else {
            *self.worker_ended.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return;
        };
        if self
            .worker_ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            // It ended by itself; the head sees that and decides (no restart loop here).
            return;
        }
        let command = RayCommand {
            program: RayCommand::locate_program(&self.root),
            role: RayRole::Worker {
                head_address: assignment.head_address.clone(),
            },
            node_ip: assignment.node_ip.clone(),
            num_gpus: assignment.num_gpus,
            interface: assignment.interface.clone(),
            temp_dir: None,
        };
        let started = self.launcher().and_then(|l| {
            RayNodeProcess::start(l, &command, self.log_path("ray-worker"))
                .map_err(|e| ClusterError::Ray(e.to_string()))
        });
        match started {
            Ok(process) => *worker = Some((assignment, process)),
            Err(e) => {
                *self.worker_ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string())
            }
        }
    }
}

#[path = "machine_head.rs"]
mod head;
