//! The control API through the real router (no socket): routes, errors, access rules.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use duows_api::access::AccessPolicy;
use duows_api::{http, ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::{DescribedProbe, HardwareDescription};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn fixture(name: &str) -> HardwareDescription {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/hardware")
        .join(name);
    HardwareDescription::from_file(&path).expect("fixture")
}

struct Server {
    app: Router,
    home: tempfile::TempDir,
}

fn server(description: HardwareDescription, policy: AccessPolicy) -> Server {
    let home = tempfile::tempdir().expect("temp home");
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::at(home.path()),
        probe: Arc::new(DescribedProbe::new(description)),
    });
    let app = http::app(state, policy, Router::new());
    Server { app, home }
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "127.0.0.1:8765")
        .body(Body::empty())
        .expect("request")
}

fn with_json(method: &str, path: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8765")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

#[tokio::test]
async fn hardware_of_a_fixture() {
    let s = server(fixture("2xa100-80gb-nvlink.json"), AccessPolicy::loopback());
    let (status, body) = send(&s.app, get("/api/hardware")).await;
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
    let (status, body) = send(&s.app, get("/api/samples/latest")).await;
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
    let (status, body) = send(
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

    let (status, body) = send(
        &s.app,
        with_json("POST", "/api/hardware/describe", r#"{"spec":"3xFOO"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_hardware_spec");
    assert_eq!(body["field"], "spec");
    assert!(body["message"].as_str().expect("message").contains("FOO"));

    let (status, body) = send(
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

#[tokio::test]
async fn settings_round_trip_and_bad_input_changes_nothing() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send(&s.app, get("/api/settings")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"version": 2, "models_dir": null, "planned_hardware": null,
               "deployments": [], "features": {}, "log_prompts": false})
    );

    let good = json!({"version": 2, "models_dir": null, "planned_hardware": "2xL40S"}).to_string();
    let (status, _) = send(&s.app, with_json("PUT", "/api/settings", &good)).await;
    assert_eq!(status, StatusCode::OK);
    let file = s.home.path().join("settings.json");
    let saved = std::fs::read(&file).expect("store file");

    let bad =
        json!({"version": 2, "models_dir": "not/absolute", "planned_hardware": null}).to_string();
    let (status, body) = send(&s.app, with_json("PUT", "/api/settings", &bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "models_dir");
    let unknown = json!({"version": 2, "colour": "red"}).to_string();
    let (status, body) = send(&s.app, with_json("PUT", "/api/settings", &unknown)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"]
        .as_str()
        .expect("message")
        .contains("colour"));

    assert_eq!(
        std::fs::read(&file).expect("store file"),
        saved,
        "file untouched"
    );
    let (_, body) = send(&s.app, get("/api/settings")).await;
    assert_eq!(body["planned_hardware"], "2xL40S", "memory untouched");
}

#[tokio::test]
async fn a_foreign_host_or_origin_is_refused() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let evil = Request::get("/api/hardware")
        .header("host", "evil.example")
        .body(Body::empty())
        .expect("r");
    let (status, body) = send(&s.app, evil).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden_host");
    // The web UI is guarded too, not only the API.
    let evil = Request::get("/")
        .header("host", "evil.example:8765")
        .body(Body::empty())
        .expect("r");
    assert_eq!(send(&s.app, evil).await.0, StatusCode::FORBIDDEN);
    let cross = Request::get("/api/hardware")
        .header("host", "127.0.0.1:8765")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .expect("r");
    let (status, body) = send(&s.app, cross).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden_origin");
    let same = Request::get("/api/version")
        .header("host", "localhost:8765")
        .header("origin", "http://localhost:8765")
        .body(Body::empty())
        .expect("r");
    assert_eq!(send(&s.app, same).await.0, StatusCode::OK);
}

#[tokio::test]
async fn off_loopback_the_api_needs_the_token() {
    let policy = AccessPolicy::with_token(["gpu-box".to_owned()]);
    let token = policy.token().expect("token").to_owned();
    let s = server(fixture("l4-24gb.json"), policy);
    let plain = Request::get("/api/hardware")
        .header("host", "gpu-box:8765")
        .body(Body::empty())
        .expect("r");
    let (status, body) = send(&s.app, plain).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    assert!(
        !body["message"].as_str().expect("message").contains(&token),
        "never echo the token"
    );
    let authed = Request::get("/api/hardware")
        .header("host", "gpu-box:8765")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("r");
    assert_eq!(send(&s.app, authed).await.0, StatusCode::OK);
    // The page itself loads without the token (it then reads it from the URL fragment).
    let page = Request::get("/")
        .header("host", "gpu-box:8765")
        .body(Body::empty())
        .expect("r");
    assert_ne!(send(&s.app, page).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_api_routes_are_json_errors() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send(&s.app, get("/api/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    let delete = Request::delete("/api/settings")
        .header("host", "127.0.0.1:8765")
        .body(Body::empty())
        .expect("request");
    let (status, body) = send(&s.app, delete).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
}

#[tokio::test]
async fn an_unreadable_settings_file_is_reported_not_replaced() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("settings.json"), "{oops").expect("write");
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::at(home.path()),
        probe: Arc::new(DescribedProbe::new(fixture("l4-24gb.json"))),
    });
    let app = http::app(state, AccessPolicy::loopback(), Router::new());
    let (_, body) = send(&app, get("/api/hardware")).await;
    let warnings = body["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w["code"] == "settings_unreadable"),
        "{body}"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("settings.json")).expect("kept"),
        "{oops"
    );
}

#[tokio::test]
async fn a_save_over_another_programs_change_is_refused_and_reloads() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (_, before) = send(&s.app, get("/api/settings")).await;
    assert_eq!(before["planned_hardware"], Value::Null);
    // The other program (the desktop app, say) saves meanwhile.
    let file = s.home.path().join("settings.json");
    let theirs = json!({"version": 2, "models_dir": null, "planned_hardware": "8xH100-80GB"});
    std::fs::write(&file, theirs.to_string()).expect("their save");

    let mine = json!({"version": 2, "models_dir": null, "planned_hardware": "1xL4"}).to_string();
    let (status, body) = send(&s.app, with_json("PUT", "/api/settings", &mine)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "settings_changed_elsewhere");
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("json");
    assert_eq!(
        on_disk["planned_hardware"], "8xH100-80GB",
        "their change survives"
    );
    let (_, now) = send(&s.app, get("/api/settings")).await;
    assert_eq!(
        now["planned_hardware"], "8xH100-80GB",
        "and is what the API shows"
    );
    let (status, _) = send(&s.app, with_json("PUT", "/api/settings", &mine)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after the reload a save goes through"
    );
}

