//! `duows engine …`: launch plans (computed here, like `POST /api/engine/plan`), and the
//! engines of the running server (start, stop, status, logs over its control API).

use std::fmt::Write as _;
use std::process::ExitCode;

use duows_api::calls::{self, EngineParams};
use duows_core::engine::{CheckOutcome, EngineState, EngineStatus, Preflight, PrepareStep};

use crate::cli::{
    EngineLogsArgs, EngineNameArgs, EnginePlanArgs, EngineStartArgs, EngineWaitArgs, ServerArgs,
};
use crate::models_cmd::{run, state};
use crate::server_client::ServerClient;
use crate::text::state_word_of;

pub fn plan(args: &EnginePlanArgs) -> anyhow::Result<ExitCode> {
    let state = state(&args.source)?;
    let params = EngineParams {
        model: Some(args.model.clone()),
        variant: args.variant.clone(),
        context: args.context,
        tensor_parallel_size: args.tensor_parallel_size,
        name: args.name.clone(),
        model_dir: args.model_dir.clone(),
        // `gpus` stays unset: the state already serves the described hardware.
        ..EngineParams::default()
    };
    let view = run(calls::engine_plan(&state, params))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = match &view.fit {
        Some(fit) => format!(
            "{} launch plan for {} ({}): tensor parallel {}, context {}, room for {:.2}× the full context at once\n\n",
            view.plan.kind, fit.name, fit.variant, fit.tensor_parallel_size, fit.max_model_len, fit.concurrency
        ),
        None => format!("{} launch plan for {}\n\n", view.plan.kind, view.plan.served_name),
    };
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
        "Endpoint {} serving `{}`; the key is generated at start and passed as VLLM_API_KEY, never on the command line.\n",
        view.base_url, view.plan.served_name
    );
    out.push_str(&preflight_text(&view.preflight));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The checks a start makes first, one line each: "ok", "note" or "FIX" and the fix.
fn preflight_text(preflight: &Preflight) -> String {
    let failed = preflight.failures().count();
    let mut out = if failed == 0 {
        "Before it starts: everything is in place.\n".to_owned()
    } else {
        format!(
            "Before it starts: {failed} thing{} to fix (a start is refused until then).\n",
            if failed == 1 { "" } else { "s" }
        )
    };
    for check in &preflight.checks {
        let mark = match check.outcome {
            CheckOutcome::Pass => "  ok  ",
            CheckOutcome::Warn => "  note",
            CheckOutcome::Fail => "  FIX ",
        };
        let _ = write!(out, "{mark} {}", check.message);
        if let Some(fix) = check
            .fix
            .as_ref()
            .filter(|_| check.outcome != CheckOutcome::Pass)
        {
            let _ = write!(out, ": {fix}");
            if check.overridable && check.outcome == CheckOutcome::Fail {
                out.push_str(" (or start with --override-memory-estimate)");
            }
        }
        out.push('\n');
    }
    out
}

pub fn start(args: &EngineStartArgs) -> anyhow::Result<ExitCode> {
    let client = ServerClient::new(&args.server.server)?;
    let body = serde_json::json!({
        "model": args.model,
        "variant": args.variant,
        "gguf": args.gguf,
        "name": args.name,
        "context": args.context,
        "model_dir": args.model_dir,
        "override_memory_estimate": args.override_memory_estimate.then_some(true),
    });
    let status: EngineStatus = client.post("/api/engines", &body)?;
    follow(&client, status, args.wait, args.server.json)
}

/// `duows engine retry NAME`: the same start again, checked again first.
pub fn retry(args: &EngineWaitArgs) -> anyhow::Result<ExitCode> {
    let client = ServerClient::new(&args.server.server)?;
    let status: EngineStatus = client.post(
        &format!("/api/engines/{}/retry", args.name),
        &serde_json::json!({}),
    )?;
    follow(&client, status, args.wait, args.server.json)
}

/// `duows engine remove NAME`: forget a stopped or failed engine.
pub fn remove(args: &EngineNameArgs) -> anyhow::Result<ExitCode> {
    let client = ServerClient::new(&args.server.server)?;
    let status: EngineStatus = client.post(
        &format!("/api/engines/{}/remove", args.name),
        &serde_json::json!({}),
    )?;
    if args.server.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!(
            "{} removed (its log stays at {})",
            status.name,
            status.log_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a started engine's status; with `wait`, follows it until ready or failed.
fn follow(
    client: &ServerClient,
    status: EngineStatus,
    wait: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let name = status.name.clone();
    if !wait {
        return print_status(&[status], json);
    }
    let mut last = None;
    loop {
        let all: Vec<EngineStatus> = client.get("/api/engines")?;
        let Some(now) = all.into_iter().find(|s| s.name == name) else {
            anyhow::bail!("the engine {name} disappeared");
        };
        if last != Some(now.state) && !json {
            eprintln!("{name}: {}", state_word(now.state));
        }
        last = Some(now.state);
        match now.state {
            EngineState::Ready => return print_status(&[now], json),
            EngineState::Failed | EngineState::Stopped => {
                print_status(&[now], json)?;
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
    state_word_of(&state)
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
        for warning in &s.warnings {
            println!("\n{}: warning: {warning}", s.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
