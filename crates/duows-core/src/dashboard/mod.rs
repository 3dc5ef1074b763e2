//! What the dashboard shows besides the GPU samples: who holds each GPU's memory (the app's
//! engines named, their planned memory beside their real use), each engine's serving figures
//! from its Prometheus metrics, and the gateway's traffic per alias (and per replica) from
//! its request log.
//! Everything is read when a dashboard asks; nothing here runs on its own.

mod engine_metrics;
mod engine_scraper;
mod gateway_traffic;
mod gpu_processes;
pub mod prometheus;
mod replica_traffic;

pub use engine_metrics::{EngineScrape, ServingFigures};
pub use engine_scraper::{metrics_url, EngineScraper, EngineServing, ScrapeTarget};
pub use gateway_traffic::{gateway_traffic, summarise, AliasTraffic, GatewayTraffic};
pub use gpu_processes::{gpu_processes, process_group, EngineUse, GpuProcesses, ProcessUse};
pub use replica_traffic::{with_live_replicas, LiveReplica, ReplicaTraffic};