#[tokio::test]
async fn catalog_recommend_and_fit() {
    let s = server(fixture("a100-40gb.json"), AccessPolicy::loopback());
    let (status, catalog) = send(&s.app, get("/api/catalog")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(catalog["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(catalog["features"].as_array().expect("features").len(), 21);

    // This server's hardware: one A100 40 GB.
    let (status, rec) = send(&s.app, with_json("POST", "/api/recommend", "{}")).await;
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
    let (_, planned) = send(
        &s.app,
        with_json("POST", "/api/recommend", r#"{"gpus":"8xA100-80GB"}"#),
    )
    .await;
    assert_eq!(model(&planned, "mixtral-8x22b-instruct-v0.1")["fits"], true);

    let body = r#"{"model":"openai/gpt-oss-120b","gpus":"1xH100-80GB","context":32768}"#;
    let (status, fit) = send(&s.app, with_json("POST", "/api/fit", body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fit["model"], "gpt-oss-120b");
    assert_eq!(fit["fits"], true);
    let concurrency = fit["concurrency"].as_f64().expect("a number");
    assert_eq!(concurrency.floor(), 10.0, "{concurrency}");
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
        let (status, error) = send(&s.app, with_json("POST", path, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["field"], field, "{body}: {error}");
        let message = error["message"].as_str().expect("message");
        assert!(
            !message.starts_with(&format!("`{field}`")),
            "no repeated field name: {message}"
        );
    }
    let (status, error) = send(
        &s.app,
        with_json("POST", "/api/recommend", r#"{"context":-5}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error["field"], "context",
        "a wrong type names its field: {error}"
    );
    let (status, error) = send(
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
    let (status, error) = send(&s.app, plain).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error["code"], "unsupported_media_type");
    let (status, error) = send(&s.app, with_json("POST", "/api/fit", r#"{"modle":"x"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["message"]
        .as_str()
        .expect("message")
        .contains("modle"));
}

#[tokio::test]
async fn engine_calls_answer_in_the_error_shape() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send(&s.app, get("/api/engines")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([]));
    let (status, body) = send(&s.app, get("/api/engines/nope/logs?lines=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "lines");
    let (status, body) = send(&s.app, get("/api/engines/nope/logs")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "unknown_engine");
    let (status, body) = send(&s.app, with_json("POST", "/api/engines", "{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_parameter");
    let (status, body) = send(
        &s.app,
        with_json("POST", "/api/engines", r#"{"gguf":"/nonexistent.gguf"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "gguf");
    let start = r#"{"model":"gpt-oss-20b","gpus":"1xA100-40GB"}"#;
    let (status, body) = send(&s.app, with_json("POST", "/api/engines", start)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["field"], "gpus",
        "an engine starts on this machine only"
    );
    let both = r#"{"model":"gpt-oss-20b","gguf":"/x.gguf"}"#;
    let (status, body) = send(&s.app, with_json("POST", "/api/engine/plan", both)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "gguf");
    let plan = r#"{"model":"mistral-7b-instruct-v0.3","gpus":"1xA100-40GB"}"#;
    let (status, body) = send(&s.app, with_json("POST", "/api/engine/plan", plan)).await;
    assert_eq!(status, StatusCode::OK);
    let line = body["command_line"].as_str().expect("line");
    assert!(
        line.contains("VLLM_API_KEY=<hidden>") && line.contains("--tokenizer_mode mistral"),
        "{line}"
    );
}

#[tokio::test]
async fn gateway_keys_and_routes() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, info) = send(&s.app, get("/api/gateway")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["running"], false, "no gateway started in this test");
    assert_eq!(info["keys_required"], false);
    let features = info["features"].as_array().expect("features");
    assert_eq!(features.len(), 21);
    assert!(features
        .iter()
        .any(|f| f["alias"] == "duo-chat" && f["gitlab_identifier"] == "custom_openai/duo-chat"));

    let (status, body) = send(
        &s.app,
        with_json("POST", "/api/keys", r#"{"name":"bad name!"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "name");
    let (status, created) = send(
        &s.app,
        with_json(
            "POST",
            "/api/keys",
            r#"{"name":"gitlab","expires_in_days":30}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("dwk_"));
    assert!(created["key"]["expires_at"].as_u64().is_some());
    let (_, listed) = send(&s.app, get("/api/keys")).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are shown once only"
    );
    let file = std::fs::read_to_string(s.home.path().join("gateway-keys.json")).expect("key file");
    assert!(!file.contains(&secret), "only a hash is stored");
    let (_, info) = send(&s.app, get("/api/gateway")).await;
    assert_eq!(info["keys_required"], true);
    let (status, revoked) = send(
        &s.app,
        with_json("POST", "/api/keys/revoke", r#"{"id":"gitlab"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].as_u64().is_some());
    let (status, body) = send(
        &s.app,
        with_json("POST", "/api/keys/revoke", r#"{"id":"nobody"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["field"], "id");
}
