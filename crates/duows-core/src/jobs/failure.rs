//! Why a job failed, as `{code, message, field}`, so a client can branch: a gated model
//! needs a token, the disk is full, the package index or the hub does not answer.

use serde::{Deserialize, Serialize};

use crate::engine::download::DownloadError;
use crate::engine::install::InstallError;

/// A job's failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct JobFailure {
    /// Stable code: `gated_model`, `model_not_found`, `disk_full`, `checksum_mismatch`,
    /// `hub_unreachable`, `index_unreachable`, `package_not_found`, `install_failed`,
    /// `disk_error` or `cancelled`.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
    /// The request field to change, when there is one (`token` for a gated model).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl JobFailure {
    fn new(code: &str, message: String, field: Option<&str>) -> Self {
        Self {
            code: code.into(),
            message,
            field: field.map(str::to_owned),
        }
    }
}

impl From<&DownloadError> for JobFailure {
    fn from(error: &DownloadError) -> Self {
        let message = error.to_string();
        match error {
            DownloadError::Gated { .. } => Self::new("gated_model", message, Some("token")),
            DownloadError::NotFound { .. } => {
                Self::new("model_not_found", message, Some("revision"))
            }
            DownloadError::NoSpace { .. } => Self::new("disk_full", message, None),
            DownloadError::Checksum { .. } => Self::new("checksum_mismatch", message, None),
            DownloadError::Cancelled => Self::new("cancelled", message, None),
            DownloadError::Http(_) => Self::new("hub_unreachable", message, None),
            DownloadError::Io { source, .. } if is_disk_full(source) => {
                Self::new("disk_full", message, None)
            }
            DownloadError::Io { .. } => Self::new("disk_error", message, None),
        }
    }
}

impl From<&InstallError> for JobFailure {
    fn from(error: &InstallError) -> Self {
        let message = error.to_string();
        match error {
            InstallError::NoSpace { .. } => Self::new("disk_full", message, None),
            InstallError::Cancelled => Self::new("cancelled", message, None),
            InstallError::Io { source, .. } if is_disk_full(source) => {
                Self::new("disk_full", message, None)
            }
            InstallError::Io { .. } => Self::new("disk_error", message, None),
            InstallError::Step { tail, .. } => Self::new(pip_failure(tail), message, None),
        }
    }
}

/// ENOSPC, "No space left on device".
fn is_disk_full(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(28)
}

/// pip's last lines, read for the cause: the index did not answer, no such package or
/// version, the disk is full, or anything else.
fn pip_failure(tail: &str) -> &'static str {
    const UNREACHABLE: &[&str] = &[
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "Max retries exceeded",
        "ConnectionError",
        "Read timed out",
        "Could not fetch URL",
    ];
    if tail.contains("No space left on device") {
        "disk_full"
    } else if UNREACHABLE.iter().any(|needle| tail.contains(needle)) {
        "index_unreachable"
    } else if tail.contains("No matching distribution found")
        || tail.contains("Could not find a version that satisfies")
    {
        "package_not_found"
    } else {
        "install_failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_failures_are_told_apart() {
        let unreachable = "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(\"Failed to establish a new connection: [Errno 111] Connection refused\")'\nERROR: Could not find a version that satisfies the requirement vllm==0.18.1";
        assert_eq!(pip_failure(unreachable), "index_unreachable");
        assert_eq!(
            pip_failure("ERROR: No matching distribution found for vllm==9.9"),
            "package_not_found"
        );
        assert_eq!(
            pip_failure("OSError: [Errno 28] No space left on device"),
            "disk_full"
        );
        assert_eq!(
            pip_failure("error: subprocess-exited-with-error"),
            "install_failed"
        );
    }

    #[test]
    fn a_gated_model_asks_for_a_token() {
        let failure = JobFailure::from(&DownloadError::Gated {
            repo: "meta-llama/Llama-3.1-8B-Instruct".into(),
            endpoint: "https://huggingface.co".into(),
            status: 401,
        });
        assert_eq!(failure.code, "gated_model");
        assert_eq!(failure.field.as_deref(), Some("token"));
        let full = JobFailure::from(&DownloadError::Io {
            path: "/models/x".into(),
            source: std::io::Error::from_raw_os_error(28),
        });
        assert_eq!(full.code, "disk_full");
    }
}
