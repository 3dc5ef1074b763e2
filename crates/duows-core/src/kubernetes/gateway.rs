//! This app's gateway in the cluster: its settings (the engine's Service as an
//! OpenAI-compatible deployment, the Duo features GitLab rates the model for routed to it)
//! in a ConfigMap, its data folder on a volume claim, a Deployment running `duows serve`
//! with the gateway on the pod's address, and its Service.

use serde_json::json;

use super::{
    labels, metadata, secret_env, volume_claim, ExportError, KubernetesOptions, Manifest,
    ENGINE_KEY_SECRET, PORT,
};
use crate::catalog::{Catalog, Model};
use crate::settings::{ExternalDeployment, Settings};

/// The gateway's name, the same in every export.
const NAME: &str = "duows-gateway";
/// The environment variable the gateway reads the engine's key from.
const KEY_ENV: &str = "DUOWS_ENGINE_KEY";
/// The gateway's data folder in its pod.
const DATA: &str = "/var/lib/duows";

pub(super) fn manifests(
    model: &Model,
    engine: &str,
    served_name: &str,
    options: &KubernetesOptions,
) -> Result<Vec<Manifest>, ExportError> {
    let settings = settings(model, engine, served_name, options)?;
    let settings_json = serde_json::to_string_pretty(&settings).map_err(|e| ExportError {
        field: "model",
        reason: format!("cannot write the gateway's settings: {e}"),
    })?;
    let gateway_labels = labels(NAME, "gateway");
    // Settings from the ConfigMap at every start; an API key made once, on the first start,
    // into a file only its owner reads (never printed: the pod's output is kept as logs).
    let prepare = format!(
        "cp /config/settings.json {DATA}/settings.json && \
         if [ ! -s {DATA}/gateway-keys.json ]; then umask 077; duows keys create --name gitlab | tail -n 1 > {DATA}/first-gateway-key; fi"
    );
    let data_mount = json!({ "name": "data", "mountPath": DATA });
    let home = json!({ "name": "DUOWS_HOME", "value": DATA });
    Ok(vec![
        Manifest {
            file: "gateway-config.yaml".into(),
            object: json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata(&format!("{NAME}-config"), &gateway_labels, options),
                "data": { "settings.json": settings_json },
            }),
        },
        Manifest {
            file: "gateway-data.yaml".into(),
            object: volume_claim(
                &format!("{NAME}-data"),
                &gateway_labels,
                1 << 30,
                false,
                options,
            ),
        },
        Manifest {
            file: "gateway-deployment.yaml".into(),
            object: json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": metadata(NAME, &gateway_labels, options),
                "spec": {
                    "replicas": 1,
                    "strategy": { "type": "Recreate" },
                    "selector": { "matchLabels": gateway_labels },
                    "template": {
                        "metadata": { "labels": gateway_labels },
                        "spec": {
                            "initContainers": [{
                                "name": "settings",
                                "image": options.gateway_image,
                                "command": ["/bin/sh", "-c", prepare],
                                "env": [home],
                                "volumeMounts": [
                                    data_mount,
                                    { "name": "config", "mountPath": "/config", "readOnly": true },
                                ],
                            }],
                            "containers": [{
                                "name": "gateway",
                                "image": options.gateway_image,
                                "command": command(options),
                                "env": [home, secret_env(KEY_ENV, ENGINE_KEY_SECRET, false)],
                                "ports": [{ "name": "http", "containerPort": PORT }],
                                "readinessProbe": {
                                    "httpGet": { "path": "/health", "port": "http" },
                                    "periodSeconds": 10,
                                },
                                "volumeMounts": [data_mount],
                            }],
                            "volumes": [
                                { "name": "data", "persistentVolumeClaim": { "claimName": format!("{NAME}-data") } },
                                { "name": "config", "configMap": { "name": format!("{NAME}-config") } },
                            ],
                        },
                    },
                },
            }),
        },
        Manifest {
            file: "gateway-service.yaml".into(),
            object: json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": metadata(NAME, &gateway_labels, options),
                "spec": {
                    "type": "ClusterIP",
                    "selector": gateway_labels,
                    "ports": [{ "name": "http", "port": PORT, "targetPort": "http" }],
                },
            }),
        },
    ])
}

/// `duows serve` with the gateway on the pod's address, accepting the Service's names.
fn command(options: &KubernetesOptions) -> Vec<String> {
    let mut words: Vec<String> = [
        "duows",
        "serve",
        "--host",
        "127.0.0.1",
        "--gateway-host",
        "0.0.0.0",
        "--gateway-port",
    ]
    .map(String::from)
    .to_vec();
    words.push(PORT.to_string());
    let mut names = vec![NAME.to_owned()];
    if let Some(namespace) = &options.namespace {
        names.push(format!("{NAME}.{namespace}"));
        names.push(format!("{NAME}.{namespace}.svc"));
        names.push(format!("{NAME}.{namespace}.svc.cluster.local"));
    }
    for name in names {
        words.extend(["--allow-host".to_owned(), name]);
    }
    words
}

/// The gateway's settings: the engine as a deployment (its key from [`KEY_ENV`]), and every
/// Duo feature GitLab rates the model for in the catalog's GitLab version routed to it.
fn settings(
    model: &Model,
    engine: &str,
    served_name: &str,
    options: &KubernetesOptions,
) -> Result<Settings, ExportError> {
    let host = match &options.namespace {
        Some(namespace) => format!("{engine}.{namespace}.svc"),
        None => engine.to_owned(),
    };
    let mut deployment = ExternalDeployment::openai(
        served_name,
        &format!("http://{host}:{PORT}/v1"),
        served_name,
    );
    deployment.api_key_env = Some(KEY_ENV.into());
    let mut settings = Settings {
        deployments: vec![deployment],
        ..Settings::default()
    };
    if let Ok(catalog) = Catalog::builtin() {
        if let Some(ratings) = model.ratings_in(catalog.default_gitlab) {
            for feature in &catalog.features {
                let rated = ratings.rating(feature.rated_as).score() > 0;
                if rated && feature.families.contains(&model.family) {
                    settings
                        .features
                        .insert(feature.key.clone(), served_name.to_owned());
                }
            }
        }
    }
    settings.validate().map_err(|e| ExportError {
        field: "model",
        reason: format!("the gateway's settings are refused: {e}"),
    })?;
    Ok(settings)
}
