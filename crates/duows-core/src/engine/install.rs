//! Installing an engine into the app's own virtual environment, with pip, from the
//! package registries only.
//!
//! The steps: check free disk, create `<data folder>/venvs/<engine>` (Python's `venv`),
//! bring its pip up to date (best effort: pip 24.1 and newer report bytes as they
//! download), resolve the pinned requirement with `pip install --dry-run --report` to learn
//! every package and its download address, ask the index for their sizes, then install while
//! reading pip's output for the current package and the bytes fetched. pip keeps finished
//! downloads in its cache, so a second attempt after a cancel or failure fetches only what
//! is missing. Cancelling stops pip's whole process group.
//!
//! pip honours its own configuration (`PIP_INDEX_URL`, `pip.conf`), so a mirror or a
//! private index works as it does for any other pip command.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::process::{stop_group, EngineProcess, LineSink, ProcessLauncher};
use super::EngineKind;

/// The vLLM release the app installs (at least every catalog model's `min_vllm`).
pub const VLLM_VERSION: &str = "0.18.1";
/// The llama-cpp-python release the app installs (its OpenAI-compatible server).
pub const LLAMA_CPP_PYTHON_VERSION: &str = "0.3.36";

/// What to install where.
#[derive(Debug, Clone)]
pub struct InstallSpec {
    /// Which engine.
    pub engine: EngineKind,
    /// The virtual environment to create or reuse.
    pub venv: PathBuf,
    /// pip requirements, pinned.
    pub requirements: Vec<String>,
    /// Free disk the installed environment needs (checked before starting).
    pub needed_bytes: u64,
    /// Extra environment for pip (e.g. `CMAKE_ARGS` for llama.cpp's build).
    pub env: Vec<(String, String)>,
    /// The Python that creates the environment.
    pub python: PathBuf,
    /// A module that must import once installed (proves the build works).
    pub check_import: String,
    /// The distribution whose version is reported.
    pub distribution: String,
}

impl InstallSpec {
    /// vLLM into `<data_root>/venvs/vllm`. PyTorch with CUDA makes it about 12 GB.
    pub fn vllm(data_root: &Path) -> Self {
        Self {
            engine: EngineKind::Vllm,
            venv: data_root.join("venvs/vllm"),
            requirements: vec![format!("vllm=={VLLM_VERSION}")],
            needed_bytes: 16 << 30,
            env: Vec::new(),
            python: PathBuf::from("python3"),
            check_import: "vllm".into(),
            distribution: "vllm".into(),
        }
    }

    /// llama-cpp-python's server into `<data_root>/venvs/llama-cpp`; it compiles
    /// llama.cpp (a C compiler and cmake are needed), portable across x86-64 CPUs.
    pub fn llama_cpp(data_root: &Path) -> Self {
        Self {
            engine: EngineKind::LlamaCpp,
            venv: super::installed::llama_cpp_venv(data_root),
            requirements: vec![format!(
                "llama-cpp-python[server]=={LLAMA_CPP_PYTHON_VERSION}"
            )],
            needed_bytes: 2 << 30,
            env: vec![("CMAKE_ARGS".into(), "-DGGML_NATIVE=OFF".into())],
            python: PathBuf::from("python3"),
            check_import: "llama_cpp.server.app".into(),
            distribution: "llama_cpp_python".into(),
        }
    }

    fn venv_python(&self) -> PathBuf {
        self.venv.join("bin/python")
    }
}

/// Where an install is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallPhase {
    /// Not begun.
    #[default]
    Pending,
    /// Checking free disk.
    CheckingDisk,
    /// Creating the virtual environment.
    CreatingEnvironment,
    /// Updating pip inside it.
    UpdatingPip,
    /// Finding every package and its size.
    Resolving,
    /// Fetching packages.
    Downloading,
    /// Unpacking (and, for llama.cpp, compiling).
    Installing,
    /// Checking that it imports and asking its version.
    Verifying,
    /// Finished.
    Done,
}

