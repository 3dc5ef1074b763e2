//! The desktop's secret service (freedesktop Secret Service: GNOME Keyring, KWallet) through
//! the `keyring` crate, under the service name `duo-workstation`. [`ServiceStore::connect`]
//! asks it once whether it answers, with a time limit, since a session without one can
//! leave a D-Bus call waiting.

use std::sync::mpsc;
use std::time::Duration;

use duows_base::Secret;

use super::SecretStoreError;

/// The service name every secret of this app is stored under.
const SERVICE: &str = "duo-workstation";

/// How long the first question to the secret service may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A secret service that answered.
#[derive(Debug, Clone)]
pub struct ServiceStore;

impl ServiceStore {
    /// The secret service, when one answers within [`PROBE_TIMEOUT`].
    pub fn connect() -> Option<Self> {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let answer = keyring::Entry::new(SERVICE, "availability-check")
                .and_then(|entry| entry.get_password());
            let usable = matches!(answer, Ok(_) | Err(keyring::Error::NoEntry));
            if let Err(error) = &answer {
                if !usable {
                    tracing::debug!(%error, "no desktop secret service; secrets go to a file");
                }
            }
            let _ = sender.send(usable);
        });
        receiver
            .recv_timeout(PROBE_TIMEOUT)
            .unwrap_or(false)
            .then_some(Self)
    }

    fn entry(id: &str) -> Result<keyring::Entry, SecretStoreError> {
        keyring::Entry::new(SERVICE, id).map_err(|e| SecretStoreError::Service(e.to_string()))
    }

    /// The value of `id`, if stored.
    pub fn get(&self, id: &str) -> Result<Option<Secret>, SecretStoreError> {
        match Self::entry(id)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretStoreError::Service(e.to_string())),
        }
    }

    /// Stores `value` under `id`.
    pub fn set(&self, id: &str, value: &Secret) -> Result<(), SecretStoreError> {
        Self::entry(id)?
            .set_password(value.expose())
            .map_err(|e| SecretStoreError::Service(e.to_string()))
    }

    /// Removes `id`; one that is not there is not an error.
    pub fn remove(&self, id: &str) -> Result<(), SecretStoreError> {
        match Self::entry(id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretStoreError::Service(e.to_string())),
        }
    }
}
