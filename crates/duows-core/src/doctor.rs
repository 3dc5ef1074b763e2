//! The doctor: the whole chain from the GPU to GitLab, checked in order, each step pass /
//! warn / fail / skip with its fix in one sentence. This module holds the report's shape and
//! the judgements (pure); the API gathers the facts (probe, engines, deployments, a request
//! through the gateway) and calls them.

use serde::{Deserialize, Serialize};

use crate::deployment_check::{DeploymentCheck, Reachability};
use crate::engine::{EngineState, EngineStatus};
use crate::gitlab::address::{names_this_machine, url_host};
use crate::hardware::{DriverStatus, HardwareReport};

/// How one step came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Works.
    Pass,
    /// Works, with something to look at.
    Warn,
    /// Broken: the chain stops here.
    Fail,
    /// Not set up, or not checkable before an earlier step passes.
    Skip,
}

/// One step of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DoctorLine {
    /// The part of the chain: `driver`, `engine`, `deployment`, `gateway`, `ai_gateway`,
    /// `gitlab`.
    pub area: String,
    /// What was checked, e.g. "Engine tiny".
    pub title: String,
    /// The outcome.
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// What to do, in one sentence, when it is not a pass.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl DoctorLine {
    /// A line; the fix is dropped from a pass.
    pub fn new(
        area: &str,
        title: impl Into<String>,
        status: CheckStatus,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            area: area.to_owned(),
            title: title.into(),
            status,
            detail: detail.into(),
            fix: fix.filter(|_| status != CheckStatus::Pass),
        }
    }
}

/// The whole report, in the chain's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DoctorReport {
    /// Every step.
    pub lines: Vec<DoctorLine>,
}

impl DoctorReport {
    /// Whether any step failed.
    pub fn failed(&self) -> bool {
        self.lines.iter().any(|l| l.status == CheckStatus::Fail)
    }

    /// How many steps came out `status`.
    pub fn count(&self, status: CheckStatus) -> usize {
        self.lines.iter().filter(|l| l.status == status).count()
    }
}

/// The NVIDIA driver and NVML.
pub fn driver_line(report: &HardwareReport) -> DoctorLine {
    let driver = &report.driver;
    let status = match driver.status {
        DriverStatus::Ok if report.gpus.is_empty() => CheckStatus::Fail,
        DriverStatus::Ok if report.warnings.is_empty() => CheckStatus::Pass,
        DriverStatus::Ok => CheckStatus::Warn,
        DriverStatus::Described => CheckStatus::Warn,
        _ => CheckStatus::Fail,
    };
    let mut detail = driver.message.clone();
    for warning in &report.warnings {
        detail.push(' ');
        detail.push_str(&warning.message);
    }
    let fix = driver.remedy.clone().or_else(|| match driver.status {
        DriverStatus::Described => Some(
            "Described hardware is for planning: run on the machine with the GPUs to serve models."
                .into(),
        ),
        _ => report.warnings.first().map(|w| w.message.clone()),
    });
    DoctorLine::new("driver", "NVIDIA driver and NVML", status, detail, fix)
}

/// One engine of this app.
pub fn engine_line(engine: &EngineStatus) -> DoctorLine {
    let title = format!("Engine {}", engine.name);
    let (status, detail, fix) = match engine.state {
        EngineState::Ready if engine.warnings.is_empty() => (
            CheckStatus::Pass,
            format!("ready at {}", engine.base_url),
            None,
        ),
        EngineState::Ready => (
            CheckStatus::Warn,
            format!(
                "ready at {}; {}",
                engine.base_url,
                engine.warnings.join("; ")
            ),
            Some("See the engine's log for the warning's cause.".into()),
        ),
        EngineState::Starting | EngineState::Installing | EngineState::Downloading => (
            CheckStatus::Warn,
            format!("not ready yet ({})", state_word(engine.state)),
            Some("Wait for it to finish starting, then run the doctor again.".into()),
        ),
        EngineState::Failed | EngineState::BackingOff => {
            let failure = engine.failure.as_ref();
            (
                CheckStatus::Fail,
                failure.map_or_else(
                    || format!("{} with no classified cause", state_word(engine.state)),
                    |f| f.evidence.clone(),
                ),
                Some(failure.map_or_else(
                    || format!("Read its log: {}.", engine.log_path.display()),
                    |f| f.fix.clone(),
                )),
            )
        }
        EngineState::Stopped | EngineState::Stopping => (
            CheckStatus::Warn,
            "stopped".into(),
            Some(format!(
                "Start it again: `duows engine start` for {}.",
                engine.name
            )),
        ),
    };
    DoctorLine::new("engine", title, status, detail, fix)
}

