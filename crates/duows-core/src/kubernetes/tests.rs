//! The manifests of a model on one node and across nodes: the plan's exact arguments, the
//! GPUs, shared memory, the cache, the probe, keys only by reference, and the gateway
//! pointing at the engine's Service. (Their structure against Kubernetes' published schemas
//! is checked in `tests/kubernetes`.)

use serde_json::Value;

use super::*;
use crate::catalog::Catalog;
use crate::fit::{fit_on_nodes, FitConstants, FitRequest, Slot};
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription};

fn options() -> KubernetesOptions {
    KubernetesOptions {
        namespace: Some("duo".into()),
        vllm_image: "vllm/vllm-openai:v0.19.1".into(),
        gateway_image: "duo-workstation:0.1.0".into(),
        interface: "eth0".into(),
        storage_class: None,
    }
}

fn export_of(id: &str, variant: &str, spec: &str, nodes: u32) -> KubernetesExport {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model(id).expect("model");
    let variant = model.variant(Some(variant)).expect("variant");
    let gpus = DescribedProbe::new(HardwareDescription::from_spec(spec).expect("spec"))
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
            constants: FitConstants::default(),
        },
        nodes,
    )
    .expect("fit");
    export(model, variant, &fit, &options()).expect("export")
}

fn object<'a>(export: &'a KubernetesExport, kind: &str, name: &str) -> &'a Value {
    export
        .manifests
        .iter()
        .map(|m| &m.object)
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect()
}

#[test]
fn one_node_is_a_deployment_and_a_service_with_the_plans_arguments() {
    let export = export_of("gpt-oss-120b", "mxfp4", "1xH100-80GB", 1);
    let deployment = object(&export, "Deployment", "duows-gpt-oss-120b");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "vllm/vllm-openai:v0.19.1");
    assert_eq!(strings(&container["command"]), ["vllm"]);
    let args = strings(&container["args"]);
    assert_eq!(
        args[..8],
        [
            "serve",
            "openai/gpt-oss-120b",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--served-model-name",
            "gpt-oss-120b"
        ]
    );
    assert!(args
        .windows(2)
        .any(|w| w == ["--tensor-parallel-size", "1"]));
    assert_eq!(container["resources"]["limits"]["nvidia.com/gpu"], 1);
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/health");
    let shm = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "shm")
        .expect("shm");
    assert_eq!(shm["emptyDir"]["medium"], "Memory");
    assert!(container["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .any(|m| m["mountPath"] == "/dev/shm"));
    let key = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == "VLLM_API_KEY")
        .expect("key");
    assert_eq!(key["valueFrom"]["secretKeyRef"]["name"], "duows-engine-key");
    let service = object(&export, "Service", "duows-gpt-oss-120b");
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(
        object(
            &export,
            "PersistentVolumeClaim",
            "duows-gpt-oss-120b-hf-cache"
        )["spec"]["accessModes"][0],
        "ReadWriteOnce"
    );
    // The gateway routes to the engine's Service by its name in the namespace.
    let config = object(&export, "ConfigMap", "duows-gateway-config");
    let settings: Value =
        serde_json::from_str(config["data"]["settings.json"].as_str().expect("json"))
            .expect("settings");
    assert_eq!(
        settings["deployments"][0]["endpoint"],
        "http://duows-gpt-oss-120b.duo.svc:8000/v1"
    );
    assert_eq!(
        settings["deployments"][0]["api_key_env"],
        "DUOWS_ENGINE_KEY"
    );
    assert_eq!(settings["features"]["code_completions"], "gpt-oss-120b");
    let yaml = export.yaml();
    assert!(yaml.contains("kind: Deployment") && yaml.contains("---\n"));
}

