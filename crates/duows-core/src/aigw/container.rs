//! The AI gateway's container through Docker or Podman (whichever is installed): started
//! with the keys in the client's environment (named only on its command line), stopped,
//! watched (`inspect`), and its health read from `GET /monitoring/healthz`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use super::keys::AigwKeys;
use super::{AigwConfig, HTTP_PORT};

/// The container's name.
pub const CONTAINER_NAME: &str = "duows-ai-gateway";

/// Docker or Podman, found on the `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRuntime {
    /// `docker` or `podman`.
    pub name: String,
    /// The program.
    pub program: PathBuf,
}

/// The container's state, as the runtime tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContainerState {
    /// Neither Docker nor Podman is installed.
    NoRuntime {
        /// How to install one.
        fix: String,
    },
    /// Not created.
    Absent,
    /// Created, and in this state (`running`, `exited`, `restarting`, …).
    Present {
        /// The runtime's word.
        status: String,
    },
}

impl ContainerRuntime {
    /// Docker, else Podman, from `path` (the `PATH` variable's value).
    pub fn find(path: Option<&std::ffi::OsStr>) -> Option<Self> {
        let path = path?;
        for name in ["docker", "podman"] {
            for dir in std::env::split_paths(path) {
                let program = dir.join(name);
                if is_executable(&program) {
                    return Some(Self {
                        name: name.to_owned(),
                        program,
                    });
                }
            }
        }
        None
    }

    /// What to do without one.
    pub fn install_fix() -> String {
        "Install Docker (Debian/Ubuntu: `sudo apt install docker.io`, then add yourself to the `docker` group) or Podman (`sudo apt install podman`), or run the generated run.sh on another machine.".into()
    }

    /// Starts the container for `config` (replacing an earlier one), the keys in the
    /// runtime client's environment only.
    pub fn start(&self, config: &AigwConfig, keys: &AigwKeys) -> Result<String, String> {
        let _ = self.remove();
        let mut command = Command::new(&self.program);
        command
            .arg("run")
            .args(config.run_args().map_err(|e| e.to_string())?);
        for (name, pem) in keys.environment() {
            command.env(name, pem);
        }
        let output = command
            .output()
            .map_err(|e| format!("{} could not run: {e}", self.name))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(format!(
                "{} run failed: {}",
                self.name,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// Stops and removes the container.
    pub fn remove(&self) -> Result<(), String> {
        let output = Command::new(&self.program)
            .args(["rm", "-f", CONTAINER_NAME])
            .output()
            .map_err(|e| format!("{} could not run: {e}", self.name))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    /// The container's state.
    pub fn state(&self) -> ContainerState {
        let output = Command::new(&self.program)
            .args(["inspect", "--format", "{{.State.Status}}", CONTAINER_NAME])
            .output();
        match output {
            Ok(out) if out.status.success() => ContainerState::Present {
                status: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            },
            _ => ContainerState::Absent,
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `GET <base>/monitoring/healthz` (the AI gateway answers 200 without authentication): the
/// time it took, or why it failed. `base`: e.g. `http://gpu-1:5052`.
pub async fn health(client: &reqwest::Client, base: &str) -> Result<u64, String> {
    let url = format!("{}/monitoring/healthz", base.trim_end_matches('/'));
    let started = std::time::Instant::now();
    let response = client
        .get(&url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| format!("{url} does not answer: {e}"))?;
    if response.status().is_success() {
        Ok(started.elapsed().as_millis() as u64)
    } else {
        Err(format!("{url} answered {}", response.status()))
    }
}

/// The AI gateway's address on this machine.
pub fn local_base() -> String {
    format!("http://127.0.0.1:{HTTP_PORT}")
}
