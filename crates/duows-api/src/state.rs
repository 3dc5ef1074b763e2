//! What the API functions share: the probe, the sampler, the data folder and settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tokio::sync::watch;

use duows_core::data_dir::DataDir;
use duows_core::engine::{EngineLauncher, ProcessLauncher, Supervisor};
use duows_core::hardware::{GpuProbe, SystemFacts, Warning};
use duows_core::sampler::{Sampler, DEFAULT_INTERVAL};
use duows_core::settings::{Settings, SettingsStore};

/// How to build an [`ApiState`].
pub struct StateOptions {
    /// The data folder (settings, logs, downloads).
    pub data_dir: DataDir,
    /// The GPU probe: NVML, or a hardware description.
    pub probe: Arc<dyn GpuProbe>,
}

/// Shared state behind every API call. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) probe: Arc<dyn GpuProbe>,
    pub(crate) system: Arc<SystemFacts>,
    pub(crate) sampler: Sampler,
    pub(crate) data_dir: DataDir,
    pub(crate) store: SettingsStore,
    /// Deployment keys and tokens: the desktop's secret service, else a 0600 file.
    pub(crate) secrets: duows_core::secrets::SecretStore,
    /// The settings in force; written to disk before they change here.
    pub(crate) settings: RwLock<Settings>,
    /// Serialises writers of the store file.
    pub(crate) save_lock: Mutex<()>,
    /// One settings update at a time, across its await points (the gateway's socket may move
    /// before the save, and move back if the save fails).
    pub(crate) update_lock: tokio::sync::Mutex<()>,
    /// Problems found at start that the user should see (e.g. an unreadable settings file).
    pub(crate) startup_warnings: Vec<Warning>,
    /// Becomes `true` when the program begins to stop: long-lived streams end.
    pub(crate) stopping: watch::Sender<bool>,
    /// The engines this program runs (made on first use).
    pub(crate) supervisor: OnceLock<Arc<Supervisor>>,
    /// The engine launcher seam; the real process launcher unless a test sets another.
    pub(crate) launcher: OnceLock<Arc<dyn EngineLauncher>>,
    /// Installs and downloads.
    pub(crate) jobs: duows_core::jobs::Jobs,
    /// The gateway, once it listens.
    pub(crate) gateway: OnceLock<crate::gateway_service::GatewayHandle>,
    /// What this program keeps about each engine it started, beside its status.
    pub(crate) engine_records: Mutex<HashMap<String, crate::engine_records::EngineRecord>>,
    /// Bumped whenever something the gateway's routes depend on changes (settings saved or
    /// reloaded, the supervisor made): the route table follows this, not a timer.
    pub(crate) changes: watch::Sender<u64>,
    /// The settings file's version the gateway's routes were last built from; `None` while
    /// nothing keeps the routes current (`gateway_routes::keep_routes_current`).
    pub(crate) routes_built_from: watch::Sender<Option<Option<duows_core::files::FileStamp>>>,
    /// The latest check of each external deployment.
    pub(crate) deployment_checks: crate::deployment_checks::DeploymentChecks,
    /// The engines' recent metrics, read when a dashboard asks.
    pub(crate) engine_scraper: duows_core::dashboard::EngineScraper,
    /// This machine's part in a cluster (made on first use).
    pub(crate) cluster: OnceLock<Arc<duows_core::cluster::ClusterMachine>>,
}

impl ApiState {
    /// Loads settings and starts the 1 Hz sampler.
    pub fn new(options: StateOptions) -> Self {
        let StateOptions { data_dir, probe } = options;
        let store = SettingsStore::new(data_dir.settings_file());
        let mut startup_warnings = Vec::new();
        let settings = store.load().unwrap_or_else(|error| {
            tracing::warn!(%error, "settings not loaded; using defaults until they are saved again");
            startup_warnings.push(Warning {
                code: "settings_unreadable".into(),
                message: format!("{error}. Defaults are in use until you save settings again."),
            });
            Settings::default()
        });
        let system = Arc::new(SystemFacts::new());
        let sampler = Sampler::start(Arc::clone(&probe), Arc::clone(&system), DEFAULT_INTERVAL);
        Self {
            inner: Arc::new(Inner {
                probe,
                system,
                sampler,
                secrets: duows_core::secrets::SecretStore::open(&data_dir),
                data_dir,
                store,
                settings: RwLock::new(settings),
                save_lock: Mutex::new(()),
                update_lock: tokio::sync::Mutex::new(()),
                startup_warnings,
                stopping: watch::channel(false).0,
                supervisor: OnceLock::new(),
                launcher: OnceLock::new(),
                jobs: duows_core::jobs::Jobs::default(),
                gateway: OnceLock::new(),
                engine_records: Mutex::new(HashMap::new()),
                changes: watch::channel(0).0,
                routes_built_from: watch::channel(None).0,
                deployment_checks: Default::default(),
                engine_scraper: Default::default(),
                cluster: OnceLock::new(),
            }),
        }
    }

