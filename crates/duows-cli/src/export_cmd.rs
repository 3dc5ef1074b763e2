//! `duows export kubernetes`: the plan as Kubernetes manifests, one YAML stream on stdout or
//! one file per manifest in a folder, and the steps to take before applying them.

use std::process::ExitCode;

use anyhow::Context;
use duows_api::calls::{self, FitParams, KubernetesParams};
use duows_core::kubernetes::yaml;

use crate::cli::KubernetesArgs;
use crate::models_cmd::{run, state};

pub fn kubernetes(args: &KubernetesArgs) -> anyhow::Result<ExitCode> {
    let state = state(&args.source)?;
    let fit = FitParams {
        model: Some(args.model.clone()),
        variant: args.variant.clone(),
        context: args.context,
        nodes: args.nodes,
        ..FitParams::default()
    };
    let options = KubernetesParams {
        namespace: args.namespace.clone(),
        gateway_image: args.gateway_image.clone(),
        interface: args.interface.clone(),
        storage_class: args.storage_class.clone(),
    };
    let export = run(calls::kubernetes_export(&state, fit, options))?;
    match &args.out {
        None => {
            print!("{}", export.yaml());
            for note in &export.notes {
                eprintln!("# {note}");
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
            for manifest in &export.manifests {
                let path = dir.join(&manifest.file);
                std::fs::write(&path, yaml::to_yaml(&manifest.object))
                    .with_context(|| format!("write {}", path.display()))?;
                println!("{}", path.display());
            }
            let notes = dir.join("NOTES.txt");
            let text: String = export.notes.iter().map(|n| format!("- {n}\n")).collect();
            std::fs::write(&notes, text).with_context(|| format!("write {}", notes.display()))?;
            println!("{}", notes.display());
            println!("\nBefore kubectl apply -f {}:", dir.display());
            for note in &export.notes {
                println!("- {note}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
