//! A fit across nodes in plain words: how the model is split (tensor parallelism in each
//! node, one pipeline stage per node), what each stage holds, which stage sets the KV
//! cache, and what running across machines asks of them.

use crate::catalog::Architecture;

use super::attempt::Attempt;
use super::words::{gib, thousands};
use super::{placement, FitResult, PipelineSplit};

/// The split, then one line per stage.
pub(super) fn split_words(
    split: &PipelineSplit,
    arch: &Architecture,
    attempt: &Attempt,
    result: &FitResult,
    gpu_list: &str,
) -> Vec<String> {
    let tp = split.tensor_parallel_size;
    let mut say = vec![format!(
        "{}Across {} nodes vLLM runs on a Ray cluster: tensor parallelism {tp} within each node (GPUs {gpu_list}{}{}) and pipeline parallelism {} across the nodes, one stage each.",
        if result.fits && !split.custom_partition {
            "It does not fit on one node. "
        } else {
            ""
        },
        split.nodes,
        if result.nvlink { ", joined by NVLink" } else { ", over PCIe" },
        if tp > 1 {
            format!(
                ": the {} attention heads and the vocabulary ({} tokens, padded to {}) divide evenly by {tp}",
                arch.heads,
                thousands(arch.vocab),
                thousands(placement::padded_vocab(arch)),
            )
        } else {
            String::new()
        },
        split.pipeline_parallel_size,
    )];
    let parts = split
        .layer_partition
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" + ");
    say.push(if split.custom_partition {
        format!(
            "The {} decoder layers are split {parts} as given (VLLM_PP_LAYER_PARTITION).",
            arch.layers
        )
    } else {
        format!(
            "The {} decoder layers are split {parts}, as vLLM splits them: evenly, any remainder one more each on the stages before the last (VLLM_PP_LAYER_PARTITION sets another split).",
            arch.layers
        )
    });
    for (stage, fit) in split.stages.iter().zip(&attempt.stages) {
        let mut holds = format!(
            "layers {}–{}",
            stage.first_layer,
            stage.first_layer + stage.layers.saturating_sub(1)
        );
        if stage.embedding {
            holds.push_str(" and the input embedding");
        }
        if stage.output_head {
            holds.push_str(" and the output head, where vLLM samples");
        }
        let kv = stage.memory.kv_cache_bytes;
        say.push(format!(
            "Stage {} on node {}{}: {holds}; per GPU weights {} ({} of the stage's {}), {}.",
            stage.stage + 1,
            stage.stage + 1,
            if stage.stage == 0 {
                " (the Ray head, which also serves the API)"
            } else {
                ""
            },
            gib(stage.memory.weights_bytes as f64),
            format_args!("1/{tp}"),
            gib(fit.weight_bytes as f64),
            if kv > 0 {
                format!(
                    "{} left for the KV cache at {:.1} KiB per token",
                    gib(kv as f64),
                    stage.kv_bytes_per_token as f64 / 1024.0
                )
            } else {
                format!("over the budget by {}", gib(-(kv as f64)))
            },
        ));
    }
    say.push(format!(
        "vLLM gives every stage as many cache blocks as the stage with the least room for them: stage {}, whose figures follow.",
        split.limiting_stage + 1
    ));
    say
}

/// What running across machines asks of them.
pub(super) fn warnings(split: &PipelineSplit) -> Vec<String> {
    vec![
        format!(
            "Across {} nodes every step passes activations between the stages over the network: use a fast link (InfiniBand or RoCE) and name its interface for NCCL and Gloo; over plain Ethernet the pipeline is much slower.",
            split.nodes
        ),
        "Every node needs the same GPUs, driver, vLLM and Ray, and the model's files at the same path (or the same Hugging Face cache).".to_owned(),
    ]
}
