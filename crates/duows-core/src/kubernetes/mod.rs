//! A plan as Kubernetes manifests, for users who run Kubernetes: the model's engine (a
//! Deployment and a Service on one node; a LeaderWorkerSet across nodes, the leader running
//! Ray's head and `vllm serve`, the workers joining it) with the plan's exact vLLM
//! arguments, GPUs, a shared-memory volume, the Hugging Face cache on a volume claim and a
//! readiness probe on `/health`; and this app's gateway (ConfigMap, Deployment, Service)
//! routing to the engine's Service. Pure: values in, manifests out.
//!
//! Keys never appear in a manifest: the engine's key is read from a Secret the user creates
//! (`VLLM_API_KEY` for vLLM, `DUOWS_ENGINE_KEY` for the gateway), the hub token from an
//! optional one; the notes say how to create them without putting a key in a command line.

mod engine;
mod gateway;
pub mod yaml;

use serde::Serialize;
use serde_json::{json, Value};

use crate::catalog::{Model, Variant};
use crate::fit::FitResult;

/// The Secret (and its key) holding the engine's API key.
pub const ENGINE_KEY_SECRET: (&str, &str) = ("duows-engine-key", "api-key");
/// The optional Secret (and its key) holding a Hugging Face token for gated models.
pub const HF_TOKEN_SECRET: (&str, &str) = ("duows-hf-token", "token");
/// The port the engine and the gateway listen on in their pods.
pub const PORT: u16 = 8000;
/// Where the Hugging Face cache is mounted in the engine's pods.
pub const HF_HOME: &str = "/root/.cache/huggingface";

/// What the manifests depend on besides the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesOptions {
    /// `metadata.namespace` of every object; `None`: the one `kubectl` uses.
    pub namespace: Option<String>,
    /// vLLM's image, e.g. `vllm/vllm-openai:v0.19.1`.
    pub vllm_image: String,
    /// An image with `duows` on its `PATH`, for the gateway.
    pub gateway_image: String,
    /// The pods' network interface, for NCCL and Gloo across nodes.
    pub interface: String,
    /// The storage class of the volume claims; `None`: the cluster's default.
    pub storage_class: Option<String>,
}

/// One manifest and the file it is written to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// File name, e.g. `engine-deployment.yaml`.
    pub file: String,
    /// The object.
    pub object: Value,
}

/// The manifests, and what to do before applying them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubernetesExport {
    /// In the order to apply them.
    pub manifests: Vec<Manifest>,
    /// Steps and caveats, in words.
    pub notes: Vec<String>,
}

impl KubernetesExport {
    /// Every manifest in one YAML stream.
    pub fn yaml(&self) -> String {
        let objects: Vec<Value> = self.manifests.iter().map(|m| m.object.clone()).collect();
        yaml::documents(&objects)
    }
}