#[test]
fn across_nodes_is_a_leaderworkerset_whose_leader_serves() {
    let export = export_of("glm-5.1", "fp8", "8xH100-80GB", 2);
    let lws = object(&export, "LeaderWorkerSet", "duows-glm-5-1");
    assert_eq!(lws["apiVersion"], "leaderworkerset.x-k8s.io/v1");
    let group = &lws["spec"]["leaderWorkerTemplate"];
    assert_eq!(group["size"], 2);
    let leader = &group["leaderTemplate"]["spec"]["containers"][0];
    let worker = &group["workerTemplate"]["spec"]["containers"][0];
    let script = leader["args"][0].as_str().expect("script");
    assert!(
        script.starts_with("ray start --head --port=6379"),
        "{script}"
    );
    assert!(
        script.contains(">= 16 else 1"),
        "waits for 16 GPUs: {script}"
    );
    assert!(script.contains("exec vllm serve zai-org/GLM-5.1-FP8 --host 0.0.0.0 --port 8000 --served-model-name glm-5.1 --tensor-parallel-size 8 --pipeline-parallel-size 2 --distributed-executor-backend ray"), "{script}");
    let worker_script = worker["args"][0].as_str().expect("script");
    assert!(
        worker_script.contains("--address=\"$LWS_LEADER_ADDRESS:6379\""),
        "{worker_script}"
    );
    for container in [leader, worker] {
        assert_eq!(container["resources"]["limits"]["nvidia.com/gpu"], 8);
        let env = container["env"].as_array().expect("env");
        let host = env
            .iter()
            .find(|e| e["name"] == "VLLM_HOST_IP")
            .expect("host ip");
        assert_eq!(host["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP");
        assert!(env
            .iter()
            .any(|e| e["name"] == "NCCL_SOCKET_IFNAME" && e["value"] == "eth0"));
    }
    assert!(leader["readinessProbe"].is_object() && worker["readinessProbe"].is_null());
    let service = object(&export, "Service", "duows-glm-5-1");
    assert_eq!(
        service["spec"]["selector"],
        group["leaderTemplate"]["metadata"]["labels"]
    );
    assert_eq!(
        object(&export, "PersistentVolumeClaim", "duows-glm-5-1-hf-cache")["spec"]["accessModes"]
            [0],
        "ReadWriteMany"
    );
}

#[test]
fn no_key_is_ever_written_and_bad_options_name_their_field() {
    let export = export_of("glm-5.1", "fp8", "8xH100-80GB", 2);
    let yaml = export.yaml();
    assert!(!yaml.contains("<hidden>"));
    assert!(!yaml.to_lowercase().contains("api_key\":"), "no key value");
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("glm-5.1").expect("model");
    let variant = model.variant(Some("fp8")).expect("fp8");
    let slots: Vec<Slot> = Vec::new();
    let fit = fit_on_nodes(
        &FitRequest {
            model,
            variant,
            slots: &slots,
            context: None,
            concurrency: 1,
            tensor_parallel_size: None,
            gpu_memory_utilization: None,
            constants: FitConstants::default(),
        },
        1,
    )
    .expect("fit");
    assert_eq!(export_fails(model, variant, &fit, options()), "model");
    let fitted = crate::fit::fit_on_nodes(
        &FitRequest {
            model,
            variant,
            slots: &super::tests::slots("8xH100-80GB"),
            context: None,
            concurrency: 1,
            tensor_parallel_size: None,
            gpu_memory_utilization: None,
            constants: FitConstants::default(),
        },
        2,
    )
    .expect("fit");
    let bad_namespace = KubernetesOptions {
        namespace: Some("Duo_Space".into()),
        ..options()
    };
    assert_eq!(
        export_fails(model, variant, &fitted, bad_namespace),
        "namespace"
    );
    let bad_interface = KubernetesOptions {
        interface: "eth0 ib0".into(),
        ..options()
    };
    assert_eq!(
        export_fails(model, variant, &fitted, bad_interface),
        "interface"
    );
}

fn export_fails(
    model: &crate::catalog::Model,
    variant: &crate::catalog::Variant,
    fit: &crate::fit::FitResult,
    options: KubernetesOptions,
) -> &'static str {
    export(model, variant, fit, &options)
        .expect_err("refused")
        .field
}

fn slots(spec: &str) -> Vec<Slot> {
    let gpus = DescribedProbe::new(HardwareDescription::from_spec(spec).expect("spec"))
        .inventory()
        .expect("inventory")
        .gpus;
    Slot::from_gpus(&gpus, &|_| None)
}
