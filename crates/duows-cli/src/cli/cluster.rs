//! Command-line syntax of `duows cluster`: several machines, one product.

use clap::{Args, Subcommand};

use super::ServerArgs;

pub(super) const CLUSTER_EXAMPLES: &str = "\
Examples:
  duows cluster token                              on the head: a join token (shown once, 30 minutes)
  DUOWS_JOIN_TOKEN=dwj_… duows cluster join http://10.0.0.1:8765 --address http://10.0.0.2:8765
                                                   on a node: join the head (or type the token when asked)
  duows cluster nodes                              on the head: nodes, their GPUs, state, last seen
  duows cluster start --gpus-per-node 8 --interface eth0 --head-address 10.0.0.1
                                                   Ray across the nodes, ready once it holds the GPUs
  duows cluster stop                               stops Ray on every node
  duows cluster remove gpu-2                       forgets a node";

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// On the head: make a join token (printed once, alone on the last line)
    Token(ServerArgs),
    /// On a node: join a head (the token from DUOWS_JOIN_TOKEN, else asked for, not shown)
    Join(ClusterJoinArgs),
    /// The nodes that joined this head, with their GPUs, state and when each was last seen
    Nodes(ServerArgs),
    /// Forget a node (by name or id)
    Remove(ClusterRemoveArgs),
    /// Start Ray across the nodes: the head's `ray start --head`, each node's worker
    Start(ClusterStartArgs),
    /// Stop Ray on every node
    Stop(ServerArgs),
}

#[derive(Debug, Args)]
pub struct ClusterJoinArgs {
    /// The head's control API, as its `duows serve` prints it
    pub head_url: String,
    /// This node's name (default: the host name)
    #[arg(long)]
    pub name: Option<String>,
    /// This node's control API as the head reaches it (default: --server)
    #[arg(long, value_name = "URL")]
    pub address: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct ClusterRemoveArgs {
    /// The node's name or id
    pub node: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct ClusterStartArgs {
    /// GPUs each node gives (the tensor-parallel size)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub gpus_per_node: u32,
    /// Ray's port on the head
    #[arg(long, value_name = "PORT")]
    pub ray_port: Option<u16>,
    /// The interface the nodes reach each other on (NCCL_SOCKET_IFNAME, GLOO_SOCKET_IFNAME)
    #[arg(long)]
    pub interface: Option<String>,
    /// This head's address on that network
    #[arg(long, value_name = "IP")]
    pub head_address: Option<String>,
    /// Serve this catalog model across the nodes once Ray holds the GPUs (fitted and
    /// checked first; its tensor-parallel size replaces --gpus-per-node)
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}