/// Progress of an install, for progress bars.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstallProgress {
    /// The step.
    pub phase: InstallPhase,
    /// The package being fetched or built.
    pub package: Option<String>,
    /// Packages to install, once resolved.
    pub packages_total: Option<usize>,
    /// Packages fetched (or found in pip's cache) so far.
    pub packages_done: usize,
    /// Bytes fetched or found in the cache.
    pub done_bytes: u64,
    /// Bytes of all packages, when the index told their sizes.
    pub total_bytes: Option<u64>,
    /// The last line pip printed.
    pub line: String,
}

impl InstallProgress {
    /// Overall download percentage, when the total is known.
    pub fn percent(&self) -> Option<f64> {
        self.total_bytes
            .filter(|t| *t > 0)
            .map(|t| (self.done_bytes.min(t) as f64 * 100.0) / t as f64)
    }
}

/// What was installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// The environment.
    pub venv: PathBuf,
    /// The distribution's version.
    pub version: String,
}

/// Why an install failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Not enough free disk.
    #[error("not enough disk space in {dir}: about {needed} bytes are needed, {free} are free")]
    NoSpace {
        /// The folder.
        dir: PathBuf,
        /// Bytes needed.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// A step's program could not run or failed.
    #[error("{step} failed ({status}): {tail}")]
    Step {
        /// What was being done.
        step: &'static str,
        /// How it ended.
        status: String,
        /// Its last output lines.
        tail: String,
    },
    /// The user cancelled; pip's cache keeps what was fetched.
    #[error("the install was cancelled; finished downloads are kept and reused next time")]
    Cancelled,
    /// Local files.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

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

/// Runs the install's commands through the launcher, watching for cancel.
struct Steps<'a> {
    launcher: &'a ProcessLauncher,
    spec: &'a InstallSpec,
    progress: &'a watch::Sender<InstallProgress>,
    cancel: watch::Receiver<bool>,
}

