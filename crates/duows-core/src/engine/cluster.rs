//! Starting one model across nodes: vLLM on a Ray cluster, as vLLM documents it. Pure: the
//! command lines only (supervising them is the node's `duows`).
//!
//! Each node runs `ray start` with its GPUs: the head `--head --port P`, every other node
//! `--address=<head>:P`, each with `--node-ip-address` and, in its environment,
//! `VLLM_HOST_IP` set to its own address on the interface the nodes share, and
//! `NCCL_SOCKET_IFNAME` and `GLOO_SOCKET_IFNAME` naming that interface (else NCCL and Gloo
//! may pick another and hang). Once the cluster holds `T × P` GPUs, the head runs
//! `vllm serve … --tensor-parallel-size T --pipeline-parallel-size P
//! --distributed-executor-backend ray` with the same sizing flags as on one node; vLLM
//! passes its `VLLM_*` variables (such as `VLLM_PP_LAYER_PARTITION`) on to the workers.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;

use super::plan::{shell_quote, vllm_plan, EnvValue, EnvVar, LaunchPlan, PlanError, PlanOptions};
use crate::catalog::{Model, Variant};
use crate::fit::FitResult;

/// Ray's default port on the head (its GCS server).
pub const RAY_PORT: u16 = 6379;

/// The ports `ray start` gives its worker processes unless told otherwise
/// (`--min-worker-port`, `--max-worker-port`).
pub(crate) const RAY_WORKER_PORTS: std::ops::RangeInclusive<u16> = 10002..=19999;

/// Why `port` cannot be Ray's port on the head, or `None` when it can: a head given one of
/// the ports `ray start` keeps for its own parts refuses to start ("trying to use a port
/// number … that is used by other components"), after the cluster was set up.
pub fn ray_port_problem(port: u16) -> Option<String> {
    let own = match port {
        0 => return Some("must be a port between 1 and 65535 (Ray's default is 6379)".into()),
        8265 => "Ray's dashboard port",
        10001 => "Ray's client server port (when Ray's client is installed)",
        52365 => "Ray's dashboard agent port",
        p if RAY_WORKER_PORTS.contains(&p) => "among the ports Ray gives its workers (10002–19999)",
        _ => return None,
    };
    Some(format!(
        "{port} is {own}, so Ray refuses it for its head: choose another, such as Ray's default 6379"
    ))
}

/// How the nodes reach each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNetwork {
    /// The network interface the nodes reach each other on (`ib0`, `eth0`, …): NCCL's and
    /// Gloo's sockets use it. `None`: not set.
    pub interface: Option<String>,
    /// Each node's address on that interface, the head first (`VLLM_HOST_IP`, Ray's node
    /// address).
    pub addresses: Vec<IpAddr>,
    /// Ray's port on the head.
    pub ray_port: u16,
}

impl Default for ClusterNetwork {
    fn default() -> Self {
        Self {
            interface: None,
            addresses: Vec::new(),
            ray_port: RAY_PORT,
        }
    }
}

/// What a node does in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Runs Ray's head, the first pipeline stage and `vllm serve` (the API).
    Head,
    /// Joins the head's cluster with its GPUs: one later pipeline stage.
    Worker,
}

/// One program to run on a node.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct NodeCommand {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its environment, on top of the node's.
    pub env: Vec<EnvVar>,
}

impl NodeCommand {
    /// The command as a user would type it.
    pub fn command_line(&self) -> String {
        let env = self.env.iter().map(|var| match &var.value {
            EnvValue::Plain(v) => format!("{}={}", var.name, shell_quote(v)),
            EnvValue::Secret(_) => format!("{}=<hidden>", var.name),
        });
        let words = std::iter::once(shell_quote(&self.program.display().to_string()))
            .chain(self.args.iter().map(|a| shell_quote(a)));
        env.chain(words).collect::<Vec<_>>().join(" ")
    }
}

/// What one node runs.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ClusterNode {
    /// Its place (0: the head), which is also its pipeline stage.
    pub node: u32,
    /// Head or worker.
    pub role: NodeRole,
    /// Its address on the shared interface.
    pub address: String,
    /// Its `ray start`, kept in the foreground (`--block`) so that it can be supervised.
    pub ray: NodeCommand,
}

/// The commands of one model across nodes.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ClusterPlan {
    /// `<head address>:<port>`, what the workers join.
    pub head_address: String,
    /// GPUs the cluster must hold before `vllm serve` starts (`T × P`).
    pub gpus: u32,
    /// Each node's `ray start`, the head first.
    pub nodes: Vec<ClusterNode>,
    /// The head's `vllm serve`, once the cluster holds the GPUs.
    pub serve: LaunchPlan,
    /// Whether the interface and addresses are placeholders (a plan for machines described,
    /// not yet named).
    pub placeholders: bool,
}

