//! `duows fit --nodes N` across nodes: the pipeline split with each stage's memory per GPU,
//! and the command lines on each node.

use std::fmt::Write as _;

use duows_core::engine::cluster::{ClusterNetwork, ClusterPlan, NodeRole};
use duows_core::fit::PipelineSplit;

use crate::cli::ClusterArgs;
use crate::text::{gib, table};

/// The network the user named; `None` when nothing was named (the commands then show
/// placeholders).
pub fn network(args: &ClusterArgs) -> Option<ClusterNetwork> {
    (args.interface.is_some() || !args.node_address.is_empty()).then(|| ClusterNetwork {
        interface: args.interface.clone(),
        addresses: args.node_address.clone(),
        ray_port: args.ray_port,
    })
}

/// The split and each stage's memory per GPU.
pub fn split_text(split: &PipelineSplit) -> String {
    let parts: Vec<String> = split.layer_partition.iter().map(u32::to_string).collect();
    let mut out = format!(
        "\nSplit across {} nodes: tensor parallel {} in each node, pipeline parallel {}; layers {}\n",
        split.nodes,
        split.tensor_parallel_size,
        split.pipeline_parallel_size,
        parts.join(" + "),
    );
    let rows: Vec<[String; 9]> = split
        .stages
        .iter()
        .map(|stage| {
            let m = &stage.memory;
            let mut layers = format!(
                "{}–{}",
                stage.first_layer,
                stage.first_layer + stage.layers.saturating_sub(1)
            );
            if stage.embedding {
                layers.push_str(" + embedding");
            }
            if stage.output_head {
                layers.push_str(" + head");
            }
            [
                (stage.stage + 1).to_string(),
                if stage.stage == 0 {
                    "1 (head)".to_owned()
                } else {
                    (stage.stage + 1).to_string()
                },
                layers,
                gib(m.weights_bytes),
                gib(m.kv_cache_bytes.max(0) as u64),
                format!("{:.1} KiB", stage.kv_bytes_per_token as f64 / 1024.0),
                gib(m.overhead_bytes()),
                gib(m.budget_bytes),
                if stage.stage == split.limiting_stage {
                    "sets the cache".to_owned()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    out.push_str("Per GPU of each stage:\n");
    out.push_str(&indent(&table(
        &[
            "STAGE", "NODE", "LAYERS", "WEIGHTS", "KV CACHE", "KV/TOKEN", "OVERHEAD", "BUDGET", "",
        ],
        &rows,
    )));
    if let Some(first) = split.stages.first() {
        let _ = writeln!(
            out,
            "  (each GPU {} in total, {} outside the budget)",
            gib(first.memory.total_bytes),
            gib(first.memory.unreserved_bytes)
        );
    }
    out
}

/// Each node's commands, then the head's `vllm serve`.
pub fn commands_text(plan: &ClusterPlan) -> String {
    let mut out = String::from("\nCommands on each node");
    if plan.placeholders {
        out.push_str(" (fill in the <…> with --interface and --node-address, the head first)");
    }
    out.push_str(":\n");
    for node in &plan.nodes {
        let _ = writeln!(
            out,
            "  node {} ({}, {}): Ray {}",
            node.node + 1,
            match node.role {
                NodeRole::Head => "head",
                NodeRole::Worker => "worker",
            },
            node.address,
            match node.role {
                NodeRole::Head => "head".to_owned(),
                NodeRole::Worker => format!("worker joining {}", plan.head_address),
            }
        );
        let _ = writeln!(out, "    {}", node.ray.command_line());
    }
    let _ = writeln!(
        out,
        "  then on node 1, once the cluster holds {} GPUs:",
        plan.gpus
    );
    let _ = writeln!(out, "    {}", plan.serve.command_line());
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}
