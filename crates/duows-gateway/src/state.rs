//! What every request reads: the settings, the keys, the current routes (an `Arc` swapped
//! whole, so a request keeps the deployment it resolved), the replicas' health (kept across
//! swaps), the one upstream HTTP client (a shared connection pool), the metrics and the
//! request log. Every other module of the gateway works on a [`Shared`]; the façade
//! ([`crate::Gateway`]) owns it.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::config::GatewayConfig;
use crate::keys::KeyStore;
use crate::metrics::Metrics;
use crate::model_routes::{RouteTable, Routes, Upstream};
use crate::replicas::{self, Probe, ReplicaRegistry};
use crate::request_log::RequestLog;

/// The state one gateway's requests share.
pub(crate) struct Shared {
    pub config: GatewayConfig,
    /// Whether it listens on loopback only now (starts as `config.loopback`; the program
    /// may move its listener to the network and back while it runs).
    loopback: std::sync::atomic::AtomicBool,
    pub keys: KeyStore,
    routes: RwLock<Arc<Routes>>,
    /// Every replica's health, by deployment and address.
    replicas: ReplicaRegistry,
    /// Held while a new table is compiled and put in place, so two swaps cannot forget
    /// each other's replicas.
    swapping: Mutex<()>,
    pub client: reqwest::Client,
    pub metrics: Metrics,
    pub log: Option<RequestLog>,
}

impl Shared {
    /// No routes yet. Starts the request-log writer when a log folder is set (a log that
    /// cannot be started is reported and left off; the gateway still serves).
    pub fn new(config: GatewayConfig, keys: KeyStore) -> Self {
        let log = config
            .request_log_dir
            .clone()
            .and_then(|dir| match RequestLog::start(dir) {
                Ok(log) => Some(log),
                Err(error) => {
                    tracing::error!(%error, "cannot start the request log; requests are not logged");
                    None
                }
            });
        let client = reqwest::Client::builder()
            // Engines listen on this machine: never send their traffic through a proxy.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .unwrap_or_else(|error| {
                tracing::error!(%error, "cannot configure the upstream HTTP client; using defaults");
                reqwest::Client::new()
            });
        let replicas = ReplicaRegistry::default();
        let routes = Routes::compile(RouteTable::default(), &replicas);
        Self {
            loopback: std::sync::atomic::AtomicBool::new(config.loopback),
            config,
            keys,
            routes: RwLock::new(Arc::new(routes)),
            replicas,
            swapping: Mutex::new(()),
            client,
            metrics: Metrics::new(),
            log,
        }
    }

    /// The routes now; the caller keeps them for the whole request.
    pub fn routes(&self) -> Arc<Routes> {
        self.routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the route table at once. Requests in flight keep the deployment they
    /// resolved; streams already running are not touched.
    pub fn set_routes(&self, table: RouteTable) {
        let _swapping = self.swapping.lock().unwrap_or_else(|e| e.into_inner());
        let compiled = Arc::new(Routes::compile(table, &self.replicas));
        *self.routes.write().unwrap_or_else(|e| e.into_inner()) = compiled;
    }

    /// Takes a replica out after it failed before answering, and probes it until it answers.
    pub fn take_out(&self, upstream: &Upstream) {
        let Some(url) = upstream.models_url.clone() else {
            return;
        };
        let probe = Probe {
            client: self.client.clone(),
            url,
            auth: upstream.auth.clone().ok().flatten(),
            first: self.config.replica_backoff,
            max: self.config.replica_backoff_max,
        };
        replicas::take_out(&upstream.health, probe);
    }

    /// The Prometheus text `GET /metrics` serves: the gateway's metrics, then each replica's.
    pub fn metrics_text(&self) -> String {
        let mut text = self.metrics.render();
        replicas::render(&mut text, &self.routes().replica_statuses());
        text
    }
}

impl Shared {
    /// Whether the gateway listens on loopback only now.
    pub fn loopback(&self) -> bool {
        self.loopback.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Says where the gateway listens now: off loopback every `/v1` call needs a key.
    pub fn set_loopback(&self, loopback: bool) {
        self.loopback
            .store(loopback, std::sync::atomic::Ordering::Relaxed);
    }
}
