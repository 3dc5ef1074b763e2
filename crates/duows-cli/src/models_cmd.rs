//! `duows recommend`, `duows fit` and `duows catalog`: the same API functions as
//! `POST /api/recommend`, `POST /api/fit` and `GET /api/catalog`, printed as text or JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use duows_api::calls::{self, FitParams, RecommendParams};
use duows_api::{ApiError, ApiState, StateOptions};
use duows_core::catalog::Catalog;
use duows_core::data_dir::DataDir;
use duows_core::engine::cluster::ClusterPlan;
use duows_core::engine::install::release_for_model;
use duows_core::fit::{Badge, FitConstants, FitResult, Recommendation, GIB};

use crate::text::{count, gib};

use crate::cli::{CatalogArgs, FitArgs, FitOptions, RecommendArgs};
use crate::{cluster_text, hardware_cmd};

/// A state over the hardware the user named (planning) or this machine.
pub(crate) fn state(gpus: &crate::cli::GpuSource) -> anyhow::Result<ApiState> {
    Ok(ApiState::new(StateOptions {
        data_dir: DataDir::from_env()?,
        probe: hardware_cmd::probe(gpus)?,
    }))
}

pub(crate) fn run<T>(
    future: impl std::future::Future<Output = Result<T, ApiError>>,
) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(future).map_err(|e| match &e.field {
        Some(field) => anyhow::anyhow!("{}: {}", flag(field), e.message),
        None => anyhow::anyhow!("{}", e.message),
    })
}

/// The command-line flag for an API field.
pub(crate) fn flag(field: &str) -> String {
    if field == "node_addresses" {
        return "--node-address".into();
    }
    format!("--{}", field.replace('_', "-"))
}

fn constants(options: &FitOptions) -> Option<FitConstants> {
    let constants = FitConstants {
        vllm_version: options.vllm_version.clone(),
        non_torch_gib: options.non_torch_gib,
        activation_gib: options.activation_gib,
        cuda_graphs_gib: options.cuda_graphs_gib,
        max_num_seqs: options.max_num_seqs,
        max_num_batched_tokens: options.max_num_batched_tokens,
        kv_bytes: options.kv_bytes.unwrap_or(0),
        layer_partition: options.layer_partition.clone(),
    };
    (constants != FitConstants::default()).then_some(constants)
}

