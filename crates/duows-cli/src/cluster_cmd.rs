//! `duows cluster`: join tokens, joining a head, the nodes, Ray across them; all through
//! the running server's control API. A join token is read from `DUOWS_JOIN_TOKEN` or asked
//! for without echo, never taken from the command line.

use std::process::ExitCode;

use duows_api::calls::{ClusterJoinParams, ClusterRemoveParams, ClusterView};
use duows_core::cluster::{ClusterStartRequest, IssuedToken, NodeView, RayClusterStatus};
use duows_core::engine::launch::LaunchRequest;

use crate::cli::{ClusterCommand, ServerArgs};
use crate::server_client::ServerClient;

/// Runs one `duows cluster` command.
pub fn run(command: &ClusterCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClusterCommand::Token(server) => {
            let issued: IssuedToken = client(server)?.post("/api/cluster/token", &())?;
            println!("A join token for one node, valid for 30 minutes. On the node, run:");
            println!("  DUOWS_JOIN_TOKEN=<token> duows cluster join <this server's URL>");
            println!("It is shown only now:");
            println!("{}", issued.token);
        }
        ClusterCommand::Join(args) => {
            let token = match std::env::var("DUOWS_JOIN_TOKEN") {
                Ok(token) if !token.trim().is_empty() => token.trim().to_owned(),
                _ => rpassword::prompt_password("The head's join token (not shown): ")?
                    .trim()
                    .to_owned(),
            };
            let params = ClusterJoinParams {
                head_url: args.head_url.clone(),
                token,
                name: args.name.clone(),
                control_url: args
                    .address
                    .clone()
                    .unwrap_or_else(|| args.server.server.clone()),
            };
            let view: ClusterView = client(&args.server)?.post("/api/cluster/join", &params)?;
            if args.server.json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                println!(
                    "Joined {} as node {}.",
                    view.head_url.unwrap_or_default(),
                    view.node_id.unwrap_or_default()
                );
            }
        }
        ClusterCommand::Nodes(server) => {
            let view: ClusterView = client(server)?.get("/api/cluster/nodes")?;
            if server.json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_view(&view);
            }
        }
        ClusterCommand::Remove(args) => {
            let params = ClusterRemoveParams {
                node: args.node.clone(),
            };
            let removed: NodeView = client(&args.server)?.post("/api/cluster/remove", &params)?;
            println!("Removed node {} ({}).", removed.name, removed.id);
        }
        ClusterCommand::Start(args) => {
            let params = ClusterStartRequest {
                gpus_per_node: args.gpus_per_node,
                ray_port: args.ray_port,
                interface: args.interface.clone(),
                head_address: args.head_address.clone(),
                engine: args.model.clone().map(|model| LaunchRequest {
                    model: Some(model),
                    ..LaunchRequest::default()
                }),
            };
            let status: RayClusterStatus =
                client(&args.server)?.post("/api/cluster/start", &params)?;
            print_ray(&status);
        }
        ClusterCommand::Stop(server) => {
            let status: RayClusterStatus = client(server)?.post("/api/cluster/stop", &())?;
            print_ray(&status);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn client(server: &ServerArgs) -> anyhow::Result<ServerClient> {
    ServerClient::new(&server.server)
}

fn print_view(view: &ClusterView) {
    if let Some(head) = &view.head_url {
        println!("This machine is a node of {head}.");
    }
    if view.nodes.is_empty() {
        println!("No node has joined this machine.");
    }
    let now = duows_core::engine::supervisor::now_ms();
    for node in &view.nodes {
        let gpus: Vec<String> = node
            .gpus
            .iter()
            .map(|g| format!("{} ({:.0} GiB)", g.name, g.memory_gib))
            .collect();
        println!(
            "{:<20} {:<8} ray {:<8} last seen {:>4} s ago  {}  {}",
            node.name,
            format!("{:?}", node.state).to_lowercase(),
            format!("{:?}", node.ray).to_lowercase(),
            now.saturating_sub(node.last_seen_ms) / 1000,
            node.control_url,
            if gpus.is_empty() {
                "no GPU".into()
            } else {
                gpus.join(", ")
            },
        );
    }
    print_ray(&view.ray);
}

fn print_ray(status: &RayClusterStatus) {
    let state = format!("{:?}", status.state).to_lowercase();
    match &status.head_address {
        Some(address) => println!(
            "Ray: {state} at {address}, {} of {} GPUs on {} nodes",
            status.gpus_held, status.gpus_wanted, status.ray_nodes
        ),
        None => println!("Ray: {state}"),
    }
    if let Some(failure) = &status.failure {
        println!("  failed: {failure}");
    }
}
