//! One model across several machines (vLLM on a Ray cluster): tensor parallelism inside a
//! node, pipeline parallelism across nodes, one stage per node, and what each stage holds.
//!
//! vLLM (`get_pp_indices`) gives every stage `layers ÷ stages` decoder layers and spreads
//! the remainder one each over the stages before the last, from the second-to-last
//! backwards (the last stage already holds the final norm and the output head);
//! `VLLM_PP_LAYER_PARTITION` replaces that split. The first stage also holds the input
//! embedding and the last the output head, each split by tensor parallelism like the
//! layers. A stage's KV cache is that of its own layers, with the attention type's rules
//! per GPU (a latent is held whole on every tensor-parallel rank). vLLM gives every stage
//! the same number of cache blocks: the stage with the least room sets them for all.

use serde::{Deserialize, Serialize};

use super::memory::MemoryPerGpu;
use super::placement;
use crate::catalog::Architecture;

/// vLLM's own split of `layers` decoder layers into `stages` (its `get_pp_indices`).
pub fn layer_partition(layers: u32, stages: u32) -> Vec<u32> {
    let stages = stages.max(1);
    let mut parts = vec![layers / stages; stages as usize];
    let remainder = (layers % stages) as usize;
    let count = parts.len();
    for i in 2..remainder + 2 {
        parts[count - i] += 1;
    }
    parts
}

/// Checks a split given by hand (`VLLM_PP_LAYER_PARTITION`): at least two stages, each with
/// a layer, adding up to the model's layers. The error says what is wrong.
pub fn check_partition(partition: &[u32], layers: u32) -> Result<(), String> {
    if partition.len() < 2 {
        return Err("must name the layers of at least two pipeline stages, e.g. 40,38".into());
    }
    if partition.contains(&0) {
        return Err("gives a stage no layer: every stage needs at least one".into());
    }
    let sum: u64 = partition.iter().map(|&p| u64::from(p)).sum();
    if sum != u64::from(layers) {
        return Err(format!(
            "adds up to {sum} layers; the model has {layers} (vLLM refuses a split that does not add up)"
        ));
    }
    Ok(())
}

/// Where one stage sits in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageShape {
    /// Its place in the pipeline (0: the first, on the head node).
    pub index: u32,
    /// Its first decoder layer.
    pub first_layer: u32,
    /// Its decoder layers.
    pub layers: u32,
    /// Whether it holds the input embedding (the first stage).
    pub embedding: bool,
    /// Whether it holds the output head and samples (the last stage).
    pub head: bool,
}

/// The stages of a split, in order.
pub fn stage_shapes(partition: &[u32]) -> Vec<StageShape> {
    let last = partition.len().saturating_sub(1);
    let mut first_layer = 0;
    partition
        .iter()
        .enumerate()
        .map(|(i, &layers)| {
            let shape = StageShape {
                index: i as u32,
                first_layer,
                layers,
                embedding: i == 0,
                head: i == last,
            };
            first_layer += layers;
            shape
        })
        .collect()
}

/// Bytes of the input embedding, and again of an untied output head: the padded vocabulary
/// × hidden size in BF16 (quantized checkpoints keep both in BF16).
pub fn embedding_bytes(arch: &Architecture) -> u64 {
    u64::from(placement::padded_vocab(arch)) * u64::from(arch.hidden) * 2
}

/// The weights one stage holds, all its tensor-parallel GPUs together: its share of the
/// decoder layers (the checkpoint less embedding and head, counted as equal per layer),
/// plus the embedding on the first stage and the head on the last. One stage holds it all.
pub fn stage_weight_bytes(arch: &Architecture, weight_bytes: u64, shape: &StageShape) -> u64 {
    if shape.embedding && shape.head {
        return weight_bytes;
    }
    let edge = embedding_bytes(arch);
    let body = weight_bytes.saturating_sub(2 * edge);
    let layers = u128::from(body) * u128::from(shape.layers) / u128::from(arch.layers.max(1));
    layers as u64 + u64::from(shape.embedding) * edge + u64::from(shape.head) * edge
}

/// The model as one stage sees it: its decoder layers, with sliding-window, linear-attention
/// and indexer layers in proportion. One stage holding every layer is the model itself.
pub fn stage_arch(arch: &Architecture, shape: &StageShape) -> Architecture {
    let mut stage = arch.clone();
    if shape.layers == arch.layers {
        return stage;
    }
    let share = |n: u32| {
        let scaled = u64::from(n) * u64::from(shape.layers);
        ((scaled + u64::from(arch.layers) / 2) / u64::from(arch.layers.max(1))) as u32
    };
    stage.layers = shape.layers;
    if let Some(w) = stage.sliding_window.as_mut() {
        w.layers = share(w.layers);
    }
    if let Some(l) = stage.linear_attention.as_mut() {
        l.layers = share(l.layers);
    }
    if let Some(i) = stage.indexer.as_mut() {
        i.layers = i.layers.map(share);
    }
    stage
}