    /// The data folder.
    /// Where deployment keys and tokens are kept.
    pub fn secrets(&self) -> &duows_core::secrets::SecretStore {
        &self.inner.secrets
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.inner.data_dir
    }

    /// Where model weights go: the settings' folder, else `<data folder>/models`.
    pub fn models_dir(&self) -> std::path::PathBuf {
        self.settings_snapshot()
            .models_dir
            .unwrap_or_else(|| self.inner.data_dir.default_models_dir())
    }

    /// The sampler, for transports that stream samples.
    pub fn sampler(&self) -> &Sampler {
        &self.inner.sampler
    }

    /// Uses `launcher` for engines instead of real processes (before the first start).
    pub fn use_launcher(&self, launcher: Arc<dyn EngineLauncher>) -> bool {
        self.inner.launcher.set(launcher).is_ok()
    }

    /// The supervisor of this program's engines.
    pub fn supervisor(&self) -> Result<Arc<Supervisor>, crate::ApiError> {
        if let Some(supervisor) = self.inner.supervisor.get() {
            return Ok(Arc::clone(supervisor));
        }
        let launcher = match self.inner.launcher.get() {
            Some(launcher) => Arc::clone(launcher),
            None => {
                let real: Arc<dyn EngineLauncher> =
                    Arc::new(ProcessLauncher::new().map_err(|e| {
                        crate::ApiError::internal(format!("cannot start the engine launcher: {e}"))
                    })?);
                Arc::clone(self.inner.launcher.get_or_init(|| real))
            }
        };
        let logs = self.inner.data_dir.logs_dir().join("engines");
        let mut made = false;
        let supervisor = Arc::clone(self.inner.supervisor.get_or_init(|| {
            made = true;
            Arc::new(Supervisor::new(launcher, logs))
        }));
        if made {
            self.notify_change();
        }
        Ok(supervisor)
    }

    /// Tells whoever follows [`ApiState::changes`] that something changed.
    pub(crate) fn notify_change(&self) {
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A channel that changes whenever the settings in force change or the engines'
    /// supervisor is made (then follow [`Supervisor::changes`] too).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Records the listening gateway (once).
    pub(crate) fn set_gateway(&self, handle: crate::gateway_service::GatewayHandle) {
        let _ = self.inner.gateway.set(handle);
    }

    /// The listening gateway, if this program runs one.
    pub fn gateway(&self) -> Option<&crate::gateway_service::GatewayHandle> {
        self.inner.gateway.get()
    }

    /// The supervisor, if an engine was ever started (does not create one).
    pub(crate) fn existing_supervisor(&self) -> Option<Arc<Supervisor>> {
        self.inner.supervisor.get().cloned()
    }

    /// The settings file's stamp, to notice another program's save.
    pub(crate) fn settings_file_stamp(&self) -> Option<duows_core::files::FileStamp> {
        duows_core::files::FileStamp::read(self.inner.store.path())
    }

    /// The settings file (watched for another program's saves).
    pub(crate) fn settings_file(&self) -> &std::path::Path {
        self.inner.store.path()
    }

    /// This machine's part in a cluster: its node registry, membership and Ray processes.
    pub fn cluster(&self) -> Arc<duows_core::cluster::ClusterMachine> {
        Arc::clone(self.inner.cluster.get_or_init(|| {
            Arc::new(duows_core::cluster::ClusterMachine::new(
                self.inner.data_dir.root(),
            ))
        }))
    }

    /// Stops every engine this program started, and its Ray processes (at exit).
    pub async fn stop_engines(&self) {
        if let Some(supervisor) = self.inner.supervisor.get() {
            supervisor.stop_all().await;
        }
        if let Some(cluster) = self.inner.cluster.get() {
            cluster.shutdown().await;
        }
    }

    /// Ends the long-lived streams (sample streams, channels) so a stop can drain.
    /// Whether the program began to stop.
    pub(crate) fn is_stopping(&self) -> bool {
        *self.inner.stopping.borrow()
    }

    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Resolves once [`ApiState::begin_shutdown`] was called.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut stopping = self.inner.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
    }

    /// Replaces the settings in force with the store file's, when it can be read.
    pub(crate) fn reload_settings(&self) {
        match self.inner.store.load() {
            Ok(settings) => self.put_settings(settings),
            Err(error) => tracing::debug!(%error, "settings not reloaded"),
        }
    }

    /// Puts `settings` in force; followers of [`ApiState::changes`] hear of a change.
    pub(crate) fn put_settings(&self, settings: Settings) {
        let mut current = self
            .inner
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if *current == settings {
            return;
        }
        *current = settings;
        drop(current);
        self.notify_change();
    }

    pub(crate) fn settings_snapshot(&self) -> Settings {
        self.inner
            .settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
