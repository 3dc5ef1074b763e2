//! The gateway's routes, from what this program knows: the engines it runs, the external
//! deployments in the settings, and which model serves each Duo feature.
//!
//! Which deployment serves each feature's stable alias is the core's rule
//! (`duows_core::routing`); here it becomes the gateway's table. [`keep_routes_current`] rebuilds the table as soon as the engines or the settings change
//! (including a change another program made to the settings file), without a restart and
//! without touching requests in flight.

use std::time::Duration;

use duows_core::catalog::Catalog;
use duows_core::engine::{EngineEndpoint, EngineState};
use duows_core::file_watch::FileWatch;
use duows_core::routing::feature_routes;
use duows_core::settings::Settings;
use duows_gateway::{
    Alias, Deployment, Gateway, ListedState, Readiness, Replica, RouteTable, Secret,
};
use std::collections::BTreeMap;

use crate::ApiState;

/// How often the settings file is checked besides its file events (a safety net: the
/// events make a change apply at once).
const FILE_POLL: Duration = Duration::from_secs(1);

/// The route table for these engines and settings. An engine and an external deployment
/// with the same name: the engine wins (settings validation cannot see engines).
pub fn route_table(
    settings: &Settings,
    catalog: &Catalog,
    engines: &[EngineEndpoint],
    keys: &BTreeMap<String, Secret>,
    checks: &BTreeMap<String, ListedState>,
) -> RouteTable {
    let mut deployments: Vec<Deployment> = engines
        .iter()
        .filter(|e| !matches!(e.status.state, EngineState::Stopped))
        .map(|engine| Deployment {
            name: engine.status.name.clone(),
            served_model: engine.status.name.clone(),
            base_url: engine.status.base_url.clone(),
            api_key: Some(engine.api_key.clone()),
            readiness: readiness(engine),
            listing: None,
            replicas: Vec::new(),
        })
        .collect();
    // Bedrock and Azure deployments are GitLab's AI gateway's to call, not this gateway's.
    for external in settings
        .deployments
        .iter()
        .filter(|d| d.platform.through_gateway())
    {
        if deployments.iter().any(|d| d.name == external.name) {
            continue;
        }
        let key = keys.get(&external.name);
        deployments.push(Deployment {
            name: external.name.clone(),
            served_model: external.served_model.clone(),
            base_url: external.endpoint.trim_end_matches('/').to_owned(),
            api_key: key.cloned(),
            // More endpoints serving the model: the gateway spreads requests over them.
            replicas: external
                .replicas
                .iter()
                .map(|r| Replica {
                    base_url: r.endpoint.trim_end_matches('/').to_owned(),
                    api_key: r.key(key),
                })
                .collect(),
            // Requests are forwarded whatever the last check said: the request itself is
            // the freshest check, and its failure reaches the client with the reason. What
            // `/v1/models` says of it is the last check's verdict (never ready unchecked).
            readiness: Readiness::Ready,
            listing: Some(
                checks
                    .get(&external.name)
                    .cloned()
                    .unwrap_or_else(crate::deployment_checks::unchecked_state),
            ),
        });
    }
    let aliases = feature_routes(settings, catalog)
        .into_iter()
        .map(|route| Alias {
            name: route.alias,
            target: route.target,
        })
        .collect();
    RouteTable {
        deployments,
        aliases,
    }
}

fn readiness(engine: &EngineEndpoint) -> Readiness {
    let not_ready = |reason: String, retry_after_s: u32| Readiness::NotReady {
        reason,
        retry_after_s,
    };
    let name = &engine.status.name;
    match engine.status.state {
        EngineState::Ready => Readiness::Ready,
        EngineState::Failed => not_ready(
            format!(
                "the engine {name} failed: {}",
                engine
                    .status
                    .failure
                    .as_ref()
                    .map_or("see its log", |f| f.fix.as_str())
            ),
            60,
        ),
        EngineState::BackingOff => {
            let wait_ms = engine
                .status
                .next_start_ms
                .unwrap_or(0)
                .saturating_sub(duows_base::clock::now_ms());
            not_ready(
                format!("the engine {name} is restarting after a failure"),
                u32::try_from(wait_ms / 1000).unwrap_or(60).clamp(5, 300),
            )
        }
        EngineState::Stopping | EngineState::Stopped => {
            not_ready(format!("the engine {name} is stopping"), 30)
        }
        _ => not_ready(format!("the engine {name} is still loading its model"), 10),
    }
}

/// How often the deployments' keys are read again without a change being announced (a
/// key stored by `duows` in another process).
const KEY_REFRESH: Duration = Duration::from_secs(10);

/// What the routes were built from, to rebuild only on a change.
#[derive(PartialEq)]
struct Inputs {
    settings: Settings,
    engines: Vec<(String, EngineState, String)>,
    keys: BTreeMap<String, Secret>,
    checks: BTreeMap<String, ListedState>,
}

