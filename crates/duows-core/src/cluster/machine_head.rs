//! The head's side of [`ClusterMachine`]: forming the Ray cluster over the joined nodes,
//! watching it, and stopping it so that nothing stays running on any node.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::ray::{ray_gpus, RayCommand, RayNodeProcess, RayRole};
use super::super::wire::{NodeState, NodeView, RayAssignment, RayNodeState};
use super::{
    ClusterError, ClusterMachine, ClusterStartRequest, RayClusterState, RayClusterStatus,
    FORM_TIMEOUT, RAY_STOP_GRACE,
};
use crate::engine::cluster::{ray_port_problem, ClusterNetwork, RAY_PORT};

/// Counts starts and stops, so a watcher of an older start ends.
static GENERATION: AtomicU64 = AtomicU64::new(0);

impl ClusterMachine {
    /// Starts Ray's head here and asks every online node to join it with its worker; the
    /// cluster is `forming` until Ray holds `gpus_per_node` GPUs of every node, then
    /// `ready`. Answers at once; [`ClusterMachine::status`] follows.
    pub async fn start(
        self: &Arc<Self>,
        request: ClusterStartRequest,
    ) -> Result<RayClusterStatus, ClusterError> {
        if request.gpus_per_node == 0 {
            return Err(invalid(
                "gpus_per_node",
                "must be at least 1 (the tensor-parallel size)",
            ));
        }
        if matches!(
            self.status().state,
            RayClusterState::Forming | RayClusterState::Ready
        ) {
            return Err(invalid(
                "cluster",
                "runs already: stop it first (`duows cluster stop`)",
            ));
        }
        let (nodes, network) = self.network(&request)?;
        let addresses = &network.addresses[1..];
        let head_ip = network.addresses[0];
        let port = network.ray_port;
        let head_address = format!("{head_ip}:{port}");
        let program = RayCommand::locate_program(&self.root);
        let command = RayCommand {
            program: program.clone(),
            role: RayRole::Head { port },
            node_ip: head_ip.to_string(),
            num_gpus: request.gpus_per_node,
            interface: request.interface.clone(),
            temp_dir: None,
        };
        let mut head = self.head.lock().await;
        if let Some(old) = head.take() {
            old.stop(RAY_STOP_GRACE).await;
        }
        let process = RayNodeProcess::start(self.launcher()?, &command, self.log_path("ray-head"))
            .map_err(|e| ClusterError::Ray(e.to_string()))?;
        *head = Some(process);
        drop(head);
        // The nodes are asked to join once the head's Ray answers (see `watch`).
        let assignments: Vec<(String, RayAssignment)> = nodes
            .iter()
            .zip(addresses)
            .map(|(node, address)| {
                (
                    node.id.clone(),
                    RayAssignment {
                        head_address: head_address.clone(),
                        num_gpus: request.gpus_per_node,
                        node_ip: address.to_string(),
                        interface: request.interface.clone(),
                    },
                )
            })
            .collect();
        let wanted = request.gpus_per_node * (nodes.len() as u32 + 1);
        let generation = GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
        self.status.send_replace(RayClusterStatus {
            state: RayClusterState::Forming,
            head_address: Some(head_address.clone()),
            gpus_wanted: wanted,
            gpus_held: 0.0,
            ray_nodes: 0,
            failure: None,
        });
        tokio::spawn(Arc::clone(self).watch(generation, head_address, program, assignments));
        Ok(self.status())
    }