fn state_word(state: EngineState) -> &'static str {
    match state {
        EngineState::Stopped => "stopped",
        EngineState::Installing => "installing",
        EngineState::Downloading => "downloading",
        EngineState::Starting => "starting",
        EngineState::Ready => "ready",
        EngineState::Failed => "failed",
        EngineState::BackingOff => "backing off after a failure",
        EngineState::Stopping => "stopping",
    }
}

/// The traps of an endpoint GitLab or the gateway is given (gitlab-duo-facts §3 and §10):
/// a missing `/v1`, a doubled `/v1/v1`, `localhost` (which the AI gateway's container and
/// another machine cannot reach). `for_gitlab`: the endpoint is one GitLab will call.
pub fn endpoint_traps(title: &str, endpoint: &str, for_gitlab: bool) -> Vec<DoctorLine> {
    let mut lines = Vec::new();
    let trimmed = endpoint.trim_end_matches('/');
    if trimmed.ends_with("/v1/v1") {
        lines.push(DoctorLine::new(
            "deployment",
            title,
            CheckStatus::Fail,
            format!("{endpoint} ends in /v1/v1: requests go to /v1/v1/chat/completions and fail with 404"),
            Some(format!("Use {}.", &trimmed[..trimmed.len() - 3])),
        ));
    } else if !trimmed.ends_with("/v1") {
        lines.push(DoctorLine::new(
            "deployment",
            title,
            CheckStatus::Fail,
            format!(
                "{endpoint} does not end in /v1: an OpenAI-compatible server answers 404 there"
            ),
            Some(format!("Use {trimmed}/v1.")),
        ));
    }
    if for_gitlab {
        let host = url_host(trimmed);
        if names_this_machine(&host) {
            lines.push(DoctorLine::new(
                "deployment",
                title,
                CheckStatus::Fail,
                format!("{endpoint} names this machine as `{host}`: GitLab's AI gateway (in a container, or on another machine) reaches itself there, not this machine"),
                Some("Give GitLab this machine's hostname or LAN address, and open the gateway to the network.".into()),
            ));
        }
    }
    lines
}

/// The host of `url` when it is a private (RFC 1918) IPv4 address or `.local` name.
fn private_host(url: &str) -> Option<String> {
    let host = url_host(url);
    let private = match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_private() || ip.is_link_local(),
        Err(_) => host.ends_with(".local"),
    };
    private.then_some(host)
}

/// An external deployment's check (`GET <endpoint>/models` with its key).
pub fn deployment_line(name: &str, check: &DeploymentCheck) -> DoctorLine {
    let title = format!("Deployment {name}");
    let latency = check
        .latency_ms
        .map(|ms| format!(" ({ms} ms)"))
        .unwrap_or_default();
    let (status, fix) = match check.reachability {
        Reachability::Reachable => (CheckStatus::Pass, None),
        Reachability::WrongKey => (
            CheckStatus::Fail,
            Some(format!(
                "Give it a key the endpoint accepts: `duows deployments key {name}` (or its environment variable, then restart)."
            )),
        ),
        Reachability::ModelMissing => (
            CheckStatus::Fail,
            Some(format!(
                "Set its served model to one the endpoint lists: {}.",
                if check.models.is_empty() {
                    "none".to_owned()
                } else {
                    check.models.join(", ")
                }
            )),
        ),
        Reachability::Unreachable => (
            CheckStatus::Fail,
            Some("Check that the server runs and that this machine can reach its address.".into()),
        ),
        Reachability::CheckedByGitlab => (CheckStatus::Skip, None),
    };
    DoctorLine::new(
        "deployment",
        title,
        status,
        format!("{}{latency}", check.message),
        fix,
    )
}

