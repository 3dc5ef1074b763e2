//! Several machines, one product: the head's join tokens and node registry, a joined
//! node's membership, and the Ray processes each node runs for an engine across nodes.
//!
//! - `token`: join tokens and node keys: random, shown once, kept as SHA-256 hashes.
//! - `registry`: the head's `<data folder>/cluster/nodes.json`: the tokens still valid and
//!   the nodes with their hardware, state and when each was last seen; join, heartbeat and
//!   removal, each checked and naming the field at fault.
//! - `wire`: what the head and its nodes send each other, and a node as the head shows it.
//! - `membership`: a joined node's `<data folder>/cluster/membership.json` (0600): the head's
//!   URL, its node id and key.
//! - `ray`: `ray start … --block` as a supervised process group (head or worker), and
//!   how many GPUs a running Ray cluster holds.

mod machine;
mod membership;
mod ray;
mod registry;
mod token;
mod wire;

pub use machine::{
    ClusterError, ClusterMachine, ClusterStartRequest, RayClusterState, RayClusterStatus,
};
pub use membership::{Membership, MembershipError};
pub use ray::{ray_gpus, RayCommand, RayNodeProcess, RayRole};
pub use registry::{NodeRegistry, RegistryError, OFFLINE_AFTER_MS};

pub use token::{hash_secret, new_secret, secret_matches};
pub use wire::{
    Heartbeat, HeartbeatAnswer, IssuedToken, JoinRequest, Joined, NodeGpu, NodeState, NodeView,
    RayAssignment, RayNodeState,
};