/// Why no manifests were made: the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {reason}")]
pub struct ExportError {
    /// The input.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// The manifests of a model that fits (on one node, or across nodes), and of the gateway.
pub fn export(
    model: &Model,
    variant: &Variant,
    fit: &FitResult,
    options: &KubernetesOptions,
) -> Result<KubernetesExport, ExportError> {
    check(fit, options)?;
    let engine = engine::manifests(model, variant, fit, options)?;
    let mut manifests = engine.manifests;
    manifests.extend(gateway::manifests(
        model,
        &engine.name,
        &engine.served_name,
        options,
    )?);
    let mut notes = vec![
        format!(
            "Create the engine's key first (it never appears in a manifest): openssl rand -hex 32 | kubectl create secret generic {} --from-file={}=/dev/stdin{}",
            ENGINE_KEY_SECRET.0,
            ENGINE_KEY_SECRET.1,
            namespace_flag(options)
        ),
        format!(
            "For a gated model, the hub token the same way: kubectl create secret generic {} --from-file={}=<file holding the token>{}",
            HF_TOKEN_SECRET.0,
            HF_TOKEN_SECRET.1,
            namespace_flag(options)
        ),
        format!(
            "The nodes need NVIDIA's device plugin (nvidia.com/gpu){}.",
            if fit.pipeline.is_some() {
                ", and the LeaderWorkerSet controller (leaderworkerset.x-k8s.io/v1); the volume claim is ReadWriteMany, so its storage class must offer that"
            } else {
                ""
            }
        ),
        format!(
            "The gateway's image ({}) is not published: build one with `duows` on its PATH (the .deb of packaging/build.sh installs /usr/bin/duows). Its first start creates the gateway's API key and leaves it, readable by its owner only, in /var/lib/duows/first-gateway-key: read it once with kubectl exec deploy/duows-gateway -- cat /var/lib/duows/first-gateway-key, give it to GitLab, then delete the file.",
            options.gateway_image
        ),
    ];
    notes.extend(engine.notes);
    Ok(KubernetesExport { manifests, notes })
}

fn check(fit: &FitResult, options: &KubernetesOptions) -> Result<(), ExportError> {
    if !fit.fits {
        return Err(ExportError {
            field: "model",
            reason: format!(
                "{} does not fit this hardware{}",
                fit.name,
                fit.suggestions
                    .first()
                    .map(|s| format!(". {}", s.message))
                    .unwrap_or_default()
            ),
        });
    }
    if let Some(namespace) = &options.namespace {
        if !dns_label(namespace) {
            return Err(ExportError {
                field: "namespace",
                reason: format!(
                    "`{namespace}` is not a Kubernetes namespace name: up to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
                ),
            });
        }
    }
    for (field, image) in [
        ("vllm_image", &options.vllm_image),
        ("gateway_image", &options.gateway_image),
    ] {
        if image.is_empty() || image.chars().any(|c| c.is_whitespace()) {
            return Err(ExportError {
                field,
                reason: format!(
                    "`{image}` is not an image reference such as vllm/vllm-openai:v0.19.1"
                ),
            });
        }
    }
    let interface = &options.interface;
    if interface.is_empty()
        || interface.len() > 15
        || !interface
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
    {
        return Err(ExportError {
            field: "interface",
            reason: format!("`{interface}` is not a network interface name such as eth0"),
        });
    }
    Ok(())
}

/// A DNS-1123 label.
fn dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// `duows-<name>` as a DNS-1123 label: lower case, other characters as `-`.
fn resource_name(name: &str) -> String {
    let mut out = String::from("duows-");
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        out.push(if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        });
    }
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn namespace_flag(options: &KubernetesOptions) -> String {
    options
        .namespace
        .as_ref()
        .map_or_else(String::new, |n| format!(" -n {n}"))
}

/// `metadata` with the namespace when one is given.
fn metadata(name: &str, labels: &Value, options: &KubernetesOptions) -> Value {
    let mut meta = json!({ "name": name, "labels": labels });
    if let Some(namespace) = &options.namespace {
        meta["namespace"] = json!(namespace);
    }
    meta
}

/// The labels of one part of the app.
fn labels(name: &str, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "duo-workstation",
    })
}

/// An environment variable read from a Secret's key.
fn secret_env(name: &str, (secret, key): (&str, &str), optional: bool) -> Value {
    let mut reference = json!({ "name": secret, "key": key });
    if optional {
        reference["optional"] = json!(true);
    }
    json!({ "name": name, "valueFrom": { "secretKeyRef": reference } })
}

/// A volume claim of `bytes` (rounded up to whole GiB).
fn volume_claim(
    name: &str,
    labels: &Value,
    bytes: u64,
    shared: bool,
    options: &KubernetesOptions,
) -> Value {
    let gib = bytes.div_ceil(1 << 30).max(1);
    let mut spec = json!({
        "accessModes": [if shared { "ReadWriteMany" } else { "ReadWriteOnce" }],
        "resources": { "requests": { "storage": format!("{gib}Gi") } },
    });
    if let Some(class) = &options.storage_class {
        spec["storageClassName"] = json!(class);
    }
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, labels, options),
        "spec": spec,
    })
}

#[cfg(test)]
mod tests;
