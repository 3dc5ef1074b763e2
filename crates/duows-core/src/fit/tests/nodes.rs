//! One model across several nodes: a model that fits on one node gets exactly the one-node
//! answer; a larger one is split into the fewest pipeline stages that fit, each stage's
//! memory per GPU computed from its own layers, and the split explained.

use super::slots;
use crate::catalog::Catalog;
use crate::fit::*;

/// The fit of a catalog model's checkpoint on `nodes` nodes of `spec` each.
fn fit_nodes(
    model: &str,
    variant: &str,
    spec: &str,
    nodes: u32,
    constants: FitConstants,
) -> Result<FitResult, FitError> {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model(model).expect("model");
    let slots = slots(spec);
    fit_on_nodes(
        &FitRequest {
            model,
            variant: model.variant(Some(variant)).expect("variant"),
            slots: &slots,
            context: None,
            concurrency: 1,
            tensor_parallel_size: None,
            gpu_memory_utilization: None,
            constants,
        },
        nodes,
    )
}

#[test]
fn a_model_that_fits_one_node_gets_the_one_node_answer() {
    let catalog = Catalog::builtin().expect("catalog");
    for (id, spec) in [
        ("llama-3.1-70b-instruct", "8xH100-80GB"),
        ("gpt-oss-120b", "1xH100-80GB"),
        ("mistral-7b-instruct-v0.3", "1xRTX4090"),
    ] {
        let model = catalog.model(id).expect("model");
        let slots = slots(spec);
        let request = FitRequest {
            model,
            variant: model.variant(None).expect("variant"),
            slots: &slots,
            context: None,
            concurrency: 1,
            tensor_parallel_size: None,
            gpu_memory_utilization: None,
            constants: FitConstants::default(),
        };
        let one = fit(&request).expect("fit");
        assert!(one.fits, "{id}");
        for nodes in [1, 2, 4] {
            assert_eq!(
                fit_on_nodes(&request, nodes).expect("fit"),
                one,
                "{id} on {nodes}"
            );
        }
    }
}

#[test]
fn glm_5_1_fp8_splits_into_two_stages_of_eight_h100s() {
    let one = fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 1, FitConstants::default()).expect("fit");
    assert!(!one.fits, "756 GB of weights do not fit in 8 × 80 GB");
    let result =
        fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 2, FitConstants::default()).expect("fit");
    assert!(result.fits);
    let split = result.pipeline.as_ref().expect("a pipeline split");
    assert_eq!(
        (
            split.nodes,
            split.pipeline_parallel_size,
            split.tensor_parallel_size
        ),
        (2, 2, 8)
    );
    assert_eq!(split.layer_partition, vec![39, 39]);
    assert_eq!(result.tensor_parallel_size, 8);
    assert_eq!(result.gpus, (0..8).collect::<Vec<_>>());
    let vllm = result.vllm.as_ref().expect("settings");
    assert_eq!(
        vllm.args[..8],
        [
            "--tensor-parallel-size",
            "8",
            "--pipeline-parallel-size",
            "2",
            "--distributed-executor-backend",
            "ray",
            "--gpu-memory-utilization",
            "0.95"
        ]
    );
    // Each stage: its 39 layers' weights (the checkpoint less embedding and head, counted
    // equal per layer) plus the embedding or the head, over 8 GPUs.
    let edge = 154_880u64 * 6_144 * 2;
    let body = 756_087_162_336u64 - 2 * edge;
    let per_gpu = (body / 2 + edge).div_ceil(8);
    for stage in &split.stages {
        assert!(
            stage.memory.weights_bytes.abs_diff(per_gpu) <= 1,
            "{stage:?}"
        );
        // The latent is held whole on every rank: 39 layers × (576 × 2 + 132 indexer bytes).
        assert_eq!(stage.kv_bytes_per_token, 39 * (576 * 2 + 132));
        let m = stage.memory;
        let inside = m.weights_bytes + m.overhead_bytes();
        assert!((m.kv_cache_bytes - (m.budget_bytes as i64 - inside as i64)).abs() <= 2);
    }
    // Only the last stage computes the logits: its activation peak is larger, so it has
    // the least room and sets the cache.
    let (first, last) = (&split.stages[0], &split.stages[1]);
    assert!(first.embedding && !first.output_head && last.output_head);
    assert!(last.memory.activations_bytes > first.memory.activations_bytes);
    assert_eq!(split.limiting_stage, 1);
    assert_eq!(result.memory, Some(last.memory));
    assert_eq!(result.kv_bytes_per_token, last.kv_bytes_per_token);
    assert!(result.whole_requests() >= 1 && result.max_model_len == DEFAULT_CONTEXT);
    let words = result.explanation.join("\n");
    for phrase in [
        "It does not fit on one node",
        "pipeline parallelism 2",
        "split 39 + 39",
        "Stage 1 on node 1",
        "Stage 2 on node 2",
        "stage 2, whose figures follow",
        "Per GPU of stage 2 inside the budget",
        "39 layers of latent attention",
    ] {
        assert!(words.contains(phrase), "missing {phrase:?} in\n{words}");
    }
    assert!(result
        .warnings
        .iter()
        .any(|w| w.contains("InfiniBand or RoCE")));
}