/// The cluster's commands for a fit across nodes, on the network given. The error names the
/// missing or wrong setting (`interface`, `node_addresses`, `ray_port`).
pub fn ray_cluster_plan(
    model: &Model,
    variant: &Variant,
    fit: &FitResult,
    options: &PlanOptions,
    network: &ClusterNetwork,
) -> Result<ClusterPlan, PlanError> {
    let nodes = stages(model, fit)?;
    let interface = network.interface.as_deref().ok_or_else(|| PlanError {
        field: "interface",
        reason: "is needed across nodes: the network interface the nodes reach each other on (ib0, eth0, …; `ip -br addr` lists them), for NCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME".into(),
    })?;
    check_interface(interface)?;
    if network.addresses.len() != nodes as usize {
        return Err(PlanError {
            field: "node_addresses",
            reason: format!(
                "must give each of the {nodes} nodes' address on {interface}, the head first ({} given)",
                network.addresses.len()
            ),
        });
    }
    for (i, address) in network.addresses.iter().enumerate() {
        if network.addresses[..i].contains(address) {
            return Err(PlanError {
                field: "node_addresses",
                reason: format!("names {address} twice: each node needs its own address"),
            });
        }
        if address.is_unspecified() || address.is_loopback() {
            return Err(PlanError {
                field: "node_addresses",
                reason: format!(
                    "{address} is not an address the other nodes can reach: give each node's address on {interface}"
                ),
            });
        }
    }
    if let Some(reason) = ray_port_problem(network.ray_port) {
        return Err(PlanError {
            field: "ray_port",
            reason,
        });
    }
    let addresses: Vec<String> = network.addresses.iter().map(IpAddr::to_string).collect();
    build(
        model,
        variant,
        fit,
        options,
        interface,
        &addresses,
        network.ray_port,
        false,
    )
}

/// The same commands for machines not yet named: the interface and the addresses are
/// placeholders (`<interface>`, `<node-1-address>`, …) to fill in.
pub fn ray_cluster_preview(
    model: &Model,
    variant: &Variant,
    fit: &FitResult,
    options: &PlanOptions,
) -> Result<ClusterPlan, PlanError> {
    let nodes = stages(model, fit)?;
    let addresses: Vec<String> = (1..=nodes).map(|n| format!("<node-{n}-address>")).collect();
    build(
        model,
        variant,
        fit,
        options,
        "<interface>",
        &addresses,
        RAY_PORT,
        true,
    )
}

/// The number of nodes of a fit across nodes.
fn stages(model: &Model, fit: &FitResult) -> Result<u32, PlanError> {
    fit.pipeline
        .as_ref()
        .map(|split| split.nodes)
        .ok_or_else(|| PlanError {
            field: "nodes",
            reason: format!(
                "{} runs on one node here: start it with the one-node plan",
                model.name
            ),
        })
}

/// An interface name as Linux and NCCL take it: up to 15 letters, digits, `.`, `-`, `_`, `:`,
/// optionally after NCCL's `=` (exactly this one) or `^` (any but these).
fn check_interface(interface: &str) -> Result<(), PlanError> {
    let name = interface.trim_start_matches(['=', '^']);
    let ok = !name.is_empty()
        && name.len() <= 15
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(PlanError {
            field: "interface",
            reason: format!(
                "`{interface}` is not a network interface name (up to 15 letters, digits, '.', '-', '_' or ':', as `ip -br addr` lists them)"
            ),
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    model: &Model,
    variant: &Variant,
    fit: &FitResult,
    options: &PlanOptions,
    interface: &str,
    addresses: &[String],
    ray_port: u16,
    placeholders: bool,
) -> Result<ClusterPlan, PlanError> {
    let split = fit.pipeline.as_ref().ok_or_else(|| PlanError {
        field: "nodes",
        reason: "the fit runs on one node".into(),
    })?;
    let mut serve = vllm_plan(model, variant, fit, options)?;
    let head = format!("{}:{ray_port}", addresses[0]);
    let gpus_per_node = split.tensor_parallel_size;
    let ray = options.program.with_file_name("ray");
    let network_env = |address: &str| {
        vec![
            plain("VLLM_HOST_IP", address),
            plain("NCCL_SOCKET_IFNAME", interface),
            plain("GLOO_SOCKET_IFNAME", interface),
        ]
    };
    // Ray's workers inherit `ray start`'s environment: the GPUs, where the weights are.
    let inherited: Vec<EnvVar> = serve
        .env
        .iter()
        .filter(|var| {
            matches!(
                var.name.as_str(),
                "CUDA_DEVICE_ORDER" | "CUDA_VISIBLE_DEVICES" | "HF_HOME" | "HF_HUB_OFFLINE"
            )
        })
        .cloned()
        .collect();
    let nodes = addresses
        .iter()
        .enumerate()
        .map(|(i, address)| {
            let role = if i == 0 {
                NodeRole::Head
            } else {
                NodeRole::Worker
            };
            let mut args = vec!["start".to_owned()];
            match role {
                NodeRole::Head => {
                    args.extend(["--head".into(), "--port".into(), ray_port.to_string()])
                }
                NodeRole::Worker => args.push(format!("--address={head}")),
            }
            args.extend([
                "--node-ip-address".into(),
                address.clone(),
                "--num-gpus".into(),
                gpus_per_node.to_string(),
                "--block".into(),
            ]);
            let mut env = inherited.clone();
            env.extend(network_env(address));
            ClusterNode {
                node: i as u32,
                role,
                address: address.clone(),
                ray: NodeCommand {
                    program: ray.clone(),
                    args,
                    env,
                },
            }
        })
        .collect();
    serve.env.extend(network_env(&addresses[0]));
    if split.custom_partition {
        let partition = split
            .layer_partition
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        serve.env.push(plain("VLLM_PP_LAYER_PARTITION", &partition));
    }
    Ok(ClusterPlan {
        head_address: head,
        gpus: gpus_per_node * split.pipeline_parallel_size,
        nodes,
        serve,
        placeholders,
    })
}

fn plain(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: EnvValue::Plain(value.into()),
    }
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
