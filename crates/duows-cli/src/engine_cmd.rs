//! `duows engine …`: launch plans (computed here, like `POST /api/engine/plan`), and the
//! engines of the running server (start, stop, status, logs over its control API).

use std::fmt::Write as _;
use std::process::ExitCode;

use duows_api::calls::{self, EnginePlanParams};
use duows_core::engine::{EngineState, EngineStatus, PrepareStep};

use crate::cli::{EngineLogsArgs, EngineNameArgs, EnginePlanArgs, EngineStartArgs, ServerArgs};
use crate::models_cmd::{run, state};
use crate::server_client::ServerClient;

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

pub fn start(args: &EngineStartArgs) -> anyhow::Result<ExitCode> {
    let client = ServerClient::new(&args.server.server)?;
    let body = serde_json::json!({
        "model": args.model,
        "variant": args.variant,
        "gguf": args.gguf,
        "name": args.name,
        "context": args.context,
    });
    let status: EngineStatus = client.post("/api/engines", &body)?;
    let name = status.name.clone();
    if !args.wait {
        return print_status(&[status], args.server.json);
    }
    let mut last = None;
    loop {
        let all: Vec<EngineStatus> = client.get("/api/engines")?;
        let Some(now) = all.into_iter().find(|s| s.name == name) else {
            anyhow::bail!("the engine {name} disappeared");
        };
        if last != Some(now.state) && !args.server.json {
            eprintln!("{name}: {}", state_word(now.state));
        }
        last = Some(now.state);
        match now.state {
            EngineState::Ready => return print_status(&[now], args.server.json),
            EngineState::Failed | EngineState::Stopped => {
                print_status(&[now], args.server.json)?;
                return Ok(ExitCode::from(1));
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(300)),
        }
    }
}

pub fn stop(args: &EngineNameArgs) -> anyhow::Result<ExitCode> {
    let client = ServerClient::new(&args.server.server)?;
    let status: EngineStatus = client.post(
        &format!("/api/engines/{}/stop", args.name),
        &serde_json::json!({}),
    )?;
    print_status(&[status], args.server.json)
}

pub fn status(args: &ServerArgs) -> anyhow::Result<ExitCode> {
    let all: Vec<EngineStatus> = ServerClient::new(&args.server)?.get("/api/engines")?;
    print_status(&all, args.json)
}

pub fn logs(args: &EngineLogsArgs) -> anyhow::Result<ExitCode> {
    let client = ServerClient::new(&args.server.server)?;
    let lines: Vec<String> = client.get(&format!(
        "/api/engines/{}/logs?lines={}",
        args.name, args.lines
    ))?;
    if args.server.json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        for line in lines {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn state_word(state: EngineState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
        .replace('_', " ")
}

fn print_status(all: &[EngineStatus], json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(all)?);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        println!(
            "No engine runs. Start one with `duows engine start --model ID` or `--gguf FILE`."
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 6]> = all
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.kind.to_string(),
                state_word(s.state),
                s.pid.map_or_else(|| "-".into(), |p| p.to_string()),
                s.restarts.to_string(),
                s.base_url.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        crate::text::table(
            &["NAME", "ENGINE", "STATE", "PID", "RESTARTS", "ENDPOINT"],
            &rows
        )
    );
    for s in all {
        if let Some(failure) = &s.failure {
            println!("\n{}: {}\n  {}", s.name, failure.evidence, failure.fix);
        }
    }
    Ok(ExitCode::SUCCESS)
}
