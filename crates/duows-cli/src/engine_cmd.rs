//! `duows engine …`: engine launch plans (the same call as `POST /api/engine/plan`).

use std::fmt::Write as _;
use std::process::ExitCode;

use duows_api::calls::{self, EnginePlanParams};
use duows_core::engine::PrepareStep;

use crate::cli::EnginePlanArgs;
use crate::models_cmd::{run, state};

pub fn plan(args: &EnginePlanArgs) -> anyhow::Result<ExitCode> {
    let state = state(&args.source)?;
    let params = EnginePlanParams {
        model: args.model.clone(),
        variant: args.variant.clone(),
        gpus: None, // the state already serves the described hardware
        context: args.context,
        concurrency: None,
        tensor_parallel_size: args.tensor_parallel_size,
        gpu_memory_utilization: None,
        name: args.name.clone(),
    };
    let view = run(calls::engine_plan(&state, params))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    let fit = &view.fit;
    let mut out = format!(
        "{} launch plan for {} ({}): tensor parallel {}, context {}, {} concurrent requests\n\n",
        view.plan.kind,
        fit.name,
        fit.variant,
        fit.tensor_parallel_size,
        fit.max_model_len,
        fit.concurrency
    );
    for step in &view.plan.prepare {
        match step {
            PrepareStep::Copy { from, to } => {
                let _ = writeln!(
                    out,
                    "Before starting: cp {} {}",
                    from.display(),
                    to.display()
                );
            }
            PrepareStep::Write { path, .. } => {
                let _ = writeln!(
                    out,
                    "Before starting: write the bundled chat template to {}",
                    path.display()
                );
            }
        }
    }
    if !view.plan.prepare.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}\n", view.command_line);
    let _ = writeln!(
        out,
        "Endpoint {} serving `{}`; the key is generated at start and passed as VLLM_API_KEY, never on the command line.",
        view.base_url, view.plan.served_name
    );
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
