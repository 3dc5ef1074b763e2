//! The engine's manifests: on one node a Deployment and a Service; across nodes a
//! LeaderWorkerSet whose leader starts Ray's head, waits until the cluster holds the GPUs
//! the plan needs and runs `vllm serve`, and whose workers join the leader's Ray. Both get
//! the plan's exact arguments (listening on the pod's address), the GPUs, `/dev/shm` in
//! memory, the Hugging Face cache on a volume claim and a readiness probe on `/health`.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::{
    labels, metadata, resource_name, secret_env, volume_claim, ExportError, KubernetesOptions,
    Manifest, ENGINE_KEY_SECRET, HF_HOME, HF_TOKEN_SECRET, PORT,
};
use crate::catalog::{Model, Variant};
use crate::engine::cluster::RAY_PORT;
use crate::engine::plan::{shell_quote, vllm_plan, EnvValue, PlanOptions, PrepareStep, Secret};
use crate::fit::FitResult;

/// Where files the plan writes (a chat template) are mounted.
const FILES_DIR: &str = "/etc/duows";

/// What the gateway needs to know of the engine.
pub(super) struct Engine {
    pub name: String,
    pub served_name: String,
    pub manifests: Vec<Manifest>,
    pub notes: Vec<String>,
}

pub(super) fn manifests(
    model: &Model,
    variant: &Variant,
    fit: &FitResult,
    options: &KubernetesOptions,
) -> Result<Engine, ExportError> {
    let served_name = model.id.clone();
    let name = resource_name(&served_name);
    let plan = vllm_plan(
        model,
        variant,
        fit,
        &PlanOptions {
            program: PathBuf::from("vllm"),
            model_dir: None,
            hf_home: PathBuf::from(HF_HOME),
            served_name: Some(served_name.clone()),
            port: PORT,
            run_dir: PathBuf::from(FILES_DIR),
            // Never written: the manifests read the key from a Secret.
            api_key: Secret::new(""),
        },
    )
    .map_err(|e| ExportError {
        field: e.field,
        reason: e.reason,
    })?;
    // In a pod vLLM listens on the pod's address; the Service reaches it there.
    let mut args = plan.args.clone();
    if let Some(at) = args.iter().position(|a| a == "--host") {
        args[at + 1] = "0.0.0.0".into();
    }
    let mut env: Vec<Value> = plan
        .env
        .iter()
        .filter_map(|var| match (&var.value, var.name.as_str()) {
            // The device plugin chooses the GPUs; the key comes from the Secret.
            (_, "CUDA_VISIBLE_DEVICES" | "CUDA_DEVICE_ORDER" | "VLLM_API_KEY") => None,
            (EnvValue::Plain(value), _) => Some(json!({ "name": var.name, "value": value })),
            (EnvValue::Secret(_), _) => None,
        })
        .collect();
    env.push(secret_env("VLLM_API_KEY", ENGINE_KEY_SECRET, false));
    env.push(secret_env("HF_TOKEN", HF_TOKEN_SECRET, true));
    let mut notes = Vec::new();
    let mut files = serde_json::Map::new();
    for step in &plan.prepare {
        match step {
            PrepareStep::Write { path, contents } => {
                let file = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.insert(file, json!(contents));
            }
            PrepareStep::Copy { from, to } => notes.push(format!(
                "The plan copies {} to {} in the model's folder before vLLM starts: do it once in the volume claim's copy of the model.",
                from.display(),
                to.display()
            )),
        }
    }
    let mut volumes = vec![
        json!({ "name": "shm", "emptyDir": { "medium": "Memory", "sizeLimit": "16Gi" } }),
        json!({ "name": "hf-cache", "persistentVolumeClaim": { "claimName": format!("{name}-hf-cache") } }),
    ];
    let mut mounts = vec![
        json!({ "name": "shm", "mountPath": "/dev/shm" }),
        json!({ "name": "hf-cache", "mountPath": HF_HOME }),
    ];
    let engine_labels = labels(&name, "engine");
    let mut manifests = Vec::new();
    if !files.is_empty() {
        volumes.push(json!({ "name": "files", "configMap": { "name": format!("{name}-files") } }));
        mounts.push(json!({ "name": "files", "mountPath": FILES_DIR, "readOnly": true }));
        manifests.push(Manifest {
            file: "engine-files.yaml".into(),
            object: json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata(&format!("{name}-files"), &engine_labels, options),
                "data": files,
            }),
        });
    }
    let split = fit.pipeline.as_ref();
    manifests.push(Manifest {
        file: "engine-hf-cache.yaml".into(),
        object: volume_claim(
            &format!("{name}-hf-cache"),
            &engine_labels,
            variant.weight_bytes + variant.weight_bytes / 10,
            split.is_some(),
            options,
        ),
    });
    let gpus = fit.tensor_parallel_size;
    let container = |container: &str, command: Value, args: Value, env: &[Value], serves: bool| {
        let mut c = json!({
            "name": container,
            "image": options.vllm_image,
            "command": command,
            "args": args,
            "env": env,
            "resources": {
                "limits": { "nvidia.com/gpu": gpus },
                "requests": { "nvidia.com/gpu": gpus },
            },
            "volumeMounts": mounts,
        });
        if serves {
            c["ports"] = json!([{ "name": "http", "containerPort": PORT }]);
            c["readinessProbe"] = json!({
                "httpGet": { "path": "/health", "port": "http" },
                "periodSeconds": 10,
                "failureThreshold": 3,
            });
            // Loading hundreds of GB of weights takes a while: up to two hours.
            c["startupProbe"] = json!({
                "httpGet": { "path": "/health", "port": "http" },
                "periodSeconds": 10,
                "failureThreshold": 720,
            });
        }
        c
    };
    let service_selector;
    match split {
        None => {
            service_selector = engine_labels.clone();
            let pod = json!({
                "metadata": { "labels": engine_labels },
                "spec": {
                    "containers": [container("vllm", json!(["vllm"]), json!(args), &env, true)],
                    "volumes": volumes,
                },
            });
            manifests.push(Manifest {
                file: "engine-deployment.yaml".into(),
                object: json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": metadata(&name, &engine_labels, options),
                    "spec": {
                        "replicas": 1,
                        // The GPUs cannot hold two engines while one replaces the other.
                        "strategy": { "type": "Recreate" },
                        "selector": { "matchLabels": engine_labels },
                        "template": pod,
                    },
                }),
            });
        }
        Some(split) => {
            let leader_labels = labels(&name, "engine-leader");
            let worker_labels = labels(&name, "engine-worker");
            service_selector = leader_labels.clone();
            let mut cluster_env = env.clone();
            cluster_env.extend([
                json!({ "name": "VLLM_HOST_IP", "valueFrom": { "fieldRef": { "fieldPath": "status.podIP" } } }),
                json!({ "name": "NCCL_SOCKET_IFNAME", "value": options.interface }),
                json!({ "name": "GLOO_SOCKET_IFNAME", "value": options.interface }),
            ]);
            if split.custom_partition {
                let partition: Vec<String> =
                    split.layer_partition.iter().map(u32::to_string).collect();
                cluster_env.push(
                    json!({ "name": "VLLM_PP_LAYER_PARTITION", "value": partition.join(",") }),
                );
            }
            let total = gpus * split.pipeline_parallel_size;
            let serve: Vec<String> = std::iter::once("vllm".to_owned())
                .chain(args.iter().cloned())
                .map(|word| shell_quote(&word))
                .collect();
            let leader_script = format!(
                "ray start --head --port={RAY_PORT} --node-ip-address=\"$VLLM_HOST_IP\" --num-gpus={gpus}\n\
                 until python3 -c 'import ray, sys; ray.init(address=\"auto\", logging_level=\"ERROR\"); sys.exit(0 if ray.cluster_resources().get(\"GPU\", 0) >= {total} else 1)'; do\n  \
                 echo \"waiting for the Ray cluster to hold {total} GPUs\"; sleep 5\n\
                 done\n\
                 exec {}\n",
                serve.join(" ")
            );
            let worker_script = format!(
                "exec ray start --address=\"$LWS_LEADER_ADDRESS:{RAY_PORT}\" --node-ip-address=\"$VLLM_HOST_IP\" --num-gpus={gpus} --block\n"
            );
            let shell = json!(["/bin/sh", "-c"]);
            let worker_env: Vec<Value> = cluster_env
                .iter()
                .filter(|v| v["name"] != "VLLM_API_KEY")
                .cloned()
                .collect();
            manifests.push(Manifest {
                file: "engine-leaderworkerset.yaml".into(),
                object: json!({
                    "apiVersion": "leaderworkerset.x-k8s.io/v1",
                    "kind": "LeaderWorkerSet",
                    "metadata": metadata(&name, &engine_labels, options),
                    "spec": {
                        "replicas": 1,
                        "startupPolicy": "LeaderCreated",
                        "leaderWorkerTemplate": {
                            "size": split.nodes,
                            "restartPolicy": "RecreateGroupOnPodRestart",
                            "leaderTemplate": {
                                "metadata": { "labels": leader_labels },
                                "spec": {
                                    "containers": [container("vllm-leader", shell.clone(), json!([leader_script]), &cluster_env, true)],
                                    "volumes": volumes,
                                },
                            },
                            "workerTemplate": {
                                "metadata": { "labels": worker_labels },
                                "spec": {
                                    "containers": [container("vllm-worker", shell, json!([worker_script]), &worker_env, false)],
                                    "volumes": volumes,
                                },
                            },
                        },
                    },
                }),
            });
        }
    }
    manifests.push(Manifest {
        file: "engine-service.yaml".into(),
        object: json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata(&name, &engine_labels, options),
            "spec": {
                "type": "ClusterIP",
                "selector": service_selector,
                "ports": [{ "name": "http", "port": PORT, "targetPort": "http" }],
            },
        }),
    });
    Ok(Engine {
        name,
        served_name,
        manifests,
        notes,
    })
}
