//! The files a person (or this app) runs the AI gateway with, in `<data>/ai-gateway/`:
//! - `ai-gateway.env`: the settings that are not secret (`docker run --env-file`, compose);
//! - `ai-gateway-keys.env`: the four keys as double-quoted multi-line values (compose's
//!   `env_file` reads them; mode 0600);
//! - `run.sh`: `docker run` with the keys exported from their files, named only on the
//!   command line;
//! - `compose.yaml`: the same for `docker compose up -d`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::keys::{key_path, AigwKeys, KEY_NAMES};
use super::{AigwConfig, ConfigError, Placement, CONTAINER_NAME, GRPC_PORT, HTTP_PORT};

/// What was written, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GeneratedFiles {
    /// The folder.
    pub dir: PathBuf,
    /// The image with its tag.
    pub image: String,
    /// The settings that are not secret.
    pub env_file: PathBuf,
    /// The keys, for compose.
    pub keys_env_file: PathBuf,
    /// The `docker run` script.
    pub run_script: PathBuf,
    /// The compose file.
    pub compose_file: PathBuf,
    /// The environment that is not secret, to show.
    pub environment: Vec<(String, String)>,
    /// The AI gateway's URL to set in GitLab's Duo settings, for the same-host case (the
    /// separate host's name is the user's).
    pub url_for_gitlab: Option<String>,
}

/// Makes the keys (once) and writes every file for `config` into `dir`.
pub fn write_files(
    dir: &Path,
    config: &AigwConfig,
    hostname: Option<&str>,
) -> Result<GeneratedFiles, WriteError> {
    std::fs::create_dir_all(dir).map_err(|e| WriteError::Io(dir.to_owned(), e))?;
    let keys = AigwKeys::load_or_create(dir)?;
    let image = config.image()?;
    let environment = config.environment();
    let write = |name: &str, text: &str, mode: u32| -> Result<PathBuf, WriteError> {
        let path = dir.join(name);
        duows_base::files::write_atomic(&path, text.as_bytes(), Some(mode))
            .map_err(|e| WriteError::Io(path.clone(), e))?;
        Ok(path)
    };
    let env_text: String = environment
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    let env_file = write("ai-gateway.env", &env_text, 0o644)?;
    let keys_text: String = keys
        .environment()
        .map(|(name, pem)| format!("{name}=\"{}\"\n", pem.trim_end()))
        .collect();
    let keys_env_file = write("ai-gateway-keys.env", &keys_text, 0o600)?;
    let run_script = write("run.sh", &run_script(dir, config)?, 0o755)?;
    let compose_file = write("compose.yaml", &compose(config, &image), 0o644)?;
    let config_text = serde_json::to_string_pretty(config).unwrap_or_default();
    write("config.json", &config_text, 0o644)?;
    Ok(GeneratedFiles {
        dir: dir.to_owned(),
        image,
        env_file,
        keys_env_file,
        run_script,
        compose_file,
        environment,
        url_for_gitlab: (config.placement == Placement::SameHost).then(|| {
            format!(
                "http://{}:{HTTP_PORT}",
                hostname.unwrap_or("<this machine's name>")
            )
        }),
    })
}

/// Why the files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The keys.
    #[error(transparent)]
    Keys(#[from] super::KeyError),
    /// A file.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn run_script(dir: &Path, config: &AigwConfig) -> Result<String, ConfigError> {
    let mut script = String::from(
        "#!/bin/sh\n# GitLab's AI gateway for this Duo Workstation. The keys are read from their files\n# and passed through the environment: they never appear on a command line.\nset -eu\nRUNTIME=\"${RUNTIME:-$(command -v docker || command -v podman)}\"\n",
    );
    for name in KEY_NAMES {
        script.push_str(&format!(
            "export {name}=\"$(cat {})\"\n",
            shell_quote(&key_path(dir, name).display().to_string())
        ));
    }
    let args: Vec<String> = config.run_args()?.iter().map(|a| shell_quote(a)).collect();
    script.push_str(&format!("exec \"$RUNTIME\" run {}\n", args.join(" ")));
    Ok(script)
}

fn compose(config: &AigwConfig, image: &str) -> String {
    let mut yaml = format!(
        "# GitLab's AI gateway for this Duo Workstation: `docker compose up -d` in this folder.\nservices:\n  ai-gateway:\n    image: {image}\n    container_name: {CONTAINER_NAME}\n    restart: unless-stopped\n    env_file:\n      - ai-gateway.env\n      - ai-gateway-keys.env\n"
    );
    match config.placement {
        Placement::SameHost => yaml.push_str("    network_mode: host\n"),
        Placement::SeparateHost => yaml.push_str(&format!(
            "    ports:\n      - \"{HTTP_PORT}:{HTTP_PORT}\"\n      - \"{GRPC_PORT}:{GRPC_PORT}\"\n"
        )),
    }
    if let Some(bundle) = &config.ca_bundle {
        yaml.push_str(&format!(
            "    volumes:\n      - \"{}:{}:ro\"\n",
            bundle.display(),
            super::CONTAINER_CA_BUNDLE
        ));
    }
    yaml
}