#[test]
fn kimi_k2_5_splits_61_layers_as_vllm_does() {
    // 595 GB of weights: more than 4 × H200, well within two such nodes.
    let result = fit_nodes(
        "kimi-k2.5",
        "int4",
        "4xH200-141GB",
        2,
        FitConstants::default(),
    )
    .expect("fit");
    assert!(result.fits);
    let split = result.pipeline.as_ref().expect("split");
    assert_eq!(split.layer_partition, vec![31, 30]);
    assert_eq!(split.stages[1].first_layer, 31);
    assert_eq!(split.stages[0].kv_bytes_per_token, 31 * 576 * 2);
    assert_eq!(split.stages[1].kv_bytes_per_token, 30 * 576 * 2);
}

#[test]
fn the_fewest_stages_that_fit_are_chosen() {
    // GLM-5.1's FP8 checkpoint needs two nodes of 8 × H100, whatever the nodes offered.
    let result =
        fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 4, FitConstants::default()).expect("fit");
    assert_eq!(result.pipeline.as_ref().map(|s| s.nodes), Some(2));
    // Its BF16 checkpoint (1.5 TB) needs more: 3 nodes of 8 × H100 (1.9 TB in all).
    let bf16 =
        fit_nodes("glm-5.1", "bf16", "8xH100-80GB", 4, FitConstants::default()).expect("fit");
    assert!(bf16.fits);
    let split = bf16.pipeline.expect("split");
    assert_eq!((split.nodes, split.layer_partition), (3, vec![26, 26, 26]));
}

#[test]
fn a_split_given_by_hand_is_used_and_checked() {
    let constants = |partition: Vec<u32>| FitConstants {
        layer_partition: Some(partition),
        ..FitConstants::default()
    };
    let result =
        fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 2, constants(vec![41, 37])).expect("fit");
    let split = result.pipeline.expect("split");
    assert!(split.custom_partition);
    assert_eq!(split.layer_partition, vec![41, 37]);
    assert!(split.stages[0].memory.weights_bytes > split.stages[1].memory.weights_bytes);
    assert_eq!(
        split.limiting_stage, 0,
        "41 layers leave the first stage least room"
    );
    let error = fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 2, constants(vec![40, 40]))
        .expect_err("does not add up");
    assert_eq!(error.field, "layer_partition");
    assert!(
        error.reason.contains("the model has 78"),
        "{}",
        error.reason
    );
    let error = fit_nodes(
        "glm-5.1",
        "fp8",
        "8xH100-80GB",
        2,
        constants(vec![26, 26, 26]),
    )
    .expect_err("three stages on two nodes");
    assert_eq!(error.field, "layer_partition");
    assert!(error.reason.contains("--nodes 3"), "{}", error.reason);
    let error = fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 0, FitConstants::default())
        .expect_err("no node");
    assert_eq!(error.field, "nodes");
}

#[test]
fn what_does_not_fit_one_node_is_offered_more_nodes() {
    let one = fit_nodes("glm-5.1", "fp8", "8xH100-80GB", 1, FitConstants::default()).expect("fit");
    let more = one
        .suggestions
        .iter()
        .find(|s| s.kind == "more_nodes")
        .expect("more nodes");
    assert_eq!(more.nodes, Some(2));
    assert_eq!(more.gpus.as_deref(), Some("8xH100-80GB"));
    assert!(more.message.contains("39 + 39"), "{}", more.message);
}

#[test]
fn recommendations_plan_over_the_nodes() {
    let catalog = Catalog::builtin().expect("catalog");
    let slots = slots("4xH200-141GB");
    let request = RecommendRequest {
        catalog,
        slots: &slots,
        gitlab: None,
        feature: None,
        context: None,
        concurrency: 1,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
        system_memory_bytes: None,
    };
    let kimi = |rec: &Recommendation| {
        rec.models
            .iter()
            .find(|m| m.fit.model == "kimi-k2.5")
            .cloned()
            .expect("kimi")
    };
    let one = kimi(&recommend(&request).expect("recommend"));
    let two = kimi(&recommend_on_nodes(&request, 2).expect("recommend"));
    assert_eq!(one.badge, Badge::DoesNotFit);
    assert!(one.fit.suggestions.iter().any(|s| s.kind == "more_nodes"));
    assert_eq!(two.badge, Badge::Fits);
    assert_eq!(two.fit.pipeline.map(|s| s.nodes), Some(2));
}
