//! The cluster through the real router off loopback: the head's API needs its access token,
//! except the join (which needs a join token) and the heartbeat (which needs the node's key);
//! the nodes list shows what the heartbeat said.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use duows_api::access::AccessPolicy;
use serde_json::{json, Value};

use crate::common::{fixture, send_request, server};

fn request(method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "gpu-box:8765");
    if let Some(bearer) = bearer {
        builder = builder.header("authorization", format!("Bearer {bearer}"));
    }
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}

#[tokio::test]
async fn a_node_joins_and_beats_with_its_own_secrets_and_nothing_else_passes_without_the_token() {
    let policy = AccessPolicy::with_token(["gpu-box".to_owned()]);
    let access = policy.token().expect("token").to_owned();
    let s = server(fixture("l4-24gb.json"), policy);

    let (status, _) = send_request(&s.app, request("POST", "/api/cluster/token", None, None)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a token needs the access token"
    );
    let (status, issued) = send_request(
        &s.app,
        request("POST", "/api/cluster/token", Some(&access), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let token = issued["token"].as_str().expect("token").to_owned();

    let join = json!({ "name": "node-b", "control_url": "http://10.0.0.2:8765", "gpus": [] });
    let (status, refused) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/admit",
            Some(&access),
            Some(join.clone()),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the access token is no join token: {refused}"
    );
    let (status, joined) = send_request(
        &s.app,
        request("POST", "/api/cluster/admit", Some(&token), Some(join)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let key = joined["node_key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("dwn_"));

    let beat = json!({
        "node_id": joined["node_id"],
        "gpus": [{ "name": "NVIDIA L4", "memory_gib": 22.5 }],
        "ray": "idle",
        "ray_message": null,
    });
    let (status, _) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/heartbeat",
            Some(&token),
            Some(beat.clone()),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a used join token is no node key"
    );
    let (status, answer) = send_request(
        &s.app,
        request("POST", "/api/cluster/heartbeat", Some(&key), Some(beat)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["ray"], Value::Null);

    let (status, _) = send_request(
        &s.app,
        request("GET", "/api/cluster/nodes", Some(&key), None),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a node key opens nothing else"
    );
    let (status, view) = send_request(
        &s.app,
        request("GET", "/api/cluster/nodes", Some(&access), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["role"], "head");
    assert_eq!(view["nodes"][0]["name"], "node-b");
    assert_eq!(view["nodes"][0]["gpus"][0]["name"], "NVIDIA L4");
    assert_eq!(view["nodes"][0]["state"], "online");

    let (status, refused) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/start",
            Some(&access),
            Some(json!({ "gpus_per_node": 1 })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "head_address", "{refused}");

    // An engine across the head and node-b is fitted over both and checked as on one node
    // first: on a described machine without vLLM or weights the start is refused with each
    // reason, before any Ray process starts.
    let (status, refused) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/start",
            Some(&access),
            Some(json!({
                "gpus_per_node": 1,
                "head_address": "10.0.0.1",
                "interface": "eth0",
                "engine": { "model": "codellama-13b-instruct-hf" },
            })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "preflight_failed", "{refused}");
    let message = refused["message"].as_str().expect("message");
    for reason in [
        "vLLM is not installed",
        "not downloaded",
        "the hardware is described",
    ] {
        assert!(message.contains(reason), "{reason}: {message}");
    }
    let (_, view) = send_request(
        &s.app,
        request("GET", "/api/cluster/nodes", Some(&access), None),
    )
    .await;
    assert_eq!(view["ray"]["state"], "idle", "{view}");

    // A model that fits one node is not split across nodes.
    let (status, refused) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/start",
            Some(&access),
            Some(json!({
                "gpus_per_node": 1,
                "head_address": "10.0.0.1",
                "interface": "eth0",
                "engine": { "model": "mistral-7b-instruct-v0.3" },
            })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "nodes", "{refused}");

    let (status, removed) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/remove",
            Some(&access),
            Some(json!({ "node": "node-b" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    let (status, _) = send_request(
        &s.app,
        request(
            "POST",
            "/api/cluster/remove",
            Some(&access),
            Some(json!({ "node": "node-b" })),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
