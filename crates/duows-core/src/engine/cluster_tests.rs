//! The commands of a model across nodes: each node's `ray start`, the head's `vllm serve`
//! with the split, the network settings, and errors naming the setting at fault.

use std::net::IpAddr;
use std::path::PathBuf;

use super::*;
use crate::catalog::Catalog;
use crate::engine::plan::Secret;
use crate::fit::{fit_on_nodes, FitConstants, FitRequest, FitResult, Slot};
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription};

const KEY: &str = "cluster-key-never-shown";

fn options() -> PlanOptions {
    PlanOptions {
        program: PathBuf::from("/data/venvs/vllm/bin/vllm"),
        model_dir: None,
        hf_home: PathBuf::from("/data/models"),
        served_name: None,
        port: 8001,
        run_dir: PathBuf::from("/data/engines/glm-5.1"),
        api_key: Secret::new(KEY),
    }
}

fn glm_fit(nodes: u32, constants: FitConstants) -> (&'static Model, &'static Variant, FitResult) {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("glm-5.1").expect("model");
    let variant = model.variant(Some("fp8")).expect("variant");
    let gpus = DescribedProbe::new(HardwareDescription::from_spec("8xH100-80GB").expect("spec"))
        .inventory()
        .expect("inventory")
        .gpus;
    let slots = Slot::from_gpus(&gpus, &|_| None);
    let fit = fit_on_nodes(
        &FitRequest {
            model,
            variant,
            slots: &slots,
            context: None,
            concurrency: 1,
            tensor_parallel_size: None,
            gpu_memory_utilization: None,
            constants,
        },
        nodes,
    )
    .expect("fit");
    (model, variant, fit)
}

fn network(addresses: &[&str]) -> ClusterNetwork {
    ClusterNetwork {
        interface: Some("ib0".into()),
        addresses: addresses
            .iter()
            .map(|a| a.parse::<IpAddr>().expect("address"))
            .collect(),
        ray_port: RAY_PORT,
    }
}

fn env<'a>(vars: &'a [EnvVar], name: &str) -> Option<&'a str> {
    vars.iter()
        .find(|v| v.name == name)
        .map(|v| match &v.value {
            EnvValue::Plain(value) => value.as_str(),
            EnvValue::Secret(_) => "<hidden>",
        })
}

#[test]
fn the_head_and_each_worker_get_their_ray_start_and_the_head_serves() {
    let (model, variant, fit) = glm_fit(2, FitConstants::default());
    let plan = ray_cluster_plan(
        model,
        variant,
        &fit,
        &options(),
        &network(&["10.0.0.1", "10.0.0.2"]),
    )
    .expect("plan");
    assert!(!plan.placeholders);
    assert_eq!(plan.head_address, "10.0.0.1:6379");
    assert_eq!(plan.gpus, 16);
    let [head, worker] = plan.nodes.as_slice() else {
        panic!("two nodes: {:?}", plan.nodes);
    };
    assert_eq!(head.role, NodeRole::Head);
    assert_eq!(worker.role, NodeRole::Worker);
    assert_eq!(head.ray.program, PathBuf::from("/data/venvs/vllm/bin/ray"));
    assert_eq!(
        head.ray.args,
        [
            "start",
            "--head",
            "--port",
            "6379",
            "--node-ip-address",
            "10.0.0.1",
            "--num-gpus",
            "8",
            "--block"
        ]
    );
    assert_eq!(
        worker.ray.args,
        [
            "start",
            "--address=10.0.0.1:6379",
            "--node-ip-address",
            "10.0.0.2",
            "--num-gpus",
            "8",
            "--block"
        ]
    );
    for node in &plan.nodes {
        assert_eq!(
            env(&node.ray.env, "VLLM_HOST_IP"),
            Some(node.address.as_str())
        );
        assert_eq!(env(&node.ray.env, "NCCL_SOCKET_IFNAME"), Some("ib0"));
        assert_eq!(env(&node.ray.env, "GLOO_SOCKET_IFNAME"), Some("ib0"));
        assert_eq!(
            env(&node.ray.env, "CUDA_VISIBLE_DEVICES"),
            Some("0,1,2,3,4,5,6,7")
        );
        assert_eq!(env(&node.ray.env, "HF_HOME"), Some("/data/models"));
        assert_eq!(
            env(&node.ray.env, "VLLM_API_KEY"),
            None,
            "the key stays on the head"
        );
    }
    let serve = &plan.serve;
    assert_eq!(env(&serve.env, "VLLM_HOST_IP"), Some("10.0.0.1"));
    assert_eq!(env(&serve.env, "NCCL_SOCKET_IFNAME"), Some("ib0"));
    assert_eq!(env(&serve.env, "VLLM_PP_LAYER_PARTITION"), None);
    let line = serve.command_line();
    assert!(
        line.contains(
            "serve zai-org/GLM-5.1-FP8 --host 127.0.0.1 --port 8001 --served-model-name glm-5.1 --tensor-parallel-size 8 --pipeline-parallel-size 2 --distributed-executor-backend ray --gpu-memory-utilization"
        ),
        "{line}"
    );
    // The sizing flags and the model's own flags, as on one node.
    for flag in [
        "--max-model-len 32768",
        "--max-num-seqs",
        "--tool-call-parser",
    ] {
        assert!(line.contains(flag), "{flag} in {line}");
    }
    assert!(!line.contains(KEY) && line.contains("VLLM_API_KEY=<hidden>"));
    let worker_line = worker.ray.command_line();
    assert!(
        worker_line.starts_with("CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7 HF_HOME=/data/models VLLM_HOST_IP=10.0.0.2 NCCL_SOCKET_IFNAME=ib0 GLOO_SOCKET_IFNAME=ib0 /data/venvs/vllm/bin/ray start --address=10.0.0.1:6379"),
        "{worker_line}"
    );
}

