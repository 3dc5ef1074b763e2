//! `duows serve`: the web UI and the control API over HTTP, and the OpenAI-compatible
//! gateway on its own port.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use duows_api::access::AccessPolicy;
use duows_api::gateway_service::{configured_host, start_gateway, GatewayOptions};
use duows_api::{http, ApiState, StateOptions};
use duows_core::data_dir::DataDir;

use crate::cli::ServeArgs;
use crate::{hardware_cmd, ui_assets};

/// Prints a line on stdout for the operator and scripts; a closed stdout (a reader that
/// took the first line and left) must not stop the server, so write errors are ignored.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// How long a stop waits for requests in flight.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let data_dir = DataDir::from_env()?;
    data_dir.ensure()?;
    duows_core::logging::init(&data_dir, "duows");
    let probe = hardware_cmd::probe(&args.source)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(runtime_threads())
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, data_dir, probe))?;
    Ok(ExitCode::SUCCESS)
}

/// Threads that run the server's tasks: two, or one where this process may use only one
/// CPU (pinned with `taskset`, or a container's CPU quota). Two threads on one CPU take
/// turns: a request whose connection lives on the waiting thread waits for the other
/// thread's whole turn (measured at up to 2 ms under the gateway benchmark), and each
/// request woke the idle one for nothing.
fn runtime_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |cpus| cpus.get().min(2))
}

async fn serve(
    args: ServeArgs,
    data_dir: DataDir,
    probe: std::sync::Arc<dyn duows_core::hardware::GpuProbe>,
) -> anyhow::Result<()> {
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {address} (is another program using port {}? try --port 0)",
                args.port
            )
        })?;
    let bound = listener.local_addr()?;
    let hostname = duows_core::hardware::SystemFacts::hostname();
    let policy = if args.host.is_loopback() {
        AccessPolicy::loopback().allow_hosts(args.allow_host.clone())
    } else {
        AccessPolicy::with_token(hostname.clone().into_iter().chain(args.allow_host.clone()))
    };
    tracing::info!(data_dir = %data_dir.root().display(), "starting");
    let state = ApiState::new(StateOptions { data_dir, probe });
    let url_host = if args.host.is_unspecified() {
        hostname.unwrap_or_else(|| "127.0.0.1".to_owned())
    } else if bound.is_ipv6() {
        format!("[{}]", bound.ip())
    } else {
        bound.ip().to_string()
    };
    // Before the line that tells the world we listen: a stop signal sent right after it
    // must find its handler, not the default action (death without draining).
    let stop_signals = StopSignals::install()?;
    // Tests and scripts read the port from this line.
    say!("duows: listening on http://{bound}");
    if let Some(token) = policy.token() {
        // Printed once, here, for the operator; never logged.
        say!(
            "duows: open http://{url_host}:{}/#token={token}",
            bound.port()
        );
        say!("duows: the API needs that token (Authorization: Bearer <token>); it changes at every start");
    }
    let gateway = if args.no_gateway {
        None
    } else {
        let host = args.gateway_host.unwrap_or_else(|| configured_host(&state));
        let options = GatewayOptions {
            addr: SocketAddr::new(host, args.gateway_port),
            allowed_hosts: args.allow_host.clone(),
            pinned_by: args.gateway_host.map(|h| format!("--gateway-host {h}")),
        };
        let (handle, task) = start_gateway(&state, options)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        // Tests and scripts read the gateway's port from this line.
        say!(
            "duows: gateway (OpenAI-compatible) on http://{}/v1",
            handle.local_addr()
        );
        Some(task)
    };
    // A member of a cluster tells its head it is there, and runs what the head asks.
    duows_api::calls::spawn_heartbeat(state.clone());
    let app = http::app(state.clone(), policy, ui_assets::router());
    let stopping = state.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        stop_signals.recv().await;
        tracing::info!("stopping: ending streams, draining requests");
        stopping.begin_shutdown();
    });
    let deadline = async {
        state.stopped().await;
        tokio::time::sleep(DRAIN_LIMIT).await;
    };
    let both = async {
        let served = server.into_future().await;
        // The gateway drains its streams too (it stops on the same signal).
        if let Some(task) = gateway {
            let _ = task.await;
        }
        served
    };
    tokio::select! {
        result = both => result.context("server failed")?,
        () = deadline => tracing::warn!("requests still open {DRAIN_LIMIT:?} after the stop signal; stopping anyway"),
    }
    // Engines live as long as the server: stop them (TERM to each group, then KILL).
    state.stop_engines().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGINT and SIGTERM, handled from the moment they are installed.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
                terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves at the first stop signal.
    async fn recv(self) {
        #[cfg(unix)]
        {
            let Self {
                mut interrupt,
                mut terminate,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