/// GitLab, from the plan of configuring it like this app (`gitlab::plan_against`): reachable
/// with its version; a family that no longer follows the model behind an alias (GitLab picks
/// its prompts by family); other differences. `Err`: why GitLab could not be read.
pub fn gitlab_lines(plan: Result<&crate::gitlab::Plan, String>) -> Vec<DoctorLine> {
    let plan = match plan {
        Ok(plan) => plan,
        Err(reason) => {
            let fix = if reason.to_ascii_lowercase().contains("certificate") {
                "GitLab's certificate is not trusted on this machine (self-signed?): add its CA to the system's trust store (`/usr/local/share/ca-certificates`, then `sudo update-ca-certificates`), and give the AI gateway the same bundle (`duows ai-gateway setup --ca-bundle FILE`)."
            } else {
                "Check GitLab's address, that it answers from this machine, and that the token is an administrator's personal access token with the `api` scope."
            };
            return vec![DoctorLine::new(
                "gitlab",
                "GitLab",
                CheckStatus::Fail,
                reason,
                Some(fix.into()),
            )];
        }
    };
    let mut lines = vec![DoctorLine::new(
        "gitlab",
        "GitLab",
        CheckStatus::Pass,
        format!(
            "{} answers, version {}",
            plan.gitlab_url, plan.gitlab_version
        ),
        None,
    )];
    let mut families = Vec::new();
    for model in &plan.models {
        if let crate::gitlab::ModelAction::Update { changes, .. } = &model.action {
            families.extend(
                changes
                    .iter()
                    .filter(|c| c.starts_with("family:"))
                    .map(|c| format!("{} ({c})", model.name)),
            );
        }
    }
    if !families.is_empty() {
        lines.push(DoctorLine::new(
            "gitlab",
            "GitLab model families",
            CheckStatus::Warn,
            format!("the model behind an alias changed family, and GitLab still picks prompts for the old one: {}", families.join("; ")),
            Some("Apply the configuration (`duows gitlab apply`): it updates the families.".into()),
        ));
    }
    if let Some(host) = private_host(&plan.endpoint) {
        lines.push(DoctorLine::new(
            "gitlab",
            "GitLab outbound requests",
            CheckStatus::Warn,
            format!("the endpoint GitLab calls is on a private address ({host}); GitLab refuses requests to the local network unless an administrator allows them"),
            Some("In GitLab: Admin > Settings > Network > Outbound requests, allow requests to the local network, or add this address to the allowlist.".into()),
        ));
    }
    for note in &plan.notes {
        lines.push(DoctorLine::new(
            "gitlab",
            "GitLab note",
            CheckStatus::Warn,
            note.clone(),
            Some("Follow the note (beta features need GitLab's \"Use beta models and features\" ticked; a feature newer than this GitLab stays unset).".into()),
        ));
    }
    let changes = plan.change_count();
    lines.push(if changes == 0 {
        DoctorLine::new("gitlab", "GitLab configuration", CheckStatus::Pass, "GitLab's self-hosted models and features match this app's routes", None)
    } else {
        DoctorLine::new(
            "gitlab",
            "GitLab configuration",
            CheckStatus::Warn,
            format!("{changes} difference{} between GitLab and this app's routes", if changes == 1 { "" } else { "s" }),
            Some("Review and apply them: `duows gitlab plan`, then `duows gitlab apply` (or the steps by hand: `duows gitlab steps`).".into()),
        )
    });
    lines
}

#[cfg(test)]
mod tests;
