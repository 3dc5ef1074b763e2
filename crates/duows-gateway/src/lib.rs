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
//!     }],
//!     aliases: vec![Alias { name: "duo-chat".into(), target: Some("qwen3-coder".into()) }],
//! });
//! let listener = tokio::net::TcpListener::bind(addr).await?;
//! axum::serve(listener, gateway.router()).await?;
//! # Ok(())
//! # }
//! ```

mod access;
pub mod clock;
mod config;
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
mod params;
mod proxy;
mod relay;
mod request_body;
mod request_log;
mod routes;
mod upstream_error;

pub use access::check_bind;
pub use config::GatewayConfig;
pub use duows_core::engine::Secret;
pub use errors::{ErrorCode, GatewayError, OpenAiError};
pub use gateway::Gateway;
pub use keys::{KeyError, KeyInfo, KeyStore};
pub use request_log::LOG_FILE;
pub use routes::{Alias, Deployment, Readiness, RouteTable};
