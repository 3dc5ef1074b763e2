//! `duows engine download` and `duows engine install`: weights and engine programs fetched
//! in this process (as the server's jobs do), with one progress line on stderr; Ctrl+C
//! cancels, and a new attempt resumes.

use std::process::ExitCode;

use crate::cli::{EngineDownloadArgs, EngineInstallArgs, InstallableEngine};
use crate::text::state_word_of;

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