pub fn recommend(args: &RecommendArgs) -> anyhow::Result<ExitCode> {
    let state = state(&args.source)?;
    let params = RecommendParams {
        gpus: None, // the state already serves the described hardware
        feature: args.feature.clone(),
        context: args.options.context,
        concurrency: args.options.concurrency,
        gitlab: args.gitlab.clone(),
        gpu_memory_utilization: args.options.gpu_memory_utilization,
        constants: constants(&args.options),
        nodes: args.options.nodes,
    };
    let rec = run(calls::recommend(&state, params))?;
    if args.options.json {
        println!("{}", serde_json::to_string_pretty(&rec)?);
    } else {
        let hardware = run(calls::hardware(&state))?;
        let label = match &hardware.source {
            duows_core::hardware::HardwareSource::Description { label, .. } => label.clone(),
            duows_core::hardware::HardwareSource::Nvml if hardware.gpus.is_empty() => {
                "this machine (no GPU)".into()
            }
            duows_core::hardware::HardwareSource::Nvml => "this machine".into(),
        };
        print!("{}", recommendation_text(&rec, &label));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn fit(args: &FitArgs) -> anyhow::Result<ExitCode> {
    let state = state(&args.source)?;
    let params = FitParams {
        model: args.model.clone(),
        config: args.config.clone(),
        variant: args.variant.clone(),
        gpus: None,
        context: args.options.context,
        concurrency: args.options.concurrency,
        tensor_parallel_size: args.tensor_parallel_size,
        gpu_memory_utilization: args.options.gpu_memory_utilization,
        constants: constants(&args.options),
        nodes: args.options.nodes,
    };
    let result = run(calls::fit(&state, params))?;
    // Across nodes, the command lines on each node (placeholders until the network is named).
    let cluster = match (&result.pipeline, result.fits) {
        (Some(_), true) => {
            let network = cluster_text::network(&args.network);
            let network = network.as_ref();
            Some(
                calls::cluster_plan(&state, &result, network).map_err(|e| match &e.field {
                    Some(field) => anyhow::anyhow!("{}: {}", flag(field), e.message),
                    None => anyhow::anyhow!("{}", e.message),
                })?,
            )
        }
        _ => None,
    };
    if args.options.json {
        /// The fit, and across nodes the commands on each node.
        #[derive(serde::Serialize)]
        struct Answer<'a> {
            #[serde(flatten)]
            fit: &'a FitResult,
            #[serde(skip_serializing_if = "Option::is_none")]
            cluster: Option<&'a ClusterPlan>,
        }
        let answer = Answer {
            fit: &result,
            cluster: cluster.as_ref(),
        };
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print!("{}", fit_text(&result, cluster.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn catalog(args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let view = calls::catalog()
        .map_err(|e| anyhow::anyhow!(e.message))
        .context("catalog")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    let version: duows_core::catalog::GitlabVersion = view.default_gitlab;
    let mut out = format!(
        "Model catalog {} ({} models; ratings for GitLab {version}: completion / generation / chat / agent platform)\n\n",
        view.version,
        view.models.len()
    );
    let rows: Vec<[String; 6]> = view
        .models
        .iter()
        .map(|m| {
            let ratings = m.ratings_in(version).map_or_else(
                || "not listed".to_owned(),
                |r| {
                    format!(
                        "{} / {} / {} / {}",
                        r.completion, r.generation, r.chat, r.agent_platform
                    )
                },
            );
            let size = m
                .variants
                .first()
                .map_or_else(|| "cloud".to_owned(), |v| gib(v.weight_bytes));
            let state = format!(
                "{}{}",
                m.release_in(version),
                if m.deprecated_in(version) {
                    ", deprecated"
                } else {
                    ""
                }
            );
            let vllm = release_for_model(m).map_or_else(|| "-".to_owned(), |r| r.to_string());
            [
                m.id.clone(),
                format!("{:?}", m.family).to_uppercase(),
                size,
                vllm,
                state,
                ratings,
            ]
        })
        .collect();
    out.push_str(&crate::text::table(
        &["ID", "FAMILY", "WEIGHTS", "VLLM", "RELEASE", "RATINGS"],
        &rows,
    ));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn recommendation_text(rec: &Recommendation, label: &str) -> String {
    let mut out = format!(
        "Recommendations for {label} — GitLab {}, catalog {}\n\n",
        rec.gitlab_version, rec.catalog_version
    );
    let rows: Vec<[String; 6]> = rec
        .models
        .iter()
        .map(|m| {
            let (fit, usable) = match (&m.badge, &m.quantized) {
                (Badge::FitsQuantized, Some(q)) => (format!("fits as {}", q.variant), q),
                (Badge::Fits, _) => ("fits".to_owned(), &m.fit),
                _ => (
                    format!("no (needs {})", gib((m.min_gpu_memory_gib * GIB) as u64)),
                    &m.fit,
                ),
            };
            let (tp, ctx, req) = if m.badge == Badge::DoesNotFit {
                ("-".into(), "-".into(), "-".into())
            } else {
                (
                    usable.pipeline.as_ref().map_or_else(
                        || usable.tensor_parallel_size.to_string(),
                        |split| format!("{} × {} nodes", split.tensor_parallel_size, split.nodes),
                    ),
                    usable.max_model_len.to_string(),
                    format!("{:.2}", usable.concurrency),
                )
            };
            let mut state = m.release.to_string();
            if m.deprecated {
                state.push_str(", deprecated");
            }
            if !m.listed {
                state.push_str(", not listed");
            }
            [m.fit.name.clone(), fit, tp, ctx, req, state]
        })
        .collect();
    out.push_str(&crate::text::table(
        &["MODEL", "FIT", "TP", "CONTEXT", "REQUESTS", "GITLAB"],
        &rows,
    ));
    out.push_str("\nBest per Duo feature\n");
    for feature in &rec.features {
        let best: Vec<String> = feature
            .ranked
            .iter()
            .take(3)
            .map(|r| format!("{} ({})", r.name, r.rating))
            .collect();
        let line = if best.is_empty() {
            feature.message.clone().unwrap_or_default()
        } else {
            best.join(", ")
        };
        let _ = writeln!(out, "  {:<42} {line}", feature.title);
    }
    for advice in &rec.advice {
        let _ = writeln!(out, "\n{advice}");
    }
    out
}

/// Which vLLM release the app installs for a catalog model (none for a model read from a
/// `config.json`).
fn vllm_release_line(model_id: &str) -> Option<String> {
    let model = Catalog::builtin().ok()?.model(model_id)?;
    let minimum = &model.serving.as_ref()?.min_vllm;
    let release = release_for_model(model)?;
    Some(format!(
        "Installs vLLM {release} for it (it needs {minimum} or newer): `duows engine install vllm --model {}`",
        model.id
    ))
}

fn fit_text(result: &FitResult, cluster: Option<&ClusterPlan>) -> String {
    let mut out = format!(
        "{} ({}) — {}\n",
        result.name,
        result.variant,
        if result.fits { "fits" } else { "does not fit" }
    );
    if let Some(vllm) = &result.vllm {
        let _ = writeln!(
            out,
            "  {}GPUs {} · tensor parallel {}{} · context {} · {} at once ({:.2}× the full context; vLLM admits up to {})",
            result
                .pipeline
                .as_ref()
                .map_or_else(String::new, |s| format!("{} nodes, each ", s.nodes)),
            vllm.cuda_visible_devices,
            result.tensor_parallel_size,
            result
                .pipeline
                .as_ref()
                .map_or_else(String::new, |s| format!(
                    " · pipeline parallel {}",
                    s.pipeline_parallel_size
                )),
            result.max_model_len,
            count(result.whole_requests(), "request", "requests"),
            result.concurrency,
            vllm.max_num_seqs,
        );
        let _ = writeln!(out, "  vLLM: {}", vllm.args.join(" "));
        if let Some(line) = vllm_release_line(&result.model) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push('\n');
    for line in &result.explanation {
        let _ = writeln!(out, "- {line}");
    }
    if let Some(split) = &result.pipeline {
        out.push_str(&cluster_text::split_text(split));
    } else if let Some(mem) = &result.memory {
        let g = |b: f64| gib(b as u64);
        let _ = writeln!(
            out,
            "\nPer GPU: total {} · budget {} · weights {} · KV cache {} · overhead {} · outside budget {}",
            g(mem.total_bytes as f64),
            g(mem.budget_bytes as f64),
            g(mem.weights_bytes as f64),
            g(mem.kv_cache_bytes.max(0) as f64),
            g(mem.overhead_bytes() as f64),
            g(mem.unreserved_bytes as f64),
        );
    }
    if !result.suggestions.is_empty() {
        out.push_str("\nTo make it fit:\n");
        for suggestion in &result.suggestions {
            let _ = writeln!(out, "- {}", suggestion.message);
        }
    }
    if let Some(plan) = cluster {
        out.push_str(&cluster_text::commands_text(plan));
    }
    for warning in &result.warnings {
        let _ = writeln!(out, "\n! {warning}");
    }
    out
}
