//! The gateway's listening socket, which can move while the program runs: from loopback to
//! the network (GitLab on another machine) and back, on the same port. Connections already
//! open finish on the old socket; new ones go to the new address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::serve::ListenerExt;
use duows_gateway::Gateway;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ApiState;

/// The address that opens the gateway to the network (every IPv4 interface).
pub const NETWORK_HOST: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
/// The address that keeps it on this machine.
pub const LOOPBACK_HOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Where the gateway listens, and the serving tasks of its sockets.
pub struct GatewayListener {
    addr: Mutex<SocketAddr>,
    /// Whether a socket is open now (false only after a move could bind neither address).
    listening: std::sync::atomic::AtomicBool,
    /// Why the gateway is not where the settings want it, when it is not (said once, kept).
    problem: Mutex<Option<String>>,
    /// Set when the address came from the command line (`--gateway-host`): it stays.
    pinned_by: Option<String>,
    /// Closing the current socket: a send stops its accept loop.
    stop_current: Mutex<watch::Sender<bool>>,
    /// Every socket's serving task, to wait for at the end.
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// One move at a time.
    moving: tokio::sync::Mutex<()>,
}

impl GatewayListener {
    /// Serves `gateway` on `listener` until the program stops or the socket moves.
    pub(crate) fn start(
        state: &ApiState,
        gateway: &Gateway,
        listener: TcpListener,
        addr: SocketAddr,
        pinned_by: Option<String>,
        problem: Option<String>,
    ) -> Arc<Self> {
        let (stop, task) = serve(state, gateway, listener);
        Arc::new(Self {
            addr: Mutex::new(addr),
            listening: std::sync::atomic::AtomicBool::new(true),
            problem: Mutex::new(problem),
            pinned_by,
            stop_current: Mutex::new(stop),
            tasks: Mutex::new(vec![task]),
            moving: tokio::sync::Mutex::new(()),
        })
    }

    /// Where it listens now.
    pub fn local_addr(&self) -> SocketAddr {
        *self.addr.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a socket is open now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Why the gateway is not listening where the settings say, when it is not.
    pub fn problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The command-line option that fixed the address, if one did.
    pub fn pinned_by(&self) -> Option<&str> {
        self.pinned_by.as_deref()
    }

    /// Moves the socket to `host`, same port. On failure the old address is listened on
    /// again and the error says why the new one was refused; if even that fails, the gateway
    /// listens nowhere and says so ([`MoveError::Lost`]).
    pub(crate) async fn move_to(
        &self,
        state: &ApiState,
        gateway: &Gateway,
        host: IpAddr,
    ) -> Result<SocketAddr, MoveError> {
        let _one = self.moving.lock().await;
        if state.is_stopping() {
            return Err(MoveError::Stopping);
        }
        let old = self.local_addr();
        if old.ip() == host && self.is_listening() {
            return Ok(old);
        }
        let new = SocketAddr::new(host, old.port());
        // Keys are asked for before the first connection off loopback can arrive.
        if !host.is_loopback() {
            gateway.set_loopback(false);
        }
        // The old socket must be closed first: the port is the same.
        let _ = self
            .stop_current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(true);
        let (listener, outcome) = match bind_soon(new).await {
            Ok(listener) => (listener, Ok(new)),
            Err(refused) => match bind_soon(old).await {
                Ok(listener) => (listener, Err(MoveError::Refused(refused))),
                Err(lost) => {
                    self.listening
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    let message = format!(
                        "the gateway could listen neither on {new} ({refused}) nor again on {old} ({lost}); start the program again"
                    );
                    tracing::error!("{message}");
                    *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = Some(message.clone());
                    return Err(MoveError::Lost(message));
                }
            },
        };
        let addr = listener.local_addr().map_err(MoveError::Refused)?;
        let (stop, task) = serve(state, gateway, listener);
        *self.stop_current.lock().unwrap_or_else(|p| p.into_inner()) = stop;
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        *self.addr.lock().unwrap_or_else(|p| p.into_inner()) = addr;
        self.listening
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if outcome.is_ok() {
            *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        gateway.set_loopback(addr.ip().is_loopback());
        tracing::info!(%addr, "gateway listening");
        outcome
    }

    /// Resolves when every socket has stopped and its requests have drained (after the
    /// program began to stop).
    pub async fn finished(&self) {
        loop {
            let task = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match task {
                Some(task) => {
                    let _ = task.await;
                }
                None => return,
            }
        }
    }
}

/// Why a move of the gateway's socket did not happen.
#[derive(Debug)]
pub enum MoveError {
    /// The new address could not be listened on; the gateway is back on the old one.
    Refused(std::io::Error),
    /// Neither address could be listened on: the gateway listens nowhere now.
    Lost(String),
    /// The program is stopping.
    Stopping,
}

/// Binds `addr`, retrying briefly while the socket just closed lets go of the port.
async fn bind_soon(addr: SocketAddr) -> Result<TcpListener, std::io::Error> {
    let mut tries = 0;
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(error) if tries < 40 && error.kind() == std::io::ErrorKind::AddrInUse => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Serves one socket until the program stops or the returned sender says so.
fn serve(
    state: &ApiState,
    gateway: &Gateway,
    listener: TcpListener,
) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (stop, mut stopped_here) = watch::channel(false);
    let program_stopped = state.stopped();
    // Streamed answers are many small writes: without TCP_NODELAY each one waits for the
    // client's acknowledgement of the one before (up to its delayed-ACK time, 40 ms on Linux).
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on a gateway connection");
        }
    });
    // A settings file another program replaced is in force before a request is routed.
    let follower = state.clone();
    let router = gateway.router().layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let state = follower.clone();
            async move {
                crate::gateway_routes::routes_follow_the_settings_file(&state).await;
                next.run(request).await
            }
        },
    ));
    let task = tokio::spawn(async move {
        let closed = async move {
            tokio::select! {
                () = program_stopped => {}
                _ = stopped_here.wait_for(|stop| *stop) => {}
            }
        };
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(closed)
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the gateway stopped");
        }
    });
    (stop, task)
}
