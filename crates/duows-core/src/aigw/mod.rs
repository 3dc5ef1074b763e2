//! GitLab's AI gateway: what it needs to run beside this app, generated for the user's GitLab
//! version (gitlab-duo-facts §1 and §9) — the image tag, the RSA keys it signs and checks
//! tokens with (made here, kept as private files), its environment, a `docker run` script and
//! a compose file, for the same-host case (host networking, metrics port moved) and the
//! separate-host case — and, where Docker or Podman is installed, the container started,
//! stopped and watched (`container`).
//!
//! The configuration lives in `<data>/ai-gateway/` (`config.json`, the key files, the
//! generated files); secrets never enter the settings file.

mod container;
mod files;
mod keys;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::GitlabVersion;
use crate::gitlab::address::{names_this_machine, url_host};

pub use container::{health, local_base, ContainerRuntime, ContainerState, CONTAINER_NAME};
pub use files::{write_files, GeneratedFiles};
pub use keys::{AigwKeys, KeyError, KEY_NAMES};

/// The AI gateway's image; the tag names the GitLab version it serves.
pub const IMAGE: &str =
    "registry.gitlab.com/gitlab-org/modelops/applied-ml/code-suggestions/ai-assist/model-gateway";
/// Its HTTP port.
pub const HTTP_PORT: u16 = 5052;
/// Its gRPC port (the Agent Platform).
pub const GRPC_PORT: u16 = 50052;
/// Its metrics port, moved from 8082 on the same host so it cannot clash with vLLM's.
pub const SAME_HOST_METRICS_PORT: u16 = 8083;

/// Where the AI gateway runs relative to this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// On this machine, with host networking (it reaches the gateway on this machine).
    SameHost,
    /// On another machine, its ports published.
    SeparateHost,
}

/// What the user chooses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AigwConfig {
    /// GitLab's address, e.g. `https://gitlab.example.com`.
    pub gitlab_url: String,
    /// GitLab's version (`18.6`): the image tag follows it.
    pub gitlab_version: String,
    /// Same host or separate host.
    pub placement: Placement,
    /// An offline (air-gapped) licence: the customer portal is GitLab itself.
    #[serde(default)]
    pub offline_license: bool,
    /// A CA bundle for a GitLab with a self-signed certificate (mounted into the container).
    #[serde(default)]
    #[ts(optional)]
    pub ca_bundle: Option<PathBuf>,
}

/// Why a configuration cannot be used; names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {reason}")]
pub struct ConfigError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong, with the fix.
    pub reason: String,
}

impl AigwConfig {
    /// Checks every field; the GitLab URL loses a trailing `/`.
    pub fn validated(mut self) -> Result<Self, ConfigError> {
        let url = self.gitlab_url.trim().trim_end_matches('/').to_owned();
        let (scheme, rest) = url.split_once("://").unwrap_or(("", ""));
        if !matches!(scheme, "http" | "https")
            || rest.is_empty()
            || rest.contains(char::is_whitespace)
        {
            return Err(ConfigError {
                field: "gitlab_url",
                reason: format!(
                    "must be GitLab's address such as https://gitlab.example.com, not `{url}`"
                ),
            });
        }
        if names_this_machine(&url_host(&url)) {
            return Err(ConfigError {
                field: "gitlab_url",
                reason: "names `localhost`, which inside the AI gateway's container is the container itself: use GitLab's hostname".into(),
            });
        }
        self.gitlab_url = url;
        self.version()?;
        if let Some(bundle) = &self.ca_bundle {
            if !bundle.is_file() {
                return Err(ConfigError {
                    field: "ca_bundle",
                    reason: format!("{} is not a file", bundle.display()),
                });
            }
        }
        Ok(self)
    }

    /// GitLab's version, parsed.
    pub fn version(&self) -> Result<GitlabVersion, ConfigError> {
        self.gitlab_version.parse().map_err(|_| ConfigError {
            field: "gitlab_version",
            reason: format!(
                "must be GitLab's version such as 18.6, not `{}`",
                self.gitlab_version
            ),
        })
    }

    /// The image with its tag: `self-hosted-v<major>.<minor>.0-ee` (GitLab publishes one per
    /// release; a newer patch of the same minor version serves it too).
    pub fn image(&self) -> Result<String, ConfigError> {
        let v = self.version()?;
        Ok(format!("{IMAGE}:self-hosted-v{}.{}.0-ee", v.major, v.minor))
    }

    /// The environment that is not secret, in order.
    pub fn environment(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("AIGW_GITLAB_URL".to_owned(), self.gitlab_url.clone()),
            (
                "AIGW_GITLAB_API_URL".to_owned(),
                format!("{}/api/v4/", self.gitlab_url),
            ),
            ("AIGW_CUSTOM_MODELS__ENABLED".to_owned(), "true".to_owned()),
            ("AIGW_LOGGING__LEVEL".to_owned(), "info".to_owned()),
        ];
        if self.placement == Placement::SameHost {
            env.push((
                "AIGW_FASTAPI__METRICS_PORT".to_owned(),
                SAME_HOST_METRICS_PORT.to_string(),
            ));
        }
        if self.offline_license {
            env.push((
                "AIGW_CUSTOMER_PORTAL_URL".to_owned(),
                self.gitlab_url.clone(),
            ));
            env.push((
                "DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL".to_owned(),
                self.gitlab_url.clone(),
            ));
        }
        if self.ca_bundle.is_some() {
            for var in ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"] {
                env.push((var.to_owned(), CONTAINER_CA_BUNDLE.to_owned()));
            }
        }
        env
    }

    /// `docker run` arguments after `run` (no secret: the keys' variables are named only, their
    /// values come from the environment of the program that runs it).
    pub fn run_args(&self) -> Result<Vec<String>, ConfigError> {
        let mut args: Vec<String> = vec![
            "-d".into(),
            "--name".into(),
            CONTAINER_NAME.into(),
            "--restart".into(),
            "unless-stopped".into(),
        ];
        match self.placement {
            Placement::SameHost => args.extend(["--network".into(), "host".into()]),
            Placement::SeparateHost => args.extend([
                "-p".into(),
                format!("{HTTP_PORT}:{HTTP_PORT}"),
                "-p".into(),
                format!("{GRPC_PORT}:{GRPC_PORT}"),
            ]),
        }
        if let Some(bundle) = &self.ca_bundle {
            args.extend([
                "-v".into(),
                format!("{}:{CONTAINER_CA_BUNDLE}:ro", bundle.display()),
            ]);
        }
        for (name, value) in self.environment() {
            args.extend(["-e".into(), format!("{name}={value}")]);
        }
        for name in KEY_NAMES {
            args.extend(["-e".into(), name.to_owned()]);
        }
        args.push(self.image()?);
        Ok(args)
    }
}

/// Where the CA bundle is mounted in the container.
const CONTAINER_CA_BUNDLE: &str = "/etc/ssl/certs/gitlab-ca.pem";

#[cfg(test)]
mod tests;
