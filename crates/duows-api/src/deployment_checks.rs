//! Keeps a current check of every external deployment in the settings: checked at once
//! when one is added or changed, then every [`RECHECK`]; the gateway page and the route
//! table read the latest result, so an endpoint that does not answer is never shown as ready.

use std::collections::HashMap;
use std::time::Duration;

use duows_core::deployment_check::{check_external, DeploymentCheck, Reachability};
use duows_core::settings::ExternalDeployment;
use duows_gateway::ListedState;

use crate::ApiState;

/// What a check found, as the gateway's `/v1/models` and the gateway page show it.
pub(crate) fn listed_state(check: &DeploymentCheck) -> ListedState {
    let ready = check.reachability == Reachability::Reachable;
    ListedState {
        ready,
        status: serde_json::to_value(check.reachability)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        reason: (!ready).then(|| check.message.clone()),
    }
}

/// A deployment nobody checked yet: never shown as ready.
pub(crate) fn unchecked_state() -> ListedState {
    ListedState {
        ready: false,
        status: "unchecked".into(),
        reason: Some("not checked yet".into()),
    }
}

/// How often a deployment is checked again.
pub const RECHECK: Duration = Duration::from_secs(30);

/// The latest check of each deployment, with what it was made for.
#[derive(Default)]
pub(crate) struct DeploymentChecks {
    by_name: std::sync::RwLock<HashMap<String, (ExternalDeployment, DeploymentCheck)>>,
}

impl DeploymentChecks {
    /// The latest check of `deployment`, if one was made for it as it is now.
    pub(crate) fn latest(&self, deployment: &ExternalDeployment) -> Option<DeploymentCheck> {
        let map = self.by_name.read().unwrap_or_else(|p| p.into_inner());
        map.get(&deployment.name)
            .filter(|(checked, _)| checked == deployment)
            .map(|(_, check)| check.clone())
    }

    /// Records a check; true when what it found differs from the last one.
    fn record(&self, deployment: &ExternalDeployment, check: DeploymentCheck) -> bool {
        let mut map = self.by_name.write().unwrap_or_else(|p| p.into_inner());
        // A new verdict, reason or model list is news; the time alone is not (it would
        // announce every deployment every 30 s).
        let changed = map.get(&deployment.name).is_none_or(|(before, last)| {
            before != deployment
                || last.reachability != check.reachability
                || last.message != check.message
                || last.models != check.models
        });
        map.insert(deployment.name.clone(), (deployment.clone(), check));
        changed
    }

    /// Drops the checks of deployments that are gone.
    fn retain(&self, names: &[&str]) {
        let mut map = self.by_name.write().unwrap_or_else(|p| p.into_inner());
        map.retain(|name, _| names.contains(&name.as_str()));
    }

    /// Whether `deployment` needs a check now: never checked as it is, or checked too long ago.
    fn due(&self, deployment: &ExternalDeployment, now_ms: u64) -> bool {
        self.latest(deployment).is_none_or(|check| {
            now_ms.saturating_sub(check.checked_at_ms) >= RECHECK.as_millis() as u64
        })
    }
}

/// Checks `deployment` now, keeps the result, and announces a change in what was found.
pub(crate) async fn check_now(
    state: &ApiState,
    deployment: &ExternalDeployment,
) -> DeploymentCheck {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_default();
    let (wanted, secrets) = (deployment.clone(), state.inner.secrets.clone());
    let key = tokio::task::spawn_blocking(move || secrets.deployment_key(&wanted))
        .await
        .unwrap_or_default();
    let check = check_external(&client, deployment, key.as_ref()).await;
    if state
        .inner
        .deployment_checks
        .record(deployment, check.clone())
    {
        state.notify_change();
    }
    check
}

/// Checks the external deployments until the program begins to stop: each one as soon as
/// it is added or changed, then every [`RECHECK`]. A change in what a check found is
/// announced on [`ApiState::changes`], so the route table and the live views follow.
pub async fn keep_deployments_checked(state: ApiState) {
    let client = match reqwest::Client::builder().no_proxy().build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "deployments cannot be checked");
            return;
        }
    };
    let stopped = state.stopped();
    tokio::pin!(stopped);
    let mut changes = state.changes();
    loop {
        let deployments = state.settings_snapshot().deployments;
        let names: Vec<&str> = deployments.iter().map(|d| d.name.as_str()).collect();
        let checks = &state.inner.deployment_checks;
        checks.retain(&names);
        let now = duows_base::clock::now_ms();
        let due: Vec<&ExternalDeployment> =
            deployments.iter().filter(|d| checks.due(d, now)).collect();
        // The secret service answers over D-Bus: not on the runtime's own threads.
        let (wanted, secrets) = (
            due.iter().map(|d| (*d).clone()).collect::<Vec<_>>(),
            state.inner.secrets.clone(),
        );
        let keys: Vec<_> = tokio::task::spawn_blocking(move || {
            wanted.iter().map(|d| secrets.deployment_key(d)).collect()
        })
        .await
        .unwrap_or_else(|_| vec![None; due.len()]);
        let results = futures_util::future::join_all(
            due.iter()
                .zip(&keys)
                .map(|(d, key)| check_external(&client, d, key.as_ref())),
        )
        .await;
        let mut changed = false;
        for (deployment, check) in due.into_iter().zip(results) {
            changed |= checks.record(deployment, check);
        }
        if changed {
            state.notify_change();
            // This loop's own announcement is not news to it.
            changes.borrow_and_update();
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = changes.changed() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
