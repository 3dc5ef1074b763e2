//! The OpenAI-compatible gateway: one endpoint in front of every model this app serves.
//!
//! [`Gateway`] holds the settings, the API keys ([`KeyStore`]) and the current
//! [`RouteTable`]; [`Gateway::router`] is the axum router to serve. Requests name a model
//! (an alias such as `duo-chat`, a deployment, or an engine's own model name); the gateway
//! forwards them to that engine, streams the answer back chunk by chunk, and counts and logs
//! each one.
//!
//! ```no_run
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! use duows_gateway::{check_bind, Alias, Deployment, Gateway, GatewayConfig, KeyStore, Readiness, RouteTable};
//!
//! let addr: std::net::SocketAddr = "127.0.0.1:8080".parse()?;
//! let keys = KeyStore::open("/var/lib/duows/keys.json".into())?;
//! check_bind(addr, &keys)?; // off loopback only with an API key
//! let config = GatewayConfig { loopback: addr.ip().is_loopback(), ..GatewayConfig::default() };
//! let gateway = Gateway::new(config, keys);
//! gateway.set_routes(RouteTable {
//!     deployments: vec![Deployment {
//!         name: "qwen3-coder".into(),
//!         served_model: "Qwen/Qwen3-Coder-30B-A3B-Instruct".into(),
//!         base_url: "http://127.0.0.1:41234/v1".into(),
//!         api_key: None,
//!         readiness: Readiness::Ready,
//!         listing: None,
//!         replicas: Vec::new(), // more upstreams serving the same model
//!     }],
//!     aliases: vec![Alias { name: "duo-chat".into(), target: Some("qwen3-coder".into()) }],
//! });
//! let listener = tokio::net::TcpListener::bind(addr).await?;
//! axum::serve(listener, gateway.router()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Reading order
//!
//! From the ground up; each module imports only modules on the lines above it.
//!
//! 1. The parts: `config`, `correlation` (request ids), `json_shape`, `key_format`,
//!    `key_file`, `keys` (the [`KeyStore`]), `errors` (the OpenAI error shape and codes),
//!    `metrics`, `replicas` (a deployment's upstreams: choice, health, probes, counters),
//!    `model_routes` (the model routing table: which name leads to which deployment and its
//!    replicas), `request_log`, `params` and `request_body` (checking a request body).
//! 2. `state`: the `Shared` state every request reads (settings, keys, routes, the upstream
//!    client, metrics, log).
//! 3. `exchange`: one request from arrival to the end of its answer, counted and logged.
//! 4. `relay`: the answer's body streamed to the client; `upstream_error`: an error answer
//!    read whole and cleaned.
//! 5. `proxy`: forwarding one completion request (to another replica when one fails
//!    before answering); `context_fit`: lowering `max_tokens` to
//!    the engine's context when its answer says by how much.
//! 6. `access` (who may call) and `http` (the route table).
//! 7. `gateway`: the [`Gateway`] the owner holds.

mod access;
mod config;
mod context_fit;
mod correlation;
mod errors;
mod exchange;
mod gateway;
mod http;
mod json_shape;
mod key_file;
mod key_format;
mod keys;
mod metrics;
mod model_routes;
mod params;
mod proxy;
mod relay;
mod replicas;
mod request_body;
mod request_log;
mod state;
mod upstream_error;

pub use access::check_bind;
pub use config::GatewayConfig;
pub use duows_base::{clock, Secret};
pub use errors::{ErrorCode, GatewayError, OpenAiError};
pub use gateway::Gateway;
pub use keys::{KeyError, KeyInfo, KeyStore};
pub use model_routes::{Alias, Deployment, ListedState, Readiness, Replica, RouteTable};
pub use replicas::ReplicaStatus;
pub use request_log::LOG_FILE;
