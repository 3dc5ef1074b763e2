//! `duows engine …`: launch plans (computed here, like `POST /api/engine/plan`), and the
//! engines of the running server (start, stop, status, logs over its control API).

use std::fmt::Write as _;
use std::process::ExitCode;

use duows_api::calls::{self, EngineParams};
use duows_core::engine::{CheckOutcome, EngineState, EngineStatus, Preflight, PrepareStep};

use crate::cli::{
    EngineDownloadArgs, EngineInstallArgs, EngineLogsArgs, EngineNameArgs, EnginePlanArgs,
    EngineStartArgs, EngineWaitArgs, InstallableEngine, ServerArgs,
};
use crate::models_cmd::{run, state};
use crate::server_client::ServerClient;

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

pub fn download(args: &EngineDownloadArgs) -> anyhow::Result<ExitCode> {
    use duows_core::engine::download::{download, DownloadProgress};
    use duows_core::engine::Secret;
    use duows_core::jobs::{download_request, DownloadJob};

    let token = match &args.token_env {
        Some(var) => {
            Some(Secret::new(std::env::var(var).map_err(|_| {
                anyhow::anyhow!("--token-env: {var} is not set")
            })?))
        }
        None => None, // the request falls back to HF_TOKEN
    };
    let data_dir = duows_core::data_dir::DataDir::from_env()?;
    // The settings' models folder, as the server's downloads use.
    let hf_home = duows_core::settings::SettingsStore::new(data_dir.settings_file())
        .load()
        .ok()
        .and_then(|s| s.models_dir)
        .unwrap_or_else(|| data_dir.default_models_dir());
    let job = DownloadJob {
        model: args.model.clone(),
        variant: args.variant.clone(),
        revision: Some(args.revision.clone()),
        token,
        gguf: args.gguf.clone(),
    };
    let request = download_request(&job, &hf_home).map_err(|e| match e.field() {
        Some(field) => anyhow::anyhow!("--{field}: {e}"),
        None => anyhow::anyhow!("{e}"),
    })?;
    let keep = request.keep.clone();
    let snapshot = run_with_progress(
        DownloadProgress::default(),
        |p| eprint!("\r{}", progress_line(p)),
        |progress, cancelled| async move { download(&request, &progress, cancelled).await },
    )?;
    // A GGUF file is the file to serve; a checkpoint is its folder.
    match &keep {
        duows_core::engine::download::FileFilter::Only(file) => {
            println!("{}", snapshot.join(file).display());
        }
        duows_core::engine::download::FileFilter::Vllm => println!("{}", snapshot.display()),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn install(args: &EngineInstallArgs) -> anyhow::Result<ExitCode> {
    use duows_core::engine::install::{install, InstallPhase, InstallProgress};
    use duows_core::jobs::{install_spec, InstallJob};

    let data_dir = duows_core::data_dir::DataDir::from_env()?;
    let job = InstallJob {
        engine: match args.engine {
            InstallableEngine::Vllm => "vllm",
            InstallableEngine::LlamaCpp => "llama_cpp",
        }
        .into(),
        model: args.model.clone(),
    };
    let spec = install_spec(&job, data_dir.root()).map_err(|e| match e.field() {
        Some(field) => anyhow::anyhow!("--{field}: {e}"),
        None => anyhow::anyhow!("{e}"),
    })?;
    eprintln!(
        "Installing {} into {} (pip; Ctrl+C cancels, and a new attempt reuses finished downloads)",
        spec.requirements.join(" "),
        spec.venv.display()
    );
    let launcher = duows_core::engine::ProcessLauncher::new()?;
    let mut last_phase = InstallPhase::Pending;
    let print = move |p: &InstallProgress| {
        if p.phase != last_phase {
            if last_phase != InstallPhase::Pending {
                eprintln!();
            }
            last_phase = p.phase;
        }
        eprint!("\r{}", install_line(p));
    };
    let spec_ref = &spec;
    let installed = run_with_progress(InstallProgress::default(), print, |progress, cancelled| {
        let launcher = &launcher;
        async move { install(spec_ref, launcher, &progress, cancelled).await }
    })?;
    println!(
        "{} {} is installed in {}",
        spec.distribution,
        installed.version,
        installed.venv.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` on a small runtime, printing each progress change on one stderr line
/// (`print`); Ctrl+C asks `work` to cancel (through the receiver it is given).
fn run_with_progress<P, T, E, Fut>(
    initial: P,
    mut print: impl FnMut(&P) + Send + 'static,
    work: impl FnOnce(tokio::sync::watch::Sender<P>, tokio::sync::watch::Receiver<bool>) -> Fut,
) -> anyhow::Result<T>
where
    P: Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (progress, mut watch_progress) = tokio::sync::watch::channel(initial);
    let (cancel, cancelled) = tokio::sync::watch::channel(false);
    let result = runtime.block_on(async {
        let printer = tokio::spawn(async move {
            while watch_progress.changed().await.is_ok() {
                let p = watch_progress.borrow_and_update().clone();
                print(&p);
            }
        });
        let ctrl_c = tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = cancel.send(true);
        });
        let result = work(progress, cancelled).await;
        ctrl_c.abort();
        let _ = printer.await;
        eprintln!();
        result
    });
    Ok(result?)
}

/// `downloading  [######......]  45.2%  1.2 / 2.7 GB  3 of 41 packages  torch`
fn install_line(p: &duows_core::engine::install::InstallProgress) -> String {
    let phase = state_word_of(&p.phase);
    let Some(percent) = p.percent() else {
        let line: String = p.line.chars().take(60).collect();
        return format!("{phase:<22} {line:<60}");
    };
    let filled = ((percent / 100.0) * 24.0).round() as usize;
    format!(
        "{phase:<22} [{}{}] {percent:5.1}%  {:.2} / {:.2} GB  {} of {} packages  {:<24}",
        "#".repeat(filled.min(24)),
        ".".repeat(24usize.saturating_sub(filled)),
        p.done_bytes as f64 / 1e9,
        p.total_bytes.unwrap_or(0) as f64 / 1e9,
        p.packages_done,
        p.packages_total.unwrap_or(0),
        p.package.as_deref().unwrap_or(""),
    )
}

fn state_word_of(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
        .replace('_', " ")
}

/// `[#########.........]  45.2%  3.1 / 6.9 GB  112 MB/s  2 of 5 files`
fn progress_line(p: &duows_core::engine::download::DownloadProgress) -> String {
    let fraction = if p.total_bytes == 0 {
        0.0
    } else {
        p.done_bytes as f64 / p.total_bytes as f64
    };
    let width = 24;
    let filled = (fraction * f64::from(width)).round() as usize;
    format!(
        "[{}{}] {:5.1}%  {:.1} / {:.1} GB  {:.0} MB/s  {} of {} files   ",
        "#".repeat(filled.min(24)),
        ".".repeat(24usize.saturating_sub(filled)),
        fraction * 100.0,
        p.done_bytes as f64 / 1e9,
        p.total_bytes as f64 / 1e9,
        p.bytes_per_second as f64 / 1e6,
        p.files_done,
        p.files_total,
    )
}