impl Steps<'_> {
    /// `python -m pip <args>` in the environment, quiet about its own version.
    fn pip(&self, args: &[&str]) -> Command {
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
    async fn pip_reports_bytes(&self) -> bool {
        let version = self
            .output("asking pip its version", self.pip(&["--version"]))
            .await
            .unwrap_or_default();
        let number = version.split_whitespace().nth(1).unwrap_or("0");
        super::installed::EngineVersion::parse(number)
            .zip(super::installed::EngineVersion::parse("24.1"))
            .is_some_and(|(found, min)| found >= min)
    }

    async fn run(&self, step: &'static str, command: Command) -> Result<(), InstallError> {
        self.run_with(step, command, None).await.map(|_| ())
    }

    /// Runs `command` to its end; returns its output lines (last 200).
    async fn run_with(
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
    async fn output(&self, step: &'static str, command: Command) -> Result<String, InstallError> {
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

/// Every file pip will fetch, from its `--report`, with sizes from the index.
#[derive(Debug, Default)]
struct PackagePlan {
    /// File name → (package name, size if known).
    files: HashMap<String, (String, Option<u64>)>,
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    install: Vec<ReportItem>,
}

#[derive(Deserialize)]
struct ReportItem {
    download_info: DownloadInfo,
    metadata: ReportMetadata,
}

#[derive(Deserialize)]
struct DownloadInfo {
    url: String,
}

#[derive(Deserialize)]
struct ReportMetadata {
    name: String,
}

impl PackagePlan {
    /// Reads pip's report and asks the index for each file's size (HEAD, in parallel).
    async fn read(report: &Path) -> Self {
        let Ok(text) = tokio::fs::read_to_string(report).await else {
            return Self::default();
        };
        let Ok(report) = serde_json::from_str::<Report>(&text) else {
            return Self::default();
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .ok();
        let sizes = futures_util::future::join_all(report.install.iter().map(|item| {
            let client = client.clone();
            let url = item.download_info.url.clone();
            async move { size_of(client?, &url).await }
        }))
        .await;
        let files = report
            .install
            .iter()
            .zip(sizes)
            .map(|(item, size)| {
                let url = item.download_info.url.split('#').next().unwrap_or("");
                let file = url.rsplit('/').next().unwrap_or(url).to_owned();
                (file, (item.metadata.name.clone(), size))
            })
            .collect();
        Self { files }
    }

    fn total_bytes(&self) -> Option<u64> {
        if self.files.is_empty() {
            return None;
        }
        self.files.values().map(|(_, size)| *size).sum()
    }
}

/// The size the server announces for `url` (local files: their length).
async fn size_of(client: reqwest::Client, url: &str) -> Option<u64> {
    if let Some(path) = url.strip_prefix("file://") {
        return std::fs::metadata(path).ok().map(|m| m.len());
    }
    let response = client.head(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads `pip install` output line by line into progress.
#[derive(Debug)]
struct PipOutput {
    plan: PackagePlan,
    /// Bytes of files finished (downloaded or found in the cache).
    finished_bytes: u64,
    /// Files finished.
    finished: usize,
    /// The file being downloaded and its size.
    current: Option<(String, u64)>,
    /// Bytes of the current file so far.
    current_bytes: u64,
    state: InstallProgress,
}

impl PipOutput {
    fn new(plan: PackagePlan) -> Self {
        let state = InstallProgress {
            phase: InstallPhase::Downloading,
            packages_total: Some(plan.files.len()),
            total_bytes: plan.total_bytes(),
            ..InstallProgress::default()
        };
        Self {
            plan,
            finished_bytes: 0,
            finished: 0,
            current: None,
            current_bytes: 0,
            state,
        }
    }

    fn read_line(&mut self, line: &str) {
        let text = line.trim();
        if text.is_empty() {
            return;
        }
        self.state.line = text.to_owned();
        if text.ends_with(".metadata") || text.contains(".metadata (") {
            return; // newer pip fetches each package's metadata first; not a package file
        }
        if let Some(rest) = text.strip_prefix("Collecting ") {
            self.state.package = Some(package_name(rest));
        } else if let Some(rest) = text.strip_prefix("Downloading ") {
            self.finish_current();
            let (file, size) = file_and_size(rest);
            let size = size
                .or_else(|| self.plan.files.get(&file).and_then(|(_, s)| *s))
                .unwrap_or(0);
            self.name_package(&file);
            self.current = Some((file, size));
        } else if let Some(rest) = text.strip_prefix("Using cached ") {
            self.finish_current();
            let (file, size) = file_and_size(rest);
            let size = self
                .plan
                .files
                .get(&file)
                .and_then(|(_, s)| *s)
                .or(size)
                .unwrap_or(0);
            self.name_package(&file);
            self.finished_bytes += size;
            self.finished += 1;
        } else if let Some(rest) = text.strip_prefix("Progress ") {
            if let Some((done, _)) = rest.split_once(" of ") {
                self.current_bytes = done.trim().parse().unwrap_or(self.current_bytes);
            }
        } else if text.starts_with("Installing collected packages")
            || text.starts_with("Building wheel")
            || text.starts_with("Building wheels")
        {
            self.finish_current();
            self.state.phase = InstallPhase::Installing;
            if let Some(total) = self.state.total_bytes {
                self.finished_bytes = self.finished_bytes.max(total);
            }
        }
    }

    fn name_package(&mut self, file: &str) {
        if let Some((name, _)) = self.plan.files.get(file) {
            self.state.package = Some(name.clone());
        }
    }

    fn finish_current(&mut self) {
        if let Some((_, size)) = self.current.take() {
            self.finished_bytes += size.max(self.current_bytes);
            self.finished += 1;
        }
        self.current_bytes = 0;
    }

    fn progress(&mut self) -> &InstallProgress {
        // pip's rounded sizes can overshoot the index's exact total by a little.
        self.state.done_bytes = self.finished_bytes + self.current_bytes;
        if let Some(total) = self.state.total_bytes {
            self.state.done_bytes = self.state.done_bytes.min(total);
        }
        self.state.packages_done = self.finished;
        if let Some(total) = self.state.packages_total {
            self.state.packages_done = self.finished.min(total);
        }
        &self.state
    }
}

/// `"foo[extra]==1.0 (from bar)"` → `"foo"`.
fn package_name(requirement: &str) -> String {
    requirement
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .next()
        .unwrap_or(requirement)
        .to_owned()
}

/// `"foo-1.0-py3-none-any.whl (16.9 MB)"` or a URL → (file name, size in bytes).
fn file_and_size(text: &str) -> (String, Option<u64>) {
    let (name, size) = match text.rsplit_once(" (") {
        Some((name, size)) => (name, parse_size(size.trim_end_matches(')'))),
        None => (text, None),
    };
    let name = name.split('#').next().unwrap_or(name);
    let file = name.rsplit('/').next().unwrap_or(name).trim().to_owned();
    (file, size)
}

/// `"16.9 MB"`, `"512 kB"`, `"900 bytes"` → bytes (pip prints decimal units).
fn parse_size(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "bytes" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return None,
    };
    Some((number * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PackagePlan {
        PackagePlan {
            files: [
                ("alpha-1.0-py3-none-any.whl", "alpha", Some(4_000_000)),
                ("beta-2.0-py3-none-any.whl", "beta", Some(1_000_000)),
            ]
            .into_iter()
            .map(|(f, n, s)| (f.to_owned(), (n.to_owned(), s)))
            .collect(),
        }
    }

    #[test]
    fn raw_progress_counts_bytes_across_files() {
        let mut output = PipOutput::new(plan());
        assert_eq!(output.progress().total_bytes, Some(5_000_000));
        for line in [
            "Collecting alpha==1.0",
            "  Downloading http://127.0.0.1:9/simple/alpha/alpha-1.0-py3-none-any.whl (4.0 MB)",
            "Progress 0 of 4000000",
            "Progress 1000000 of 4000000",
        ] {
            output.read_line(line);
        }
        let p = output.progress().clone();
        assert_eq!(p.package.as_deref(), Some("alpha"));
        assert_eq!(p.done_bytes, 1_000_000);
        assert_eq!(p.percent(), Some(20.0));
        output.read_line("Collecting beta (from alpha==1.0)");
        output.read_line("  Using cached beta-2.0-py3-none-any.whl (1.0 MB)");
        let p = output.progress().clone();
        assert_eq!(p.package.as_deref(), Some("beta"));
        assert_eq!(
            p.done_bytes, 5_000_000,
            "alpha counted whole, beta from cache"
        );
        assert_eq!(p.packages_done, 2);
        output.read_line("Installing collected packages: beta, alpha");
        assert_eq!(output.progress().phase, InstallPhase::Installing);
        assert_eq!(output.progress().percent(), Some(100.0));
    }

    #[test]
    fn old_pip_counts_whole_files() {
        let mut output = PipOutput::new(PackagePlan::default());
        output.read_line("Downloading alpha-1.0-py3-none-any.whl (16.9 MB)");
        assert_eq!(output.progress().done_bytes, 0);
        output.read_line("Collecting beta");
        output.read_line("Downloading beta-2.0.tar.gz (512 kB)");
        assert_eq!(output.progress().done_bytes, 16_900_000);
        assert_eq!(output.progress().package.as_deref(), Some("beta"));
        assert_eq!(output.progress().total_bytes, None);
    }

    #[test]
    fn metadata_files_are_not_packages() {
        let mut output = PipOutput::new(plan());
        output.read_line("  Downloading http://x/alpha-1.0-py3-none-any.whl.metadata (1.2 kB)");
        output.read_line("  Using cached beta-2.0-py3-none-any.whl.metadata (900 bytes)");
        assert_eq!(output.progress().packages_done, 0);
        assert_eq!(output.progress().done_bytes, 0);
    }

    #[test]
    fn names_and_sizes() {
        assert_eq!(
            package_name("llama-cpp-python[server]==0.3.36"),
            "llama-cpp-python"
        );
        assert_eq!(package_name("numpy>=1.20 (from x)"), "numpy");
        assert_eq!(parse_size("900 bytes"), Some(900));
        assert_eq!(parse_size("1.5 GB"), Some(1_500_000_000));
        assert_eq!(parse_size("many"), None);
        assert_eq!(
            file_and_size("https://files/x/vllm-0.18.1-cp38-abi3-manylinux1_x86_64.whl (400.2 MB)"),
            (
                "vllm-0.18.1-cp38-abi3-manylinux1_x86_64.whl".to_owned(),
                Some(400_200_000)
            )
        );
    }
}
