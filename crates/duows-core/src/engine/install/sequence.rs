//! The install sequence: free disk, the virtual environment, pip, resolving the packages
//! and their sizes, installing them while reading pip's output, then checking the import.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::pip_output::PipOutput;
use super::report::PackagePlan;
use super::steps::Steps;
use super::types::{InstallError, InstallPhase, InstallProgress, InstallSpec, Installed};
use crate::engine::process::{LineSink, ProcessLauncher};

/// Installs `spec`; `progress` hears every change; `cancel` (set to true) stops it.
pub async fn install(
    spec: &InstallSpec,
    launcher: &ProcessLauncher,
    progress: &watch::Sender<InstallProgress>,
    cancel: watch::Receiver<bool>,
) -> Result<Installed, InstallError> {
    let set_phase = |phase| {
        progress.send_modify(|p| {
            p.phase = phase;
            p.line.clear();
        })
    };
    set_phase(InstallPhase::CheckingDisk);
    let parent = spec.venv.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|source| InstallError::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    let free = crate::hardware::free_bytes(parent).unwrap_or(u64::MAX);
    if free < spec.needed_bytes {
        return Err(InstallError::NoSpace {
            dir: parent.to_path_buf(),
            needed: spec.needed_bytes,
            free,
        });
    }
    let steps = Steps {
        launcher,
        spec,
        progress,
        cancel,
    };
    if !spec.venv_python().is_file() {
        set_phase(InstallPhase::CreatingEnvironment);
        let mut command = Command::new(&spec.python);
        command.args(["-m", "venv"]).arg(&spec.venv);
        steps
            .run("creating the virtual environment", command)
            .await?;
    }
    set_phase(InstallPhase::UpdatingPip);
    let pip_updated = steps
        .run("updating pip", steps.pip(&["install", "--upgrade", "pip"]))
        .await;
    if let Err(InstallError::Cancelled) = pip_updated {
        return Err(InstallError::Cancelled);
    }
    let raw_progress = steps.pip_reports_bytes().await;

    // A pip older than 24.1 fetches whole wheels in a dry run (and shows no bytes), so
    // it goes straight to the install and progress counts whole files.
    let plan = if raw_progress {
        set_phase(InstallPhase::Resolving);
        let report = spec.venv.join("install-report.json");
        let mut resolve = steps.pip(&["install", "--dry-run", "--quiet", "--report"]);
        resolve.arg(&report).args(&spec.requirements);
        steps.run("resolving packages", resolve).await?;
        let plan = PackagePlan::read(&report).await;
        let _ = std::fs::remove_file(&report);
        progress.send_modify(|p| {
            p.packages_total = Some(plan.files.len());
            p.total_bytes = plan.total_bytes();
        });
        plan
    } else {
        PackagePlan::default()
    };

    set_phase(InstallPhase::Downloading);
    let tracker = Arc::new(Mutex::new(PipOutput::new(plan)));
    let mut command = steps.pip(&["install"]);
    if raw_progress {
        command.args(["--progress-bar", "raw"]);
    }
    command.args(&spec.requirements);
    let sink_tracker = Arc::clone(&tracker);
    let sink_progress = progress.clone();
    let sink: LineSink = Arc::new(move |line: &str| {
        let mut output = sink_tracker.lock().unwrap_or_else(|p| p.into_inner());
        output.read_line(line);
        let snapshot = output.progress();
        sink_progress.send_modify(|p| {
            p.phase = snapshot.phase;
            p.package = snapshot.package.clone();
            p.packages_done = snapshot.packages_done;
            p.done_bytes = snapshot.done_bytes;
            if snapshot.total_bytes.is_some() {
                p.total_bytes = snapshot.total_bytes;
            }
            p.line = snapshot.line.clone();
        });
    });
    steps
        .run_with("installing packages", command, Some(sink))
        .await?;

    set_phase(InstallPhase::Verifying);
    progress.send_modify(|p| p.package = None);
    let script = format!(
        "import importlib.metadata as m, {}; print(m.version({:?}))",
        spec.check_import, spec.distribution
    );
    let mut check = Command::new(spec.venv_python());
    check.args(["-c", &script]);
    let version = steps.output("checking the installed engine", check).await?;
    progress.send_modify(|p| {
        p.phase = InstallPhase::Done;
        p.package = None;
        if let Some(total) = p.total_bytes {
            p.done_bytes = total;
        }
    });
    Ok(Installed {
        venv: spec.venv.clone(),
        version,
    })
}
