//! The AI gateway's four RSA keys (2048-bit, PKCS#8 PEM): the signing and validation keys of
//! its self-signed tokens, and the same pair for the Agent Platform (Duo Workflow). Made here
//! once, kept as files only the user can read, and handed to the container through the
//! environment of the process that starts it — never on a command line, never logged.

use std::path::{Path, PathBuf};

use duows_base::Secret;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;

/// The environment variables the keys go in, in order.
pub const KEY_NAMES: [&str; 4] = [
    "AIGW_SELF_SIGNED_JWT__SIGNING_KEY",
    "AIGW_SELF_SIGNED_JWT__VALIDATION_KEY",
    "DUO_WORKFLOW_SELF_SIGNED_JWT__SIGNING_KEY",
    "DUO_WORKFLOW_SELF_SIGNED_JWT__VALIDATION_KEY",
];

/// Key size: what GitLab's instructions use (`openssl genrsa 2048`).
const BITS: usize = 2048;

/// Why the keys could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Generating failed.
    #[error("the AI gateway's keys could not be generated: {0}")]
    Generate(String),
    /// A key file could not be written or read.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The four keys, as PEM text.
pub struct AigwKeys {
    pems: Vec<(&'static str, Secret)>,
}

impl std::fmt::Debug for AigwKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AigwKeys")
            .field("keys", &KEY_NAMES)
            .finish()
    }
}

impl AigwKeys {
    /// The keys in `dir`, made and written there (mode 0600) when missing.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        let mut pems = Vec::with_capacity(KEY_NAMES.len());
        for name in KEY_NAMES {
            let path = key_path(dir, name);
            let pem = match std::fs::read_to_string(&path) {
                Ok(text) if text.contains("PRIVATE KEY") => text,
                Ok(_) | Err(_) => {
                    let pem = generate()?;
                    duows_base::files::write_atomic(&path, pem.as_bytes(), Some(0o600)).map_err(
                        |source| KeyError::File {
                            path: path.clone(),
                            source,
                        },
                    )?;
                    pem
                }
            };
            pems.push((name, Secret::new(pem)));
        }
        Ok(Self { pems })
    }

    /// `(variable, PEM)` pairs for a child process's environment.
    pub fn environment(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.pems.iter().map(|(name, pem)| (*name, pem.expose()))
    }
}

/// The file of one key.
pub fn key_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        "{}.pem",
        name.to_ascii_lowercase().replace("__", "-")
    ))
}

fn generate() -> Result<String, KeyError> {
    let mut rng = rand_core::OsRng;
    let key = RsaPrivateKey::new(&mut rng, BITS).map_err(|e| KeyError::Generate(e.to_string()))?;
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| KeyError::Generate(e.to_string()))
}
