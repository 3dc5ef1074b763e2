//! How one gateway behaves: timeouts, limits, logging and who may call it.

use std::path::PathBuf;
use std::time::Duration;

use duows_base::access::HostRules;

/// The settings of one gateway. Defaults suit a gateway on loopback.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How long to wait for the first byte of an upstream answer (headers and first chunk).
    pub ttfb_timeout: Duration,
    /// The longest silence allowed between two chunks of an upstream answer. There is no
    /// deadline for the whole answer: long generations stream for as long as they need.
    pub idle_timeout: Duration,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Whether prompts and outputs go into the request log. Off unless the user turns it on.
    pub log_bodies: bool,
    /// Folder of the JSON-lines request log (`requests.jsonl`, rotated by size); `None`
    /// writes no request log.
    pub request_log_dir: Option<PathBuf>,
    /// Names accepted in `Host` besides IP literals and `localhost`.
    pub hosts: HostRules,
    /// Whether the gateway listens on loopback only. Off loopback, `/metrics` needs a key
    /// and `/v1/*` always does.
    pub loopback: bool,
    /// How long a replica that failed before answering stays out before it is first probed;
    /// the wait doubles after each failed probe, up to `replica_backoff_max`.
    pub replica_backoff: Duration,
    /// The longest wait between two probes of a replica that is out.
    pub replica_backoff_max: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            ttfb_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(120),
            max_body_bytes: 16 * 1024 * 1024,
            log_bodies: false,
            request_log_dir: None,
            hosts: HostRules::default(),
            loopback: true,
            replica_backoff: Duration::from_secs(1),
            replica_backoff_max: Duration::from_secs(30),
        }
    }
}
