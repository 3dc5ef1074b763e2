//! `doctor`: walks the chain in order — the NVIDIA driver, each engine, each external
//! deployment (its address's traps, then `GET /models` with its key), the gateway (a real
//! one-token request through it, with a key when keys are required), GitLab's AI gateway and
//! GitLab — and says for each step pass / warn / fail / skip with its fix.

use duows_core::aigw::ContainerState;
use duows_core::catalog::Catalog;
use duows_core::doctor::{self, CheckStatus, DoctorLine, DoctorReport};
use duows_core::routing::feature_routes;

use crate::{ApiError, ApiState};

/// `doctor`: the report.
pub async fn doctor(state: &ApiState) -> Result<DoctorReport, ApiError> {
    let mut lines = Vec::new();
    let hardware = super::hardware(state).await?;
    lines.push(doctor::driver_line(&hardware));
    let engines = super::engines::existing_engine_statuses(state);
    if engines.is_empty() {
        lines.push(DoctorLine::new(
            "engine",
            "Engines",
            CheckStatus::Warn,
            "no engine runs in this program",
            Some("Start one on the Engines page, or with `duows engine start --model ID` (or `--gguf FILE`).".into()),
        ));
    }
    lines.extend(engines.iter().map(doctor::engine_line));
    let settings = state.settings_snapshot();
    for deployment in &settings.deployments {
        let title = format!("Deployment {}", deployment.name);
        let traps = doctor::endpoint_traps(&title, &deployment.endpoint, false);
        if traps.is_empty() {
            let check = crate::deployment_checks::check_now(state, deployment).await;
            lines.push(doctor::deployment_line(&deployment.name, &check));
        }
        lines.extend(traps);
    }
    lines.extend(gateway_lines(state).await);
    lines.push(ai_gateway_line(state).await);
    lines.push(DoctorLine::new(
        "gitlab",
        "GitLab",
        CheckStatus::Skip,
        "no GitLab connection is configured in this app",
        Some(
            "Enter in GitLab's admin pages the endpoint and identifiers the Gateway page shows."
                .into(),
        ),
    ));
    Ok(DoctorReport { lines })
}

/// GitLab's AI gateway: set up here, its container, its health.
async fn ai_gateway_line(state: &ApiState) -> DoctorLine {
    let title = "GitLab's AI gateway";
    let Ok(status) = super::ai_gateway_status(state).await else {
        return DoctorLine::new(
            "ai_gateway",
            title,
            CheckStatus::Skip,
            "its state could not be read",
            None,
        );
    };
    let Some(config) = &status.config else {
        return DoctorLine::new(
            "ai_gateway",
            title,
            CheckStatus::Skip,
            "not set up from this app",
            Some("Generate its keys and files: `duows ai-gateway setup --gitlab-url URL --gitlab-version X.Y`, then `duows ai-gateway start` (or run its run.sh where GitLab can reach it).".into()),
        );
    };
    match (&status.health, &status.container) {
        (Some(health), _) if health.healthy => DoctorLine::new(
            "ai_gateway",
            title,
            CheckStatus::Pass,
            format!("{}: {}", status.url.clone().unwrap_or_default(), health.message),
            None,
        ),
        (Some(health), ContainerState::NoRuntime { fix }) => DoctorLine::new(
            "ai_gateway",
            title,
            CheckStatus::Fail,
            health.message.clone(),
            Some(fix.clone()),
        ),
        (Some(health), container) => DoctorLine::new(
            "ai_gateway",
            title,
            CheckStatus::Fail,
            format!("{} (container: {})", health.message, match container {
                ContainerState::Present { status } => status.clone(),
                _ => "not created".into(),
            }),
            Some("Start it: `duows ai-gateway start` (or the Doctor's fix for Docker), then read its logs: `docker logs duows-ai-gateway`.".into()),
        ),
        (None, _) => DoctorLine::new(
            "ai_gateway",
            title,
            CheckStatus::Skip,
            format!("runs on another machine for {}", config.gitlab_url),
            Some("Check it there: `curl http://<its host>:5052/monitoring/healthz` must answer 200, and GitLab's Duo settings must name that address.".into()),
        ),
    }
}

/// The gateway: running, reachable from other machines, a feature routed, and a real
/// one-token request answered.
async fn gateway_lines(state: &ApiState) -> Vec<DoctorLine> {
    let Some(handle) = state.gateway() else {
        return vec![DoctorLine::new(
            "gateway",
            "Gateway",
            CheckStatus::Fail,
            "this program does not run the gateway",
            Some(
                "Start `duows serve` (or the desktop app): it runs the gateway GitLab calls."
                    .into(),
            ),
        )];
    };
    let addr = handle.local_addr();
    let mut lines = Vec::new();
    if addr.ip().is_loopback() {
        lines.push(DoctorLine::new(
            "gateway",
            "Gateway address",
            CheckStatus::Warn,
            format!("listens on {addr}: only this machine can reach it"),
            Some("For GitLab or its AI gateway on another machine or in a container, click \"Open the gateway to the network\" on the Settings page or in the setup's Gateway step, or start with `duows serve --gateway-host 0.0.0.0`; every call then needs a key.".into()),
        ));
    }
    let settings = state.settings_snapshot();
    let routed = Catalog::builtin()
        .ok()
        .map(|catalog| feature_routes(&settings, catalog))
        .unwrap_or_default()
        .into_iter()
        .find(|route| route.target.is_some());
    let Some(route) = routed else {
        lines.push(DoctorLine::new(
            "gateway",
            "Gateway request",
            CheckStatus::Warn,
            "no Duo feature is routed to a model, so the gateway has nothing to answer with",
            Some("Route the features on the Gateway page, or `duows features set duo_chat <engine>`.".into()),
        ));
        return lines;
    };
    let outcome = super::gateway_probe::ask(state, addr, &route.alias, "Say OK.", 1).await;
    let target_name = route.target.unwrap_or_default();
    lines.push(match outcome {
        Ok(answer) => DoctorLine::new(
            "gateway",
            "Gateway request",
            CheckStatus::Pass,
            format!("`{}` answered a one-token request through the gateway in {} ms (served by {target_name})", route.alias, answer.ms),
            None,
        ),
        Err(reason) => DoctorLine::new(
            "gateway",
            "Gateway request",
            CheckStatus::Fail,
            format!("`{}` (served by {target_name}) did not answer a one-token request: {reason}", route.alias),
            Some(format!("Check the deployment {target_name} above and the gateway's request log.")),
        ),
    });
    lines
}