/// The last check of each external deployment, as `/v1/models` lists it.
pub fn deployment_states(state: &ApiState, settings: &Settings) -> BTreeMap<String, ListedState> {
    settings
        .deployments
        .iter()
        .filter_map(|d| {
            let check = state.inner.deployment_checks.latest(d)?;
            Some((
                d.name.clone(),
                crate::deployment_checks::listed_state(&check),
            ))
        })
        .collect()
}

/// Keeps `gateway`'s routes in step with the engines and the settings until the program
/// begins to stop. The table is rebuilt as soon as an engine's state changes, the settings
/// are saved, or another program replaces the settings file (watched with file events;
/// where they are unavailable, the file is checked every [`FILE_POLL`]).
pub async fn keep_routes_current(state: ApiState, gateway: Gateway) {
    let Ok(catalog) = Catalog::builtin() else {
        tracing::error!("the catalog is unavailable; the gateway has no feature aliases");
        return;
    };
    let stopped = state.stopped();
    tokio::pin!(stopped);
    let mut state_changes = state.changes();
    let watch_state = state.clone();
    let file_watch = FileWatch::start(state.settings_file(), move || {
        watch_state.reload_settings();
    });
    if let Err(error) = &file_watch {
        tracing::warn!(%error, "settings changed by `duows` reach the gateway within {FILE_POLL:?}");
    }
    let mut last: Option<Inputs> = None;
    let mut file_stamp = state.settings_file_stamp();
    let mut keys = BTreeMap::new();
    let mut keys_read_at: Option<std::time::Instant> = None;
    loop {
        let stamp = state.settings_file_stamp();
        if stamp != file_stamp {
            file_stamp = stamp;
            state.reload_settings();
        }
        let supervisor = state.existing_supervisor();
        let mut engine_changes = supervisor.as_ref().map(|s| s.changes());
        let engines = supervisor.map(|s| s.endpoints()).unwrap_or_default();
        let settings = state.settings_snapshot();
        if keys_read_at.is_none_or(|at| at.elapsed() >= KEY_REFRESH) {
            // The secret service answers over D-Bus: not on the runtime's own threads.
            let (read, secrets) = (settings.clone(), state.secrets().clone());
            keys = tokio::task::spawn_blocking(move || secrets.deployment_keys(&read))
                .await
                .unwrap_or_default();
            keys_read_at = Some(std::time::Instant::now());
        }
        let inputs = Inputs {
            keys: keys.clone(),
            checks: deployment_states(&state, &settings),
            settings,
            engines: engines
                .iter()
                .map(|e| {
                    (
                        e.status.name.clone(),
                        e.status.state,
                        e.status.base_url.clone(),
                    )
                })
                .collect(),
        };
        if last.as_ref() != Some(&inputs) {
            gateway.set_routes(route_table(
                &inputs.settings,
                catalog,
                &engines,
                &inputs.keys,
                &inputs.checks,
            ));
            last = Some(inputs);
        }
        state.inner.routes_built_from.send_replace(Some(file_stamp));
        let engine_changed = async {
            match engine_changes.as_mut() {
                Some(changes) => {
                    if changes.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = &mut stopped => {
                state.inner.routes_built_from.send_replace(None);
                return;
            }
            _ = state_changes.changed() => keys_read_at = None,
            () = engine_changed => {}
            () = tokio::time::sleep(FILE_POLL) => {}
        }
    }
}

/// How long a gateway request waits for the routes of a settings file another program just
/// replaced (they are rebuilt in well under a millisecond; this only bounds a stuck loop).
const ROUTES_WAIT: Duration = Duration::from_secs(1);

/// Makes "a routing change applies to the very next request" true whatever the timing of
/// the file events: before a gateway request is routed, a settings file newer than the
/// routes is read and the request waits until the routes are built from it. One `stat` per
/// request when nothing changed.
pub async fn routes_follow_the_settings_file(state: &ApiState) {
    let mut built = state.inner.routes_built_from.subscribe();
    let Some(from) = *built.borrow() else {
        return; // nothing keeps the routes current: nothing to wait for
    };
    let now = state.settings_file_stamp();
    if from == now {
        return;
    }
    // The routes loop reads the file when it wakes: wake it. Routes built from any other
    // version than the old one were built from a read at least as new as this request's
    // (also when the file changed again meanwhile).
    state.notify_change();
    let applied = built.wait_for(|b| b.is_none_or(|built_from| built_from != from));
    if tokio::time::timeout(ROUTES_WAIT, applied).await.is_err() {
        tracing::debug!(
            "routes not rebuilt within {ROUTES_WAIT:?}; the request uses the current ones"
        );
    }
}