/// One pipeline stage of a fit: its layers and the memory on each of its GPUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PipelineStage {
    /// Its place in the pipeline (0: the first, on the head node).
    pub stage: u32,
    /// Its first decoder layer (0-based).
    pub first_layer: u32,
    /// Its decoder layers.
    pub layers: u32,
    /// Whether it holds the input embedding (the first stage).
    pub embedding: bool,
    /// Whether it holds the output head and samples (the last stage).
    pub output_head: bool,
    /// Memory on each of its GPUs.
    pub memory: MemoryPerGpu,
    /// KV cache per token of context on each of its GPUs.
    pub kv_bytes_per_token: u64,
}

/// How a model is split across nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PipelineSplit {
    /// Nodes used: one pipeline stage each (the first is the head of the Ray cluster).
    pub nodes: u32,
    /// `--pipeline-parallel-size`.
    pub pipeline_parallel_size: u32,
    /// `--tensor-parallel-size`: GPUs per node.
    pub tensor_parallel_size: u32,
    /// Decoder layers per stage, in order (what `VLLM_PP_LAYER_PARTITION` would say).
    pub layer_partition: Vec<u32>,
    /// Whether the split was given by hand (then the plan sets `VLLM_PP_LAYER_PARTITION`).
    pub custom_partition: bool,
    /// The stages, in order.
    pub stages: Vec<PipelineStage>,
    /// The stage with the least room for the KV cache: its cache sets every stage's.
    pub limiting_stage: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn splits_layers_as_vllm_does() {
        // vLLM's own cases (tests/distributed/test_pipeline_partition.py) and its rule:
        // the remainder goes to the stages before the last, from the second-to-last back.
        assert_eq!(layer_partition(20, 4), vec![5, 5, 5, 5]);
        assert_eq!(layer_partition(78, 2), vec![39, 39]);
        assert_eq!(layer_partition(61, 2), vec![31, 30]);
        assert_eq!(layer_partition(61, 4), vec![15, 15, 16, 15]);
        assert_eq!(layer_partition(62, 4), vec![15, 16, 16, 15]);
        assert_eq!(layer_partition(63, 4), vec![16, 16, 16, 15]);
        assert_eq!(layer_partition(88, 3), vec![29, 30, 29]);
        for (layers, stages) in [(78, 3), (61, 8), (5, 5), (7, 2)] {
            let parts = layer_partition(layers, stages);
            assert_eq!(parts.iter().sum::<u32>(), layers);
            assert_eq!(parts.len(), stages as usize);
            assert!(parts.iter().max().unwrap_or(&0) - parts.iter().min().unwrap_or(&0) <= 1);
        }
    }

    #[test]
    fn a_split_by_hand_must_add_up() {
        assert!(check_partition(&[40, 38], 78).is_ok());
        assert!(check_partition(&[78], 78)
            .expect_err("one stage")
            .contains("two"));
        assert!(check_partition(&[78, 0], 78)
            .expect_err("empty stage")
            .contains("at least one"));
        assert!(check_partition(&[40, 40], 78)
            .expect_err("sum")
            .contains("80 layers; the model has 78"));
    }

    #[test]
    fn stages_hold_their_layers_and_the_edges() {
        let catalog = Catalog::builtin().expect("catalog");
        let model = catalog.model("glm-5.1").expect("glm");
        let arch = model.arch.as_ref().expect("arch");
        let weights = model.variant(Some("fp8")).expect("fp8").weight_bytes;
        let shapes = stage_shapes(&layer_partition(arch.layers, 2));
        assert_eq!(shapes[1].first_layer, 39);
        assert!(shapes[0].embedding && !shapes[0].head);
        assert!(!shapes[1].embedding && shapes[1].head);
        let parts: Vec<u64> = shapes
            .iter()
            .map(|s| stage_weight_bytes(arch, weights, s))
            .collect();
        // The stages add up to the checkpoint (to a byte of rounding).
        assert!(weights - parts.iter().sum::<u64>() <= 2);
        // 154,880 × 6,144 × 2 bytes of embedding on the first, as much head on the last.
        assert_eq!(embedding_bytes(arch), 1_903_165_440);
        assert_eq!(parts[0], parts[1]);
        // One stage is the whole model.
        let whole = stage_shapes(&[arch.layers]);
        assert_eq!(stage_weight_bytes(arch, weights, &whole[0]), weights);
        assert_eq!(&stage_arch(arch, &whole[0]), arch);
    }

    #[test]
    fn a_stage_keeps_its_share_of_each_kind_of_layer() {
        let catalog = Catalog::builtin().expect("catalog");
        let arch = catalog
            .models
            .iter()
            .filter_map(|m| m.arch.as_ref())
            .find(|a| a.linear_attention.is_some_and(|l| l.layers > 0))
            .expect("a hybrid model");
        let linear = arch.linear_attention.map_or(0, |l| l.layers);
        let shapes = stage_shapes(&layer_partition(arch.layers, 2));
        let stage = stage_arch(arch, &shapes[0]);
        assert_eq!(stage.layers, shapes[0].layers);
        let share = stage.linear_attention.map_or(0, |l| l.layers);
        assert!(share.abs_diff(linear / 2) <= 1, "{share} of {linear}");
    }
}
