//! The catalog, recommendations and fits, for this machine or another; a bad parameter is
//! named.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use duows_api::access::AccessPolicy;
use serde_json::Value;

use crate::common::{fixture, get, send_request, server, with_json};

#[tokio::test]
async fn catalog_recommend_and_fit() {
    let s = server(fixture("a100-40gb.json"), AccessPolicy::loopback());
    let (status, catalog) = send_request(&s.app, get("/api/catalog")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(catalog["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(catalog["features"].as_array().expect("features").len(), 22);

    // This server's hardware: one A100 40 GB.
    let (status, rec) = send_request(&s.app, with_json("POST", "/api/recommend", "{}")).await;
    assert_eq!(status, StatusCode::OK);
    let model = |rec: &Value, id: &str| {
        rec["models"]
            .as_array()
            .expect("models")
            .iter()
            .find(|m| m["model"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(model(&rec, "mistral-7b-instruct-v0.3")["fits"], true);
    assert_eq!(model(&rec, "mixtral-8x22b-instruct-v0.1")["fits"], false);
    for key in [
        "model",
        "fits",
        "tensor_parallel_size",
        "max_model_len",
        "concurrency",
    ] {
        assert!(!model(&rec, "gpt-oss-20b")[key].is_null(), "{key}");
    }
    // Planning for other hardware in the same call.
    let (_, planned) = send_request(
        &s.app,
        with_json("POST", "/api/recommend", r#"{"gpus":"8xA100-80GB"}"#),
    )
    .await;
    assert_eq!(model(&planned, "mixtral-8x22b-instruct-v0.1")["fits"], true);

    let body = r#"{"model":"openai/gpt-oss-120b","gpus":"1xH100-80GB","context":32768}"#;
    let (status, fit) = send_request(&s.app, with_json("POST", "/api/fit", body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fit["model"], "gpt-oss-120b");
    assert_eq!(fit["fits"], true);
    // vLLM's own arithmetic for the release installed for it (0.18.1): 7.35 requests of the
    // full context (GitLab's table says about 10; the fit's explanation says why).
    let concurrency = fit["concurrency"].as_f64().expect("a number");
    assert_eq!(concurrency.floor(), 7.0, "{concurrency}");
    assert_eq!(fit["vllm_version"], "0.18.1");
    assert_eq!(fit["vllm"]["args"][0], "--tensor-parallel-size");
}

#[tokio::test]
async fn model_calls_name_the_bad_parameter() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    for (path, body, field) in [
        ("/api/fit", r#"{"model":"nope"}"#, "model"),
        (
            "/api/fit",
            r#"{"model":"gpt-oss-20b","variant":"q2"}"#,
            "variant",
        ),
        (
            "/api/fit",
            r#"{"model":"gpt-oss-20b","context":999999}"#,
            "context",
        ),
        (
            "/api/fit",
            r#"{"model":"gpt-oss-20b","tensor_parallel_size":2}"#,
            "tensor_parallel_size",
        ),
        (
            "/api/fit",
            r#"{"model":"gpt-oss-20b","gpus":"3xFOO"}"#,
            "gpus",
        ),
        ("/api/recommend", r#"{"gitlab":"eighteen"}"#, "gitlab"),
        ("/api/recommend", r#"{"feature":"nope"}"#, "feature"),
        (
            "/api/recommend",
            r#"{"gpu_memory_utilization":1.5}"#,
            "gpu_memory_utilization",
        ),
        (
            "/api/recommend",
            r#"{"constants":{"kv_bytes":3}}"#,
            "kv_bytes",
        ),
    ] {
        let (status, error) = send_request(&s.app, with_json("POST", path, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["field"], field, "{body}: {error}");
        let message = error["message"].as_str().expect("message");
        assert!(
            !message.starts_with(&format!("`{field}`")),
            "no repeated field name: {message}"
        );
    }
    let (status, error) = send_request(
        &s.app,
        with_json("POST", "/api/recommend", r#"{"context":-5}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error["field"], "context",
        "a wrong type names its field: {error}"
    );
    let (status, error) = send_request(
        &s.app,
        with_json(
            "POST",
            "/api/recommend",
            r#"{"constants":{"kv_bytes":"two"}}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "constants.kv_bytes");
    let plain = Request::post("/api/recommend")
        .header("host", "127.0.0.1:8765")
        .body(Body::from("{}"))
        .expect("request");
    let (status, error) = send_request(&s.app, plain).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error["code"], "unsupported_media_type");
    let (status, error) =
        send_request(&s.app, with_json("POST", "/api/fit", r#"{"modle":"x"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["message"]
        .as_str()
        .expect("message")
        .contains("modle"));
}

#[tokio::test]
async fn fit_a_model_from_a_config_path_and_name_the_faults() {
    let s = server(fixture("a100-40gb.json"), AccessPolicy::loopback());
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/model-configs/mistralai--Mixtral-8x7B-Instruct-v0.1.json"
    );
    let body = serde_json::json!({ "config": config, "gpus": "4xA100-80GB" }).to_string();
    let (status, fit) = send_request(&s.app, with_json("POST", "/api/fit", &body)).await;
    assert_eq!(status, StatusCode::OK, "{fit}");
    assert_eq!(fit["fits"], true);
    // 32 layers × 8 KV heads × 128 dims × 2 × 2 bytes, split over the GPUs used.
    let tp = fit["tensor_parallel_size"].as_u64().expect("tp");
    assert_eq!(fit["kv_bytes_per_token"].as_u64(), Some((128 << 10) / tp));
    assert!(fit["explanation"][0]
        .as_str()
        .is_some_and(|e| e.contains("not from the catalog")));

    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("config.json");
    std::fs::write(&bad, r#"{"hidden_size": 4096}"#).expect("w");
    let invalid = dir.path().join("broken.json");
    std::fs::write(&invalid, "{ nope").expect("w");
    let cases = [
        (
            serde_json::json!({ "config": bad }),
            "config",
            "num_hidden_layers",
        ),
        (
            serde_json::json!({ "config": invalid }),
            "config",
            "not valid JSON",
        ),
        (
            serde_json::json!({ "config": dir.path().join("none") }),
            "config",
            "does not exist",
        ),
        (
            serde_json::json!({ "config": config, "model": "gpt-oss-20b" }),
            "config",
            "not both",
        ),
        (serde_json::json!({}), "model", "config"),
    ];
    for (body, field, words) in cases {
        let (status, error) =
            send_request(&s.app, with_json("POST", "/api/fit", &body.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert_eq!(error["field"], field, "{error}");
        assert!(
            error["message"].as_str().is_some_and(|m| m.contains(words)),
            "{body}: {error}"
        );
    }
}
