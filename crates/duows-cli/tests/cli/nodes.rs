//! One model across nodes from the command line: `duows fit --nodes` prints the split, each
//! stage's memory per GPU and the commands on each node; `recommend --nodes` plans over them.

use serde_json::Value;

use crate::common::{duows, home, json_of, stdout};

const GLM_FP8_ON_TWO_NODES: [&str; 7] = [
    "fit",
    "--model",
    "zai-org/GLM-5.1-FP8",
    "--nodes",
    "2",
    "--gpus",
    "8xH100-80GB",
];

#[test]
fn fit_across_two_nodes_prints_the_split_and_each_nodes_commands() {
    let output = duows(&home(), &GLM_FP8_ON_TWO_NODES);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    for expected in [
        "GLM-5.1 (fp8) — fits",
        "2 nodes, each GPUs 0,1,2,3,4,5,6,7 · tensor parallel 8 · pipeline parallel 2",
        "Split across 2 nodes: tensor parallel 8 in each node, pipeline parallel 2; layers 39 + 39",
        "0–38 + embedding",
        "39–77 + head",
        "sets the cache",
        "Commands on each node (fill in the <…>",
        "ray start --head --port 6379 --node-ip-address '<node-1-address>' --num-gpus 8 --block",
        "ray start '--address=<node-1-address>:6379' --node-ip-address '<node-2-address>'",
        "then on node 1, once the cluster holds 16 GPUs:",
        "vllm serve zai-org/GLM-5.1-FP8",
        "--tensor-parallel-size 8 --pipeline-parallel-size 2 --distributed-executor-backend ray",
        "VLLM_API_KEY=<hidden>",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn the_network_named_fills_the_commands_and_bad_settings_name_their_flag() {
    let mut args = GLM_FP8_ON_TWO_NODES.to_vec();
    args.extend([
        "--interface",
        "ib0",
        "--node-address",
        "10.0.0.1,10.0.0.2",
        "--json",
    ]);
    let fit = json_of(&args);
    assert_eq!(
        fit["pipeline"]["layer_partition"],
        serde_json::json!([39, 39])
    );
    let cluster = &fit["cluster"];
    assert_eq!(cluster["head_address"], "10.0.0.1:6379");
    assert_eq!(cluster["placeholders"], false);
    let worker_env = cluster["nodes"][1]["ray"]["env"].as_array().expect("env");
    let value = |name: &str| {
        worker_env
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| v["value"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(value("VLLM_HOST_IP"), "10.0.0.2");
    assert_eq!(value("NCCL_SOCKET_IFNAME"), "ib0");
    assert_eq!(value("GLOO_SOCKET_IFNAME"), "ib0");

    let mut no_interface = GLM_FP8_ON_TWO_NODES.to_vec();
    no_interface.extend(["--node-address", "10.0.0.1,10.0.0.2"]);
    let output = duows(&home(), &no_interface);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("--interface"), "{error}");
    let mut one_address = GLM_FP8_ON_TWO_NODES.to_vec();
    one_address.extend(["--interface", "ib0", "--node-address", "10.0.0.1"]);
    let output = duows(&home(), &one_address);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("--node-address") && error.contains("2 nodes"),
        "{error}"
    );
}

#[test]
fn a_layer_split_by_hand_and_its_errors() {
    let mut args = GLM_FP8_ON_TWO_NODES.to_vec();
    args.extend(["--layer-partition", "41,37", "--json"]);
    let fit = json_of(&args);
    assert_eq!(
        fit["pipeline"]["layer_partition"],
        serde_json::json!([41, 37])
    );
    let mut bad = GLM_FP8_ON_TWO_NODES.to_vec();
    bad.extend(["--layer-partition", "40,40"]);
    let output = duows(&home(), &bad);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("--layer-partition") && error.contains("78"),
        "{error}"
    );
}

#[test]
fn recommend_across_two_nodes() {
    let rec = json_of(&[
        "recommend",
        "--gpus",
        "8xH100-80GB",
        "--nodes",
        "2",
        "--json",
    ]);
    let glm = rec["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["model"] == "glm-5.1")
        .expect("glm");
    assert_eq!(glm["badge"], "fits_quantized");
    assert_eq!(glm["quantized"]["variant"], "fp8");
    assert_eq!(glm["quantized"]["pipeline"]["nodes"], 2);
    let text = stdout(&duows(
        &home(),
        &["recommend", "--gpus", "8xH100-80GB", "--nodes", "2"],
    ));
    assert!(text.contains("8 × 2 nodes"), "{text}");
}

#[test]
fn export_kubernetes_writes_the_manifests_and_refuses_what_does_not_fit() {
    let out = tempfile::tempdir().expect("out");
    let folder = out.path().display().to_string();
    let output = duows(
        &home(),
        &[
            "export",
            "kubernetes",
            "--model",
            "zai-org/GLM-5.1-FP8",
            "--nodes",
            "2",
            "--gpus",
            "8xH100-80GB",
            "--out",
            &folder,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let lws = std::fs::read_to_string(out.path().join("engine-leaderworkerset.yaml"))
        .expect("the LeaderWorkerSet");
    assert!(lws.starts_with("apiVersion: leaderworkerset.x-k8s.io/v1\nkind: LeaderWorkerSet\n"));
    assert!(lws.contains("image: \"vllm/vllm-openai:v0.19.1\""), "{lws}");
    assert!(out.path().join("gateway-deployment.yaml").exists());
    assert!(stdout(&output).contains("kubectl create secret generic duows-engine-key"));
    let output = duows(
        &home(),
        &[
            "export",
            "kubernetes",
            "--model",
            "zai-org/GLM-5.1-FP8",
            "--gpus",
            "8xH100-80GB",
        ],
    );
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("--model") && error.contains("GLM-5.1 does not fit this hardware"),
        "{error}"
    );
}