    /// The online nodes and the cluster's network for `request`: the head's address first,
    /// then each node's (the host of its control URL), Ray's port and the interface.
    pub fn network(
        &self,
        request: &ClusterStartRequest,
    ) -> Result<(Vec<NodeView>, ClusterNetwork), ClusterError> {
        let now = duows_base::clock::now_ms();
        let nodes: Vec<NodeView> = self
            .registry()
            .nodes(now)?
            .into_iter()
            .filter(|n| n.state == NodeState::Online)
            .collect();
        if nodes.is_empty() {
            return Err(invalid(
                "nodes",
                "no node is online: join one first (`duows cluster join <head URL>` on it)",
            ));
        }
        let addresses = nodes
            .iter()
            .map(node_address)
            .collect::<Result<Vec<IpAddr>, _>>()?;
        let head_ip = match &request.head_address {
            Some(address) => address.parse::<IpAddr>().map_err(|_| {
                invalid("head_address", &format!("`{address}` is not an IP address"))
            })?,
            None if addresses.iter().all(IpAddr::is_loopback) => IpAddr::from([127, 0, 0, 1]),
            None => {
                return Err(invalid(
                    "head_address",
                    "is needed: this head's address on the network the nodes share",
                ))
            }
        };
        if let Some(interface) = &request.interface {
            let name = interface.trim_start_matches(['=', '^']);
            if name.is_empty()
                || name.len() > 15
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c))
            {
                return Err(invalid(
                    "interface",
                    &format!(
                        "`{interface}` is not a network interface name (`ip -br addr` lists them)"
                    ),
                ));
            }
        }
        let port = request.ray_port.unwrap_or(RAY_PORT);
        if let Some(reason) = ray_port_problem(port) {
            return Err(invalid("ray_port", &reason));
        }
        let network = ClusterNetwork {
            interface: request.interface.clone(),
            addresses: std::iter::once(head_ip).chain(addresses).collect(),
            ray_port: port,
        };
        Ok((nodes, network))
    }

    /// Stops the cluster: every node is asked to stop its worker, the head's Ray stops, and
    /// the stop waits (up to a minute) until every node says its worker is gone.
    pub async fn stop(&self) -> RayClusterStatus {
        GENERATION.fetch_add(1, Ordering::SeqCst);
        self.teardown().await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let nodes = self
                .registry()
                .nodes(duows_base::clock::now_ms())
                .unwrap_or_default();
            let running = nodes
                .iter()
                .any(|n| n.state == NodeState::Online && n.ray == RayNodeState::Running);
            if !running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.status.send_replace(RayClusterStatus::idle());
        self.status()
    }

    /// Clears every assignment and stops the head's Ray.
    async fn teardown(&self) {
        let nodes = self
            .registry()
            .nodes(duows_base::clock::now_ms())
            .unwrap_or_default();
        for node in nodes.iter().filter(|n| n.assigned) {
            let _ = self.registry().assign(&node.id, None);
        }
        if let Some(head) = self.head.lock().await.take() {
            head.stop(RAY_STOP_GRACE).await;
        }
    }

    async fn fail(&self, generation: u64, reason: String) {
        if GENERATION.load(Ordering::SeqCst) != generation {
            return;
        }
        tracing::warn!(%reason, "the Ray cluster failed");
        // Failed first, so the engine on it is failed with this reason before Ray goes.
        self.status.send_modify(|s| {
            s.state = RayClusterState::Failed;
            s.failure = Some(reason);
        });
        self.teardown().await;
    }

    /// Follows one start: forming until Ray holds the GPUs, then watching the head's Ray and
    /// every node's heartbeat and worker.
    async fn watch(
        self: Arc<Self>,
        generation: u64,
        address: String,
        program: std::path::PathBuf,
        assignments: Vec<(String, RayAssignment)>,
    ) {
        let node_ids: Vec<String> = assignments.iter().map(|(id, _)| id.clone()).collect();
        let mut assigned = false;
        let started = Instant::now();
        let mut last_count = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if GENERATION.load(Ordering::SeqCst) != generation {
                return;
            }
            let ended = self.head.lock().await.as_mut().and_then(|p| p.exited());
            if let Some(ended) = ended {
                return self
                    .fail(generation, format!("Ray's head stopped: {ended}"))
                    .await;
            }
            let now = duows_base::clock::now_ms();
            let nodes = self.registry().nodes(now).unwrap_or_default();
            for id in &node_ids {
                let reason = match nodes.iter().find(|n| &n.id == id) {
                    None => Some(format!("node `{id}` was removed")),
                    Some(n) if n.state == NodeState::Offline => Some(format!(
                        "node `{}` stopped answering (last seen {} s ago)",
                        n.name,
                        now.saturating_sub(n.last_seen_ms) / 1000
                    )),
                    Some(n) if n.ray == RayNodeState::Failed => Some(format!(
                        "node `{}`'s Ray worker stopped: {}",
                        n.name,
                        n.ray_message.as_deref().unwrap_or("no reason given")
                    )),
                    Some(_) => None,
                };
                if let Some(reason) = reason {
                    return self.fail(generation, reason).await;
                }
            }
            if self.status().state != RayClusterState::Forming
                || last_count.elapsed() < Duration::from_secs(3)
            {
                continue;
            }
            last_count = Instant::now();
            let wanted = self.status().gpus_wanted;
            match ray_gpus(&program, &address).await {
                Ok((gpus, ray_nodes)) => {
                    if GENERATION.load(Ordering::SeqCst) != generation {
                        return;
                    }
                    if !assigned && ray_nodes > 0 {
                        assigned = true;
                        for (id, assignment) in &assignments {
                            if let Err(error) = self.registry().assign(id, Some(assignment.clone()))
                            {
                                return self.fail(generation, error.to_string()).await;
                            }
                        }
                    }
                    self.status.send_modify(|s| {
                        s.gpus_held = gpus;
                        s.ray_nodes = ray_nodes as u32;
                        if gpus >= f64::from(wanted) && ray_nodes > node_ids.len() {
                            s.state = RayClusterState::Ready;
                        }
                    });
                }
                Err(error) => tracing::debug!(%error, "Ray not answering yet"),
            }
            if self.status().state == RayClusterState::Forming && started.elapsed() > FORM_TIMEOUT {
                let s = self.status();
                return self
                    .fail(
                        generation,
                        format!(
                            "the cluster held {} of the {} GPUs it needs after {} s: read each node's Ray log",
                            s.gpus_held,
                            s.gpus_wanted,
                            FORM_TIMEOUT.as_secs()
                        ),
                    )
                    .await;
            }
        }
    }
}

fn invalid(field: &'static str, reason: &str) -> ClusterError {
    ClusterError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

/// A node's address: the host of its control URL, which must be an IP address.
fn node_address(node: &NodeView) -> Result<IpAddr, ClusterError> {
    let host = reqwest::Url::parse(&node.control_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
        .unwrap_or_default();
    if host == "localhost" {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    host.parse().map_err(|_| {
        invalid(
            "nodes",
            &format!(
                "node `{}` joined as {}: Ray needs its IP address; remove it and join again with its address",
                node.name, node.control_url
            ),
        )
    })
}
