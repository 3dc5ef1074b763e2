//! The machine as the API shows it: hardware of a fixture, the latest sample and the sample
//! stream, and planning for described hardware.

use axum::http::StatusCode;
use duows_api::access::AccessPolicy;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn hardware_of_a_fixture() {
    let s = server(fixture("2xa100-80gb-nvlink.json"), AccessPolicy::loopback());
    let (status, body) = send_request(&s.app, get("/api/hardware")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["source"]["kind"], "description");
    assert_eq!(body["driver"]["status"], "described");
    let gpus = body["gpus"].as_array().expect("gpus");
    assert_eq!(gpus.len(), 2);
    assert_eq!(gpus[0]["nvlink_peers"], json!([1]));
    assert!(gpus[0]["memory_total_gib"].as_f64().expect("gib") > 79.0);
    assert!(body["system"]["cpu_threads"].as_u64().expect("threads") >= 1);
    assert_eq!(
        body["system"]["models_dir"],
        json!(s.home.path().join("models"))
    );
}

#[tokio::test]
async fn latest_sample_and_stream() {
    let s = server(fixture("rtx4090-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(&s.app, get("/api/samples/latest")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["gpus"][0]["utilization_gpu_percent"], 37);
    assert_eq!(body["gpus"][0]["processes"][0]["name"], "python3");

    let response = s
        .app
        .clone()
        .oneshot(get("/api/samples/stream"))
        .await
        .expect("stream");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let frame = body.frame().await.expect("a frame").expect("ok frame");
    let text = String::from_utf8(frame.into_data().expect("data").to_vec()).expect("utf8");
    assert!(text.starts_with("event: sample\ndata: {"), "{text}");
    assert!(text.contains("\"utilization_gpu_percent\":37"));
}

#[tokio::test]
async fn describe_hardware_plans_and_names_the_bad_field() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/hardware/describe",
            r#"{"spec":"8xH100-80GB"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["gpus"].as_array().expect("gpus").len(), 8);
    assert_eq!(body["source"]["spec"], "8xH100-80GB");

    let (status, body) = send_request(
        &s.app,
        with_json("POST", "/api/hardware/describe", r#"{"spec":"3xFOO"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_hardware_spec");
    assert_eq!(body["field"], "spec");
    assert!(body["message"].as_str().expect("message").contains("FOO"));

    let (status, body) = send_request(
        &s.app,
        with_json("POST", "/api/hardware/describe", "{\"spec\":"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_body");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("line 1"),
        "{body}"
    );
}
