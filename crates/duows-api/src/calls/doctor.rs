//! `doctor`: walks the chain in order — the NVIDIA driver, each engine, each external
//! deployment (its address's traps, then `GET /models` with its key), the gateway (a real
//! one-token request through it, with a key when keys are required), GitLab's AI gateway and
//! GitLab — and says for each step pass / warn / fail / skip with its fix.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use duows_core::aigw::ContainerState;
use duows_core::catalog::Catalog;
use duows_core::doctor::{self, CheckStatus, DoctorLine, DoctorReport};
use duows_core::routing::feature_routes;

use crate::gateway_service::key_store;
use crate::{ApiError, ApiState};

/// How long the gateway's one-token request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// `doctor`: the report.
pub async fn doctor(state: &ApiState) -> Result<DoctorReport, ApiError> {
    let mut lines = Vec::new();
    let hardware = super::hardware(state).await?;
    lines.push(doctor::driver_line(&hardware));
    let engines = state
        .existing_supervisor()
        .map(|s| s.statuses())
        .unwrap_or_default();
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
    let addr = handle.local_addr;
    let mut lines = Vec::new();
    if addr.ip().is_loopback() {
        lines.push(DoctorLine::new(
            "gateway",
            "Gateway address",
            CheckStatus::Warn,
            format!("listens on {addr}: only this machine can reach it"),
            Some("For GitLab or its AI gateway on another machine or in a container, open it to the network: `duows serve --gateway-host 0.0.0.0` (a key is then required).".into()),
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
    let keys = match key_store(state) {
        Ok(keys) => keys,
        Err(error) => {
            lines.push(DoctorLine::new(
                "gateway",
                "Gateway keys",
                CheckStatus::Fail,
                error.message,
                Some("Check that the data folder is readable and writable.".into()),
            ));
            return lines;
        }
    };
    // With keys required, a short-lived key of its own, removed afterwards; without, none
    // (creating one would make keys required for everyone meanwhile).
    let key = if keys.has_active_keys() {
        let expires = duows_base::clock::now_secs() + 3600;
        match keys.create("doctor", Some(expires)) {
            Ok((info, secret)) => Some((info, secret)),
            Err(error) => {
                lines.push(DoctorLine::new(
                    "gateway",
                    "Gateway request",
                    CheckStatus::Fail,
                    format!("no key could be made for the check: {error}"),
                    Some("Revoke the key called `doctor` (`duows keys revoke doctor`) and run the doctor again.".into()),
                ));
                return lines;
            }
        }
    } else {
        None
    };
    let target = SocketAddr::new(
        if addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            addr.ip()
        },
        addr.port(),
    );
    let outcome = one_token(target, &route.alias, key.as_ref().map(|(_, s)| s.expose())).await;
    if let Some((info, _)) = &key {
        // Used once: gone from the key list, not left there revoked.
        let _ = keys.remove(&info.id);
    }
    let target_name = route.target.unwrap_or_default();
    lines.push(match outcome {
        Ok(ms) => DoctorLine::new(
            "gateway",
            "Gateway request",
            CheckStatus::Pass,
            format!("`{}` answered a one-token request through the gateway in {ms} ms (served by {target_name})", route.alias),
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

/// One chat request of one token for `model` at the gateway on `addr`: its time, or why it
/// failed.
async fn one_token(addr: SocketAddr, model: &str, key: Option<&str>) -> Result<u64, String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let body = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say OK."}],
        "max_tokens": 1,
    });
    let mut request = client
        .post(format!("http://{addr}/v1/chat/completions"))
        .json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let started = Instant::now();
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() && answer["choices"].is_array() {
        return Ok(started.elapsed().as_millis() as u64);
    }
    let message = answer["error"]["message"]
        .as_str()
        .unwrap_or("no OpenAI answer")
        .to_owned();
    Err(format!("HTTP {}: {message}", status.as_u16()))
}
