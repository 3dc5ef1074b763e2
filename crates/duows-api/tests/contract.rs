//! The command table against the surfaces made from it: every command is served over HTTP
//! at its method and path, and the API contract document describes it. (The desktop
//! shell's handlers and capability are checked in its own tests, the UI transport in the
//! UI's.)

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use duows_api::access::AccessPolicy;
use duows_api::contract::{commands, BodyFrom};
use duows_api::http;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

#[tokio::test]
async fn every_command_is_served_at_its_method_and_path() {
    let home = tempfile::tempdir().expect("home");
    let state = common::described_state("1xL4", home.path());
    let app = http::app(state, AccessPolicy::loopback(), Router::new());
    let mut missing = Vec::new();
    for command in commands() {
        let path = command
            .path
            .replace("{name}", "probe")
            .replace("{id}", "probe");
        let mut request = Request::builder()
            .method(command.method.as_str())
            .uri(&path)
            .header("host", "127.0.0.1:8765");
        let body = if command.body.is_some() {
            request = request.header("content-type", "application/json");
            Body::from("{}")
        } else {
            Body::empty()
        };
        let response = app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        if command.stream.is_some() {
            // A subscription answers with its stream at once; do not wait for events.
            assert_eq!(status, StatusCode::OK, "{}", command.name);
            continue;
        }
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let code = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned));
        if status == StatusCode::METHOD_NOT_ALLOWED || code.as_deref() == Some("not_found") {
            missing.push(format!("{} {} ({})", command.method, path, command.name));
        }
    }
    assert!(
        missing.is_empty(),
        "commands in contract/commands.json without an HTTP route: {missing:?}"
    );
}

#[test]
fn the_contract_document_describes_every_command() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api-contract.md"),
    )
    .expect("docs/api-contract.md");
    let undocumented: Vec<&str> = commands()
        .iter()
        .filter(|c| !doc.contains(&format!("`{}`", c.name)))
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        undocumented.is_empty(),
        "docs/api-contract.md lacks: {undocumented:?}"
    );
    let with_params = commands()
        .iter()
        .filter(|c| c.body == Some(BodyFrom::Params))
        .count();
    assert!(with_params > 5, "the table says how bodies are made");
}

#[test]
fn every_error_code_has_one_status_and_is_documented() {
    use duows_api::ErrorCode;
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api-contract.md"),
    )
    .expect("docs/api-contract.md");
    let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ErrorCode::ALL.len(), "a name twice");
    for code in ErrorCode::ALL {
        let serialized = serde_json::to_value(code).expect("json");
        assert_eq!(serialized, code.as_str(), "serde and as_str agree");
        let row = format!("| `{}` | {} |", code.as_str(), code.status());
        assert!(
            doc.contains(&row),
            "docs/api-contract.md lacks the row {row}"
        );
    }
}

/// The codes that say a request's shape is wrong: its arguments were not read by the names
/// the table and the window use.
const SHAPE_ERRORS: &[&str] = &[
    "invalid_body",
    "invalid_fields",
    "unsupported_media_type",
    "method_not_allowed",
    "not_found",
];

#[tokio::test]
async fn every_command_reads_its_example_arguments_by_the_tables_names() {
    let home = tempfile::tempdir().expect("home");
    let state = common::described_state("1xL4", home.path());
    let app = http::app(state, AccessPolicy::loopback(), Router::new());
    let mut misread = Vec::new();
    for command in commands().iter().filter(|c| c.stream.is_none()) {
        let example = command
            .example
            .clone()
            .unwrap_or_else(|| panic!("{} has no example in the table", command.name));
        let (method, path, body) = command.http_request(&example);
        let (status, answer) = common::send(&app, &method, &path, body).await;
        let code = answer["code"].as_str().unwrap_or_default();
        if SHAPE_ERRORS.contains(&code) {
            misread.push(format!(
                "{} ({status} {code}: {})",
                command.name, answer["message"]
            ));
        }
    }
    assert!(
        misread.is_empty(),
        "HTTP did not read these commands' arguments as the table says: {misread:#?}"
    );
}
