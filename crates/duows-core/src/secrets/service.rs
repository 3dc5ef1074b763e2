//! The desktop's secret service (freedesktop Secret Service: GNOME Keyring, KWallet) through
//! the `keyring` crate, under the service name `duo-workstation`. [`ServiceProbe`] asks it
//! once whether it answers, in the background and with a time limit (a session without one
//! can leave a D-Bus call waiting, and a keyring started on demand takes a while): a program
//! starts without waiting for it, and the first use of a secret waits for the answer.

use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use duows_base::Secret;

use super::SecretStoreError;

/// The service name every secret of this app is stored under.
const SERVICE: &str = "duo-workstation";

/// How long the first question to the secret service may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A secret service that answered.
#[derive(Debug, Clone)]
pub struct ServiceStore;

/// The question "does a secret service answer?", asked in the background.
#[derive(Debug)]
pub struct ServiceProbe {
    waiting: Mutex<Option<(mpsc::Receiver<bool>, Instant)>>,
    answer: OnceLock<Option<ServiceStore>>,
}

impl ServiceProbe {
    /// Asks now, without waiting for the answer.
    pub fn start() -> Self {
        Self {
            waiting: Mutex::new(Some((ServiceStore::ask(), Instant::now() + PROBE_TIMEOUT))),
            answer: OnceLock::new(),
        }
    }

    /// No secret service (the secrets file only).
    pub fn none() -> Self {
        let answer = OnceLock::new();
        let _ = answer.set(None);
        Self {
            waiting: Mutex::new(None),
            answer,
        }
    }

    /// The secret service, when it answered within [`PROBE_TIMEOUT`] of the question.
    pub fn service(&self) -> Option<&ServiceStore> {
        self.answer
            .get_or_init(|| {
                let waiting = self
                    .waiting
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                let (receiver, deadline) = waiting?;
                let left = deadline.saturating_duration_since(Instant::now());
                receiver
                    .recv_timeout(left)
                    .unwrap_or(false)
                    .then_some(ServiceStore)
            })
            .as_ref()
    }
}

impl ServiceStore {
    /// Asks the secret service whether it answers; the answer comes on the channel.
    fn ask() -> mpsc::Receiver<bool> {
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
