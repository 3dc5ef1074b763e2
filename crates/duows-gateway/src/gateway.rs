//! The gateway value the owner holds: a handle on the [`Shared`] state with the few
//! operations the owner needs (replace the routes, read the keys and metrics, get the
//! router).

use std::sync::Arc;

use crate::config::GatewayConfig;
use crate::keys::KeyStore;
use crate::model_routes::RouteTable;
use crate::replicas::ReplicaStatus;
use crate::state::Shared;

/// An OpenAI-compatible gateway. Clones share everything.
#[derive(Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
}

impl Gateway {
    /// A gateway with no routes yet. Starts the request-log writer when a log folder is set
    /// (a log that cannot be started is reported and left off; the gateway still serves).
    pub fn new(config: GatewayConfig, keys: KeyStore) -> Self {
        Self {
            shared: Arc::new(Shared::new(config, keys)),
        }
    }

    /// Replaces the route table at once. Requests in flight keep the deployment they
    /// resolved; streams already running are not touched.
    pub fn set_routes(&self, table: RouteTable) {
        self.shared.set_routes(table);
    }

    /// The route table now.
    pub fn routes(&self) -> Arc<RouteTable> {
        self.shared.routes().table.clone()
    }

    /// The API keys this gateway accepts.
    pub fn keys(&self) -> &KeyStore {
        &self.shared.keys
    }

    /// Says where the gateway's listener is now: on loopback only (`true`) or also off
    /// it, where every `/v1` call and `/metrics` need a key. Applies to the next request.
    pub fn set_loopback(&self, loopback: bool) {
        self.shared.set_loopback(loopback);
    }

    /// The Prometheus text that `GET /metrics` serves.
    pub fn metrics_text(&self) -> String {
        self.shared.metrics_text()
    }

    /// Every replica of every deployment routed to now, with its state and counters.
    pub fn replicas(&self) -> Vec<ReplicaStatus> {
        self.shared.routes().replica_statuses()
    }

    /// Every route, behind the access checks.
    pub fn router(&self) -> axum::Router {
        crate::http::router(self.shared.clone())
    }
}
