//! The doctor through the control API: on a machine where nothing runs, each broken step is
//! named with its fix, in the chain's order, and nothing is reported as passing.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn doctor_names_each_broken_step_with_its_fix() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let settings = r#"{"version": 5, "deployments": [{"name": "remote", "endpoint": "http://127.0.0.1:9/v1", "served_model": "m"}], "features": {"duo_chat": "remote"}}"#;
    let (status, body) = send_request(&s.app, with_json("PUT", "/api/settings", settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, report) = send_request(&s.app, get("/api/doctor")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let lines = report["lines"].as_array().expect("lines");
    let areas: Vec<&str> = lines.iter().filter_map(|l| l["area"].as_str()).collect();
    assert_eq!(
        areas,
        [
            "driver",
            "engine",
            "deployment",
            "gateway",
            "ai_gateway",
            "gitlab"
        ],
        "the chain's order: {report}"
    );
    let line = |area: &str| lines.iter().find(|l| l["area"] == area).expect(area);
    assert_eq!(
        line("driver")["status"],
        "warn",
        "described hardware is for planning"
    );
    let deployment = line("deployment");
    assert_eq!(deployment["status"], "fail");
    assert!(
        deployment["detail"]
            .as_str()
            .is_some_and(|d| d.contains("127.0.0.1:9")),
        "{deployment}"
    );
    assert!(deployment["fix"].is_string());
    let gateway = line("gateway");
    assert_eq!(
        gateway["status"], "fail",
        "no gateway runs in this test: {gateway}"
    );
    assert!(gateway["fix"]
        .as_str()
        .is_some_and(|f| f.contains("duows serve")));
    assert!(lines.iter().all(|l| l["status"] != "pass"), "{report}");
    assert!(
        lines
            .iter()
            .filter(|l| l["status"] != "pass")
            .all(|l| l["fix"].is_string()),
        "every step that is not a pass says what to do"
    );
}
