//! Where secrets are kept: deployment API keys, the Hugging Face token and the GitLab token.
//! Never in the settings: in the desktop's secret service (GNOME Keyring, KWallet, over
//! D-Bus) when one answers, otherwise in a file of the data folder readable only by the user
//! (`secrets.json`, mode 0600). [`SecretStore::info`] says which holds them, for the UI.
//!
//! A secret is looked up in both places, so nothing is lost when the secret service comes
//! or goes (a desktop session against a headless one); it is written to the one in use and
//! removed from the other. The AI gateway's signing keys are files of their own (0600) beside
//! its configuration, and gateway keys are stored hashed: neither is kept here.

mod file_store;
mod service;

use std::path::PathBuf;

use serde::Serialize;

use duows_base::Secret;

use crate::data_dir::DataDir;
use crate::settings::ExternalDeployment;

pub use file_store::FileStore;

/// Which store holds the secrets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretHolder {
    /// The desktop's secret service.
    SecretService,
    /// A file readable only by the user.
    #[default]
    File,
}

/// Which store holds the secrets, in words, for the UI and `duows`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SecretStoreInfo {
    /// The store in use.
    pub holder: SecretHolder,
    /// A sentence saying where secrets are kept.
    pub description: String,
    /// The secrets file (where secrets go without the secret service).
    pub file: PathBuf,
}

/// The name of one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretName {
    /// An external deployment's API key.
    DeploymentKey(String),
    /// The Hugging Face token for gated models.
    HuggingFaceToken,
    /// The GitLab administrator's personal access token.
    GitlabToken,
}

impl SecretName {
    /// Its key in either store.
    pub fn id(&self) -> String {
        match self {
            Self::DeploymentKey(name) => format!("deployment-key/{name}"),
            Self::HuggingFaceToken => "hugging-face-token".into(),
            Self::GitlabToken => "gitlab-token".into(),
        }
    }
}

/// Why a secret could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    /// The secrets file cannot be read or written.
    #[error("cannot {action} the secrets file {path}: {reason}")]
    File {
        /// "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The secret service answered with an error.
    #[error("the desktop's secret service refused: {0}")]
    Service(String),
}

/// The secret store of one data folder.
#[derive(Debug, Clone)]
pub struct SecretStore {
    file: FileStore,
    probe: std::sync::Arc<service::ServiceProbe>,
}

impl SecretStore {
    /// The store for `data_dir`: the secret service when one answers (unless
    /// `DUOWS_SECRET_STORE=file`), else the secrets file.
    pub fn open(data_dir: &DataDir) -> Self {
        let file = FileStore::new(data_dir.secrets_file());
        let wanted = std::env::var("DUOWS_SECRET_STORE").unwrap_or_default();
        let probe = if wanted == "file" {
            service::ServiceProbe::none()
        } else {
            service::ServiceProbe::start()
        };
        Self {
            file,
            probe: std::sync::Arc::new(probe),
        }
    }

    /// The secret service, once it answered (the first call waits for its answer).
    fn service(&self) -> Option<&service::ServiceStore> {
        self.probe.service()
    }

    /// A store that keeps secrets in `path` only.
    pub fn file_only(path: PathBuf) -> Self {
        Self {
            file: FileStore::new(path),
            probe: std::sync::Arc::new(service::ServiceProbe::none()),
        }
    }

    /// Which store holds the secrets.
    pub fn info(&self) -> SecretStoreInfo {
        let path = self.file.path().to_owned();
        match self.service() {
            Some(_) => SecretStoreInfo {
                holder: SecretHolder::SecretService,
                description: "Secrets are kept in the desktop's secret service (GNOME Keyring or KWallet), under \"duo-workstation\".".into(),
                file: path,
            },
            None => SecretStoreInfo {
                holder: SecretHolder::File,
                description: format!(
                    "No desktop secret service answers here: secrets are kept in {}, readable only by you.",
                    path.display()
                ),
                file: path,
            },
        }
    }

    /// The secret, from the store in use or the other one.
    pub fn get(&self, name: &SecretName) -> Result<Option<Secret>, SecretStoreError> {
        if let Some(service) = self.service() {
            if let Some(value) = service.get(&name.id())? {
                return Ok(Some(value));
            }
        }
        self.file.get(&name.id())
    }

    /// Keeps `value` in the store in use (and removes any copy from the other).
    pub fn set(&self, name: &SecretName, value: &Secret) -> Result<(), SecretStoreError> {
        match self.service() {
            Some(service) => {
                service.set(&name.id(), value)?;
                self.file.remove(&name.id())
            }
            None => self.file.set(&name.id(), value),
        }
    }

    /// Forgets the secret in both stores; forgetting one that is not there is not an error.
    pub fn remove(&self, name: &SecretName) -> Result<(), SecretStoreError> {
        if let Some(service) = self.service() {
            service.remove(&name.id())?;
        }
        self.file.remove(&name.id())
    }

    /// The key of each of `settings`' external deployments that has one, by name.
    pub fn deployment_keys(
        &self,
        settings: &crate::settings::Settings,
    ) -> std::collections::BTreeMap<String, Secret> {
        settings
            .deployments
            .iter()
            .filter_map(|d| Some((d.name.clone(), self.deployment_key(d)?)))
            .collect()
    }

    /// The key `deployment` sends: from its environment variable, or the stored one.
    pub fn deployment_key(&self, deployment: &ExternalDeployment) -> Option<Secret> {
        if let Some(key) = deployment.api_key_from_env() {
            return Some(Secret::new(key));
        }
        if !deployment.api_key_stored {
            return None;
        }
        match self.get(&SecretName::DeploymentKey(deployment.name.clone())) {
            Ok(key) => key,
            Err(error) => {
                tracing::warn!(deployment = %deployment.name, %error, "the deployment's key cannot be read");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_store_keeps_forgets_and_says_where() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SecretStore::file_only(dir.path().join("secrets.json"));
        let name = SecretName::DeploymentKey("gpu-2".into());
        assert_eq!(store.get(&name).expect("get"), None);
        store.set(&name, &Secret::new("sk-gpu2")).expect("set");
        store
            .set(&SecretName::HuggingFaceToken, &Secret::new("hf_x"))
            .expect("set");
        assert_eq!(store.get(&name).expect("get"), Some(Secret::new("sk-gpu2")));
        assert_eq!(store.info().holder, SecretHolder::File);
        assert!(store.info().description.contains("secrets.json"));
        store.remove(&name).expect("remove");
        store.remove(&name).expect("removing twice is fine");
        assert_eq!(store.get(&name).expect("get"), None);
        assert_eq!(
            store.get(&SecretName::HuggingFaceToken).expect("get"),
            Some(Secret::new("hf_x"))
        );
    }

    #[test]
    fn a_deployment_key_comes_from_its_variable_or_the_store() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SecretStore::file_only(dir.path().join("secrets.json"));
        let mut d = ExternalDeployment::openai("gpu-2", "http://gpu-2:8000/v1", "m");
        store
            .set(
                &SecretName::DeploymentKey("gpu-2".into()),
                &Secret::new("sk-stored"),
            )
            .expect("set");
        assert_eq!(store.deployment_key(&d), None, "not marked as stored");
        d.api_key_stored = true;
        assert_eq!(store.deployment_key(&d), Some(Secret::new("sk-stored")));
    }
}
