//! Logs: to stderr, and appended to `<data folder>/logs/<program>.log`.
//!
//! Secrets are never passed to `tracing`; there is nothing to redact here.

use std::fs::OpenOptions;
use std::sync::Mutex;

use crate::data_dir::DataDir;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber for `program` (its log file's name). `RUST_LOG`
/// overrides the level (default `info`).
pub fn init(data_dir: &DataDir, program: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.logs_dir().join(format!("{program}.log")))
        .ok();
    let file_layer = file.map(|f| fmt::layer().with_ansi(false).with_writer(Mutex::new(f)));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
}
