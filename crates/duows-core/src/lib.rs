//! Duo Workstation's core: everything the app knows and does, without a window or a socket.
//!
//! - [`catalog`]: the GitLab-approved models (data in `catalog/catalog.toml`).
//! - [`engine`]: launch plans and supervision of vLLM and llama.cpp's server.
//! - [`fit`]: will a model fit these GPUs, how well, and which to recommend (pure).
//! - [`hardware`]: the GPU probe seam (NVML, or a hardware description), system facts,
//!   and the report that joins them.
//! - [`gitlab`]: GitLab Duo Self-Hosted configured from this app through GitLab's GraphQL
//!   API (desired state, plan, apply), or as steps to type into GitLab's admin pages.
//! - [`routing`]: which deployment serves each Duo feature's stable alias.
//! - [`sample_history`]: the last hour of samples, for charts opened late.
//! - [`sampler`]: one task that samples the GPUs and the system at 1 Hz and shares the
//!   latest sample with every viewer.
//! - [`deployment_check`]: is an OpenAI-compatible deployment there, with our key and model.
//! - [`data_dir`]: the one folder where all state lives (`DUOWS_HOME` overrides it).
//! - [`files`], [`file_watch`], [`host_rules`]: the shared pieces of `duows-base`
//!   (atomic writes and file stamps, file watches, the `Host`/`Origin` checks), re-exported
//!   under their old paths.
//! - [`jobs`]: installs and downloads as jobs with live progress, cancel, and failures
//!   a client can branch on.
//! - [`kubernetes`]: a plan as Kubernetes manifests (the engine and the gateway).
//! - [`logging`]: log files in the data folder.
//! - [`settings`]: typed, validated, versioned settings in the store file shared by the
//!   desktop app and the headless program.
//!
//! The crate has no Tauri and no server: the headless program runs on a GPU server without
//! GTK or WebKit. It is an HTTP client (reqwest) for hub downloads, package sizes,
//! deployment checks and GitLab's GraphQL API.

pub mod aigw;
pub mod catalog;
pub mod cluster;
pub mod dashboard;
pub mod data_dir;
pub mod deployment_check;
pub mod doctor;
pub mod engine;
pub mod fit;
pub mod gitlab;
pub mod hardware;
pub mod jobs;
pub mod kubernetes;
pub mod log_search;
pub mod logging;
pub mod routing;
pub mod sample_history;
pub mod sampler;
pub mod secrets;
pub mod settings;
pub mod setup;

pub use duows_base::access as host_rules;
pub use duows_base::{file_watch, files};

/// The product's display name.
pub const PRODUCT_NAME: &str = "Duo Workstation";

/// The version of this build (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
