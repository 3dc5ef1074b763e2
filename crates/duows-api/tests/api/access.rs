//! Who may call the API: a foreign `Host` or `Origin` is refused, off loopback the token is
//! needed, and unknown routes answer as JSON errors.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use duows_api::access::AccessPolicy;

use crate::common::{fixture, get, send_request, server};

#[tokio::test]
async fn a_foreign_host_or_origin_is_refused() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let evil = Request::get("/api/hardware")
        .header("host", "evil.example")
        .body(Body::empty())
        .expect("r");
    let (status, body) = send_request(&s.app, evil).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden_host");
    // The web UI is guarded too, not only the API.
    let evil = Request::get("/")
        .header("host", "evil.example:8765")
        .body(Body::empty())
        .expect("r");
    assert_eq!(send_request(&s.app, evil).await.0, StatusCode::FORBIDDEN);
    let cross = Request::get("/api/hardware")
        .header("host", "127.0.0.1:8765")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .expect("r");
    let (status, body) = send_request(&s.app, cross).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden_origin");
    let same = Request::get("/api/version")
        .header("host", "localhost:8765")
        .header("origin", "http://localhost:8765")
        .body(Body::empty())
        .expect("r");
    assert_eq!(send_request(&s.app, same).await.0, StatusCode::OK);
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
    let (status, body) = send_request(&s.app, plain).await;
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
    assert_eq!(send_request(&s.app, authed).await.0, StatusCode::OK);
    // The page itself loads without the token (it then reads it from the URL fragment).
    let page = Request::get("/")
        .header("host", "gpu-box:8765")
        .body(Body::empty())
        .expect("r");
    assert_ne!(send_request(&s.app, page).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_api_routes_are_json_errors() {
    let s = server(fixture("l4-24gb.json"), AccessPolicy::loopback());
    let (status, body) = send_request(&s.app, get("/api/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    let delete = Request::delete("/api/settings")
        .header("host", "127.0.0.1:8765")
        .body(Body::empty())
        .expect("request");
    let (status, body) = send_request(&s.app, delete).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
}
