//! The step runner: runs one install command through the launcher to its end, keeps its
//! last 200 output lines (the tail names a failure), and on cancel stops the command's whole
//! process group.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::types::{InstallError, InstallProgress, InstallSpec};
use crate::engine::installed::EngineVersion;
use crate::engine::process::{stop_group, EngineProcess, LineSink, ProcessLauncher};

/// Runs the install's commands through the launcher, watching for cancel.
pub(super) struct Steps<'a> {
    /// Starts each command in its own process group.
    pub(super) launcher: &'a ProcessLauncher,
    /// The install, for its environment and pip's extra variables.
    pub(super) spec: &'a InstallSpec,
    /// Hears each output line when no sink of the step's own does.
    pub(super) progress: &'a watch::Sender<InstallProgress>,
    /// Set to true to stop the running command.
    pub(super) cancel: watch::Receiver<bool>,
}

impl Steps<'_> {
    /// `python -m pip <args>` in the environment, quiet about its own version.
    pub(super) fn pip(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.spec.venv_python());
        command
            .args(["-m", "pip"])
            .args(args)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            .env("PYTHONUNBUFFERED", "1")
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Whether this pip prints `Progress <done> of <total>` (pip 24.1 and newer).
    pub(super) async fn pip_reports_bytes(&self) -> bool {
        let version = self
            .output("asking pip its version", self.pip(&["--version"]))
            .await
            .unwrap_or_default();
        let number = version.split_whitespace().nth(1).unwrap_or("0");
        EngineVersion::parse(number)
            .zip(EngineVersion::parse("24.1"))
            .is_some_and(|(found, min)| found >= min)
    }

    /// Runs `command` to its end.
    pub(super) async fn run(
        &self,
        step: &'static str,
        command: Command,
    ) -> Result<(), InstallError> {
        self.run_with(step, command, None).await.map(|_| ())
    }

    /// Runs `command` to its end; returns its output lines (last 200).
    pub(super) async fn run_with(
        &self,
        step: &'static str,
        command: Command,
        sink: Option<LineSink>,
    ) -> Result<Vec<String>, InstallError> {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let kept = Arc::clone(&lines);
        let progress = self.progress.clone();
        let all: LineSink = Arc::new(move |line: &str| {
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() == 200 {
                kept.remove(0);
            }
            kept.push(line.to_owned());
            drop(kept);
            match &sink {
                Some(sink) => sink(line),
                None if !line.trim().is_empty() => {
                    progress.send_modify(|p| p.line = line.trim().to_owned());
                }
                None => {}
            }
        });
        let mut process = self
            .launcher
            .spawn(command, all)
            .map_err(|e| InstallError::Step {
                step,
                status: "did not start".into(),
                tail: e.to_string(),
            })?;
        let status = wait(process.as_mut(), self.cancel.clone()).await?;
        // The output threads finish right after the pipes close.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let lines = std::mem::take(&mut *lines.lock().unwrap_or_else(|p| p.into_inner()));
        if status != "exit code 0" {
            let tail: Vec<&str> = lines
                .iter()
                .rev()
                .filter(|l| !l.trim().is_empty())
                .take(6)
                .map(String::as_str)
                .collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(InstallError::Step {
                step,
                status,
                tail: tail.join(" | "),
            });
        }
        Ok(lines)
    }

    /// Runs `command` and returns its last non-empty output line.
    pub(super) async fn output(
        &self,
        step: &'static str,
        command: Command,
    ) -> Result<String, InstallError> {
        let lines = self.run_with(step, command, None).await?;
        Ok(lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned())
            .unwrap_or_default())
    }
}

/// Waits for the process to end; on cancel stops its whole group (TERM, then KILL).
async fn wait(
    process: &mut dyn EngineProcess,
    mut cancel: watch::Receiver<bool>,
) -> Result<String, InstallError> {
    loop {
        if let Some(status) = process.exited() {
            return Ok(status);
        }
        if *cancel.borrow_and_update() {
            stop_group(process, Duration::from_secs(5)).await;
            return Err(InstallError::Cancelled);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = cancel.changed() => {}
        }
    }
}
