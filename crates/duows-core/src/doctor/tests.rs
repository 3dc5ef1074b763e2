//! The doctor's judgements: each trap of gitlab-duo-facts §3 and §10 found and named with its
//! fix; a healthy step passes without a fix.

use super::*;
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription, HardwareReport, SystemInfo};

fn system() -> SystemInfo {
    SystemInfo::for_tests()
}

fn described(spec: &str) -> HardwareReport {
    let probe = DescribedProbe::new(HardwareDescription::from_spec_or_file(spec).expect("spec"));
    HardwareReport::build(probe.inventory(), system())
}

#[test]
fn endpoints_missing_or_doubling_v1_are_failures_with_the_corrected_value() {
    let missing = endpoint_traps("GitLab model", "http://gpu-1:8000", false);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].status, CheckStatus::Fail);
    assert_eq!(missing[0].fix.as_deref(), Some("Use http://gpu-1:8000/v1."));
    let doubled = endpoint_traps("GitLab model", "http://gpu-1:8000/v1/v1/", false);
    assert_eq!(doubled[0].fix.as_deref(), Some("Use http://gpu-1:8000/v1."));
    assert!(endpoint_traps("ok", "https://gpu-1.lan/v1", true).is_empty());
}

#[test]
fn localhost_given_to_gitlab_is_a_failure() {
    for endpoint in [
        "http://localhost:8766/v1",
        "http://127.0.0.1:8766/v1",
        "http://[::1]:8766/v1",
        "http://user@LOCALHOST/v1",
    ] {
        let lines = endpoint_traps("GitLab model", endpoint, true);
        assert_eq!(lines.len(), 1, "{endpoint}");
        assert!(lines[0].detail.contains("names this machine"), "{endpoint}");
        assert!(lines[0]
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("hostname")));
    }
    assert!(
        endpoint_traps("gateway upstream", "http://localhost:8000/v1", false).is_empty(),
        "the gateway itself may call this machine's engines on loopback"
    );
}

#[test]
fn deployment_checks_become_lines_with_their_fix() {
    let check = |reachability, models: &[&str]| DeploymentCheck {
        reachability,
        message: "answered".into(),
        checked_at_ms: 1,
        latency_ms: Some(12),
        models: models.iter().map(|m| (*m).to_owned()).collect(),
    };
    let ok = deployment_line("big", &check(Reachability::Reachable, &["m"]));
    assert_eq!((ok.status, ok.fix.is_none()), (CheckStatus::Pass, true));
    assert!(ok.detail.ends_with("(12 ms)"));
    let missing = deployment_line("big", &check(Reachability::ModelMissing, &["a", "b"]));
    assert_eq!(missing.status, CheckStatus::Fail);
    assert!(missing.fix.as_deref().is_some_and(|f| f.contains("a, b")));
    let key = deployment_line("big", &check(Reachability::WrongKey, &[]));
    assert!(key.fix.as_deref().is_some_and(|f| f.contains("key")));
}

#[test]
fn described_hardware_warns_that_it_is_for_planning() {
    let line = driver_line(&described("1xA100-80GB"));
    assert_eq!(line.status, CheckStatus::Warn);
    assert!(line.fix.as_deref().is_some_and(|f| f.contains("planning")));
    let report = DoctorReport {
        lines: vec![
            line.clone(),
            DoctorLine::new(
                "gateway",
                "Gateway",
                CheckStatus::Pass,
                "ok",
                Some("never shown".into()),
            ),
        ],
    };
    assert!(!report.failed());
    assert_eq!(report.lines[1].fix, None, "a pass carries no fix");
    assert_eq!(report.count(CheckStatus::Warn), 1);
}

#[test]
fn no_driver_is_a_failure_with_the_install_fix() {
    let report = HardwareReport::build(
        Err(crate::hardware::ProbeError::LibraryNotFound(
            "libnvidia-ml.so.1".into(),
        )),
        system(),
    );
    let line = driver_line(&report);
    assert_eq!(line.status, CheckStatus::Fail);
    assert!(line.fix.is_some());
}

#[test]
fn gitlab_steps_come_from_the_plan() {
    use crate::catalog::Family;
    use crate::gitlab::{ApiShape, ModelAction, Plan, PlannedModel};
    let failed = gitlab_lines(Err(
        "GitLab answered 401: the token is expired or revoked".into()
    ));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, CheckStatus::Fail);
    assert!(failed[0]
        .fix
        .as_deref()
        .is_some_and(|f| f.contains("administrator")));
    let model = |action| PlannedModel {
        name: "duo-workstation-duo-chat".into(),
        alias: "duo-chat".into(),
        family: Family::General,
        endpoint: Some("http://gpu-1:8000/v1".into()),
        identifier: "custom_openai/duo-chat".into(),
        provider: "API".into(),
        sends_api_token: false,
        key_of_deployment: None,
        action,
    };
    let mut plan = Plan {
        gitlab_url: "https://gitlab.example.com".into(),
        gitlab_version: "19.1.0-ee".into(),
        shape: ApiShape::Gitlab19,
        endpoint: "http://gpu-1:8000/v1".into(),
        models: vec![model(ModelAction::Keep {
            id: "gid://gitlab/Ai::SelfHostedModel/1".into(),
        })],
        features: Vec::new(),
        duo_settings: None,
        notes: Vec::new(),
    };
    let same = gitlab_lines(Ok(&plan));
    assert!(
        same.iter().all(|l| l.status == CheckStatus::Pass),
        "{same:?}"
    );
    plan.models = vec![model(ModelAction::Update {
        id: "gid://gitlab/Ai::SelfHostedModel/1".into(),
        changes: vec!["family: MISTRAL → GENERAL".into()],
    })];
    let moved = gitlab_lines(Ok(&plan));
    let family = moved
        .iter()
        .find(|l| l.title == "GitLab model families")
        .expect("family line");
    assert_eq!(family.status, CheckStatus::Warn);
    assert!(family.detail.contains("MISTRAL → GENERAL"));
    assert!(moved
        .iter()
        .any(|l| l.title == "GitLab configuration" && l.status == CheckStatus::Warn));
}