#[test]
fn a_split_given_by_hand_reaches_vllm() {
    let (model, variant, fit) = glm_fit(
        2,
        FitConstants {
            layer_partition: Some(vec![41, 37]),
            ..FitConstants::default()
        },
    );
    let plan = ray_cluster_plan(
        model,
        variant,
        &fit,
        &options(),
        &network(&["10.0.0.1", "10.0.0.2"]),
    )
    .expect("plan");
    assert_eq!(
        env(&plan.serve.env, "VLLM_PP_LAYER_PARTITION"),
        Some("41,37")
    );
}

#[test]
fn missing_or_wrong_network_settings_name_their_field() {
    let (model, variant, fit) = glm_fit(2, FitConstants::default());
    let plan = |network: &ClusterNetwork| {
        ray_cluster_plan(model, variant, &fit, &options(), network).expect_err("refused")
    };
    let missing = plan(&ClusterNetwork {
        interface: None,
        ..network(&["10.0.0.1", "10.0.0.2"])
    });
    assert_eq!(missing.field, "interface");
    assert!(
        missing.reason.contains("NCCL_SOCKET_IFNAME"),
        "{}",
        missing.reason
    );
    let bad = plan(&ClusterNetwork {
        interface: Some("eth0; rm -rf /".into()),
        ..network(&["10.0.0.1", "10.0.0.2"])
    });
    assert_eq!(bad.field, "interface");
    assert_eq!(plan(&network(&["10.0.0.1"])).field, "node_addresses");
    assert!(plan(&network(&["10.0.0.1", "10.0.0.1"]))
        .reason
        .contains("twice"));
    assert!(plan(&network(&["10.0.0.1", "127.0.0.1"]))
        .reason
        .contains("reach"));
    let port = plan(&ClusterNetwork {
        ray_port: 0,
        ..network(&["10.0.0.1", "10.0.0.2"])
    });
    assert_eq!(port.field, "ray_port");
    let workers = plan(&ClusterNetwork {
        ray_port: 17628,
        ..network(&["10.0.0.1", "10.0.0.2"])
    });
    assert_eq!(workers.field, "ray_port");
    assert!(workers.reason.contains("10002–19999"), "{}", workers.reason);
    // NCCL's own forms are accepted.
    let exact = ClusterNetwork {
        interface: Some("=enp1s0f0".into()),
        ..network(&["10.0.0.1", "10.0.0.2"])
    };
    assert!(ray_cluster_plan(model, variant, &fit, &options(), &exact).is_ok());
}

#[test]
fn a_fit_on_one_node_has_no_cluster_plan() {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("glm-5.1").expect("model");
    let (_, variant, fit) = glm_fit(1, FitConstants::default());
    let error = ray_cluster_preview(model, variant, &fit, &options()).expect_err("one node");
    assert_eq!(error.field, "nodes");
}

#[test]
fn a_preview_for_machines_not_yet_named_shows_placeholders() {
    let (model, variant, fit) = glm_fit(2, FitConstants::default());
    let plan = ray_cluster_preview(model, variant, &fit, &options()).expect("preview");
    assert!(plan.placeholders);
    assert_eq!(plan.head_address, "<node-1-address>:6379");
    let worker = plan.nodes[1].ray.command_line();
    assert!(
        worker.contains("VLLM_HOST_IP='<node-2-address>' NCCL_SOCKET_IFNAME='<interface>'"),
        "{worker}"
    );
    assert!(
        worker.contains("'--address=<node-1-address>:6379'"),
        "{worker}"
    );
}

#[test]
fn ray_refuses_the_ports_it_keeps_for_itself_and_so_does_the_plan() {
    for free in [1, 6379, 10000, 20000, 29500, 65535] {
        assert_eq!(ray_port_problem(free), None, "{free}");
    }
    for (kept, words) in [
        (0, "between 1 and 65535"),
        (8265, "Ray's dashboard port"),
        (10001, "client server"),
        (10002, "10002–19999"),
        (19999, "10002–19999"),
        (52365, "dashboard agent"),
    ] {
        let reason = ray_port_problem(kept).expect("refused");
        assert!(reason.contains(words), "{kept}: {reason}");
    }
    assert!(ray_port_problem(15000)
        .expect("refused")
        .ends_with("choose another, such as Ray's default 6379"));
}
