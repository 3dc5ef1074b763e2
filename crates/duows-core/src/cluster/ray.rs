//! Ray on one node: `ray start … --block` run as a supervised process group through the
//! engine launcher (so stopping it, or the app dying, takes Ray's GCS server, raylet and
//! workers with it), with the network settings vLLM needs across hosts; and how many GPUs
//! the running cluster holds, asked with Ray's own Python.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::log::EngineLog;
use crate::engine::process::{stop_group, EngineProcess, LaunchError, LineSink, ProcessLauncher};

/// Head or worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RayRole {
    /// The head: its GCS server listens on `port`.
    Head {
        /// Ray's port on the head.
        port: u16,
    },
    /// A worker joining `head_address` (`host:port`).
    Worker {
        /// The head's `host:port`.
        head_address: String,
    },
}

/// One node's `ray start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RayCommand {
    /// The `ray` program (beside vLLM in its environment).
    pub program: PathBuf,
    /// Head or worker.
    pub role: RayRole,
    /// This node's address (Ray's node address, `VLLM_HOST_IP`).
    pub node_ip: String,
    /// The GPUs it gives the cluster.
    pub num_gpus: u32,
    /// The interface NCCL and Gloo use, when set.
    pub interface: Option<String>,
    /// Ray's session folder on the head (`--temp-dir`), when not Ray's default.
    pub temp_dir: Option<PathBuf>,
}

impl RayCommand {
    /// The `ray` program for the data folder at `data_root`: `DUOWS_RAY`, else beside vLLM
    /// (where the installer puts Ray), else `ray` on `PATH`.
    pub fn locate_program(data_root: &Path) -> PathBuf {
        if let Some(path) = std::env::var_os("DUOWS_RAY") {
            return PathBuf::from(path);
        }
        let (vllm, found) = crate::engine::installed::locate_vllm(data_root);
        if found != "not found" {
            return vllm.with_file_name("ray");
        }
        PathBuf::from("ray")
    }

    /// The arguments of `ray start`, kept in the foreground so it can be supervised.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["start".to_owned()];
        match &self.role {
            RayRole::Head { port } => {
                args.extend(["--head".into(), "--port".into(), port.to_string()]);
                args.push("--include-dashboard=false".into());
                if let Some(dir) = &self.temp_dir {
                    args.push(format!("--temp-dir={}", dir.display()));
                }
            }
            RayRole::Worker { head_address } => {
                args.push(format!("--address={head_address}"));
                // Several workers may share a host: each agent takes a free port.
                args.extend(["--dashboard-agent-listen-port".into(), "0".into()]);
            }
        }
        args.extend([
            "--node-ip-address".into(),
            self.node_ip.clone(),
            "--num-gpus".into(),
            self.num_gpus.to_string(),
            "--block".into(),
        ]);
        args
    }

    /// The environment vLLM needs across hosts: `VLLM_HOST_IP`, and NCCL's and Gloo's
    /// interface when one is set.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![("VLLM_HOST_IP".to_owned(), self.node_ip.clone())];
        if let Some(interface) = &self.interface {
            env.push(("NCCL_SOCKET_IFNAME".into(), interface.clone()));
            env.push(("GLOO_SOCKET_IFNAME".into(), interface.clone()));
        }
        env
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(self.args()).envs(self.env());
        command
    }
}

/// A running `ray start --block` and its log.
pub struct RayNodeProcess {
    process: Box<dyn EngineProcess>,
    log: Arc<EngineLog>,
}

impl RayNodeProcess {
    /// Starts `command` in its own process group, its output to the log at `log_path`.
    pub fn start(
        launcher: &ProcessLauncher,
        command: &RayCommand,
        log_path: PathBuf,
    ) -> Result<Self, LaunchError> {
        let log = Arc::new(EngineLog::open(log_path, 10 << 20, 3));
        log.line(&format!(
            "[duows] starting: {} {}",
            command.program.display(),
            command.args().join(" ")
        ));
        let sink_log = Arc::clone(&log);
        let sink: LineSink = Arc::new(move |line: &str| sink_log.line(line));
        let process = launcher.spawn(command.command(), sink)?;
        Ok(Self { process, log })
    }

    /// Its process id (also its process group's).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// `Some(how it ended)` once `ray start` has exited, with its last log lines.
    pub fn exited(&mut self) -> Option<String> {
        let exit = self.process.exited()?;
        let tail = self.log.tail(5).join(" | ");
        Some(format!("ray start ended ({exit}): {tail}"))
    }

    /// Stops the process group: TERM, `grace`, then KILL for every process left.
    pub async fn stop(mut self, grace: Duration) {
        stop_group(self.process.as_mut(), grace).await;
        self.log.line("[duows] stopped");
    }
}

/// The GPUs the Ray cluster at `address` holds now, and its live nodes, asked with the
/// Python beside `ray` (Ray's own client).
pub async fn ray_gpus(ray_program: &Path, address: &str) -> Result<(f64, usize), String> {
    let python = ray_program.with_file_name("python");
    let script = "import json, sys, ray\n\
        ray.init(address=sys.argv[1], logging_level='ERROR', log_to_driver=False)\n\
        nodes = [n for n in ray.nodes() if n.get('Alive')]\n\
        print(json.dumps({'gpus': sum(n['Resources'].get('GPU', 0) for n in nodes), 'nodes': len(nodes)}))\n";
    let mut child = std::process::Command::new(&python)
        .args(["-c", script, address])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} did not answer within 60 s", python.display()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_str(line).map_err(|_| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default().to_owned();
        format!("Ray at {address} did not answer: {last}")
    })?;
    Ok((
        parsed["gpus"].as_f64().unwrap_or(0.0),
        parsed["nodes"].as_u64().unwrap_or(0) as usize,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_worker_commands_carry_the_network_settings() {
        let head = RayCommand {
            program: "/venv/bin/ray".into(),
            role: RayRole::Head { port: 6379 },
            node_ip: "10.0.0.1".into(),
            num_gpus: 2,
            interface: Some("eth0".into()),
            temp_dir: Some("/data/cluster/ray".into()),
        };
        assert_eq!(
            head.args().join(" "),
            "start --head --port 6379 --include-dashboard=false --temp-dir=/data/cluster/ray --node-ip-address 10.0.0.1 --num-gpus 2 --block"
        );
        assert_eq!(
            head.env(),
            vec![
                ("VLLM_HOST_IP".into(), "10.0.0.1".into()),
                ("NCCL_SOCKET_IFNAME".into(), "eth0".into()),
                ("GLOO_SOCKET_IFNAME".into(), "eth0".into()),
            ]
        );
        let worker = RayCommand {
            role: RayRole::Worker {
                head_address: "10.0.0.1:6379".into(),
            },
            node_ip: "10.0.0.2".into(),
            interface: None,
            temp_dir: None,
            ..head
        };
        assert_eq!(
            worker.args().join(" "),
            "start --address=10.0.0.1:6379 --dashboard-agent-listen-port 0 --node-ip-address 10.0.0.2 --num-gpus 2 --block"
        );
        assert_eq!(
            worker.env(),
            vec![("VLLM_HOST_IP".into(), "10.0.0.2".into())]
        );
    }
}
