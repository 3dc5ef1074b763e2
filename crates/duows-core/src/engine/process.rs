//! The launcher seam and the real launcher: engine processes in their own process group.
//!
//! vLLM runs an engine-core process and GPU workers as children; killing one PID leaves
//! GPU memory held. So every engine starts in a new process group and is stopped by
//! signalling the group (TERM, a grace period, then KILL). On Linux the child also gets a
//! parent-death signal, so an app that is killed leaves no engine behind. Linux sends that
//! signal when the *thread* that forked exits, so all engines are spawned from one
//! long-lived launcher thread.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::plan::LaunchPlan;

/// Why an engine could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The program does not exist.
    #[error("the engine program `{program}` was not found: {source}")]
    ProgramMissing {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Any other spawn failure.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The launcher thread is gone.
    #[error("the engine launcher stopped")]
    LauncherGone,
}

/// Receives each line the engine prints (stdout and stderr).
pub type LineSink = Arc<dyn Fn(&str) + Send + Sync>;

/// A started engine process.
pub trait EngineProcess: Send {
    /// Its process id (also its process group id).
    fn pid(&self) -> u32;
    /// `Some(exit code or signal description)` once it has exited.
    fn exited(&mut self) -> Option<String>;
    /// Asks the whole process group to stop (SIGTERM).
    fn terminate(&mut self);
    /// Stops the whole process group now (SIGKILL).
    fn kill(&mut self);
}

/// The seam where this machine has no hardware: something that starts engines.
pub trait EngineLauncher: Send + Sync {
    /// Starts the plan's program; every output line goes to `lines`.
    fn launch(
        &self,
        plan: &LaunchPlan,
        lines: LineSink,
    ) -> Result<Box<dyn EngineProcess>, LaunchError>;
}

type SpawnRequest = (Command, String, mpsc::Sender<Result<Child, LaunchError>>);

/// Starts real processes from one long-lived thread.
pub struct ProcessLauncher {
    requests: Mutex<mpsc::Sender<SpawnRequest>>,
}

impl ProcessLauncher {
    /// Starts the launcher thread.
    pub fn new() -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("duows-launcher".into())
            .spawn(move || {
                for (mut command, program, reply) in rx {
                    let result = command.spawn().map_err(|source| {
                        if source.kind() == std::io::ErrorKind::NotFound {
                            LaunchError::ProgramMissing { program, source }
                        } else {
                            LaunchError::Spawn { program, source }
                        }
                    });
                    let _ = reply.send(result);
                }
            })?;
        Ok(Self {
            requests: Mutex::new(tx),
        })
    }
}

impl EngineLauncher for ProcessLauncher {
    fn launch(
        &self,
        plan: &LaunchPlan,
        lines: LineSink,
    ) -> Result<Box<dyn EngineProcess>, LaunchError> {
        let mut command = Command::new(&plan.program);
        if !plan.inherit_env {
            command.env_clear();
            for name in super::plan::PASSTHROUGH_ENV {
                if let Some(value) = std::env::var_os(name) {
                    command.env(name, value);
                }
            }
        }
        command
            .args(&plan.args)
            .envs(plan.env_pairs())
            .current_dir(&plan.working_dir);
        self.spawn(command, lines)
    }
}

impl ProcessLauncher {
    /// Starts any command the way engines start: its own process group, the parent-death
    /// signal, no stdin, and every output line to `lines`. The installer runs pip so.
    pub fn spawn(
        &self,
        mut command: Command,
        lines: LineSink,
    ) -> Result<Box<dyn EngineProcess>, LaunchError> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        isolate(&mut command);
        let (reply, result) = mpsc::channel();
        let program = command.get_program().to_string_lossy().into_owned();
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((command, program, reply))
            .map_err(|_| LaunchError::LauncherGone)?;
        let mut child = result.recv().map_err(|_| LaunchError::LauncherGone)??;
        if let Some(out) = child.stdout.take() {
            pump(out, Arc::clone(&lines));
        }
        if let Some(err) = child.stderr.take() {
            pump(err, lines);
        }
        Ok(Box::new(GroupProcess { child }))
    }
}

/// Forwards a pipe to the sink, line by line, on its own thread (ends at EOF).
fn pump(pipe: impl Read + Send + 'static, lines: LineSink) {
    let _ = std::thread::Builder::new()
        .name("duows-engine-log".into())
        .spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut buffer = Vec::new();
            while reader.read_until(b'\n', &mut buffer).is_ok_and(|n| n > 0) {
                let line = String::from_utf8_lossy(&buffer);
                lines(line.trim_end_matches(['\r', '\n']));
                buffer.clear();
            }
        });
}

/// Stops a process group: TERM, up to `grace` for the leader to exit, then KILL for the
/// whole group (so no worker or build child stays behind).
pub(crate) async fn stop_group(process: &mut dyn EngineProcess, grace: std::time::Duration) {
    process.terminate();
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if process.exited().is_some() {
            // The leader is gone; make sure no worker of the group stays behind.
            process.kill();
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    process.kill();
}

/// A child that leads its own process group.
struct GroupProcess {
    child: Child,
}

impl EngineProcess for GroupProcess {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(describe_exit(status)),
            Ok(None) => None,
            Err(error) => Some(format!("cannot be waited for: {error}")),
        }
    }

    fn terminate(&mut self) {
        signal_group(self.child.id(), Signal::Terminate);
    }

    fn kill(&mut self) {
        signal_group(self.child.id(), Signal::Kill);
        let _ = self.child.wait();
    }
}

impl Drop for GroupProcess {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.kill();
        }
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "exited".into(),
    }
}

#[derive(Clone, Copy)]
enum Signal {
    Terminate,
    Kill,
}

#[cfg(unix)]
fn isolate(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    #[cfg(target_os = "linux")]
    set_parent_death_signal(command);
}

#[cfg(not(unix))]
fn isolate(_command: &mut Command) {}

/// Asks the kernel to SIGKILL the child when the launcher thread (its parent) dies.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and only calls
    // prctl(2), which is async-signal-safe; it allocates nothing and takes no locks.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Signals every process of the group led by `pid`.
#[cfg(unix)]
#[allow(unsafe_code)]
fn signal_group(pid: u32, signal: Signal) {
    let Ok(group) = libc::pid_t::try_from(pid) else {
        return;
    };
    let signal = match signal {
        Signal::Terminate => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: killpg(2) has no memory-safety preconditions; a stale group id only
    // yields ESRCH, which is ignored.
    unsafe {
        libc::killpg(group, signal);
    }
}

#[cfg(not(unix))]
fn signal_group(_pid: u32, _signal: Signal) {}
