//! The download flow against a local server in the Hugging Face hub's URL layout: range
//! requests, an interrupted download that resumes, a corrupted file that fails
//! verification, a gated repository, and cancellation.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use duows_core::engine::download::{
    download, repo_cache, vllm_files, DownloadError, DownloadProgress, DownloadRequest,
};
use duows_core::engine::Secret;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const TOKEN: &str = "hf_test_token_not_real";

#[derive(Default)]
struct Hub {
    /// Break off the next download of the weights half way.
    interrupt_once: bool,
    /// Serve damaged weights.
    corrupt: bool,
    /// Require the token.
    gated: bool,
    /// Range headers received.
    ranges: Vec<String>,
}

type Shared = Arc<Mutex<Hub>>;

fn weights() -> Vec<u8> {
    (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn config() -> Vec<u8> {
    br#"{"architectures":["LlamaForCausalLM"],"num_hidden_layers":2}"#.to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn git_sha1(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex(&hasher.finalize())
}

fn authorized(hub: &Hub, headers: &HeaderMap) -> bool {
    !hub.gated
        || headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"))
}

async fn revision(State(hub): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&hub.lock().expect("lock"), &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(json!({ "sha": COMMIT })).into_response()
}

async fn tree(State(hub): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&hub.lock().expect("lock"), &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let weights = weights();
    Json(json!([
        { "type": "file", "path": "config.json", "size": config().len(), "oid": git_sha1(&config()) },
        { "type": "directory", "path": "original", "oid": "x" },
        { "type": "file", "path": "original/consolidated.pth", "size": 10, "oid": "y",
          "lfs": { "oid": "0".repeat(64), "size": 10 } },
        { "type": "file", "path": "model.safetensors", "size": 134, "oid": "z",
          "lfs": { "oid": hex(&Sha256::digest(&weights)), "size": weights.len() } },
    ]))
    .into_response()
}

async fn resolve(
    State(hub): State<Shared>,
    UrlPath((_org, _name, commit, path)): UrlPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut hub = hub.lock().expect("lock");
    if !authorized(&hub, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    assert_eq!(commit, COMMIT, "files are fetched by commit");
    let mut content = match path.as_str() {
        "config.json" => config(),
        "model.safetensors" => weights(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if path == "model.safetensors" && hub.corrupt {
        content[1000] ^= 0xff;
    }
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let start: usize = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse().ok())
        .unwrap_or(0);
    if let Some(range) = range {
        hub.ranges.push(range);
    }
    let body = content[start..].to_vec();
    let status = if start > 0 {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    if path == "model.safetensors" && hub.interrupt_once {
        hub.interrupt_once = false;
        // Half the bytes, then the connection breaks.
        let half = Bytes::from(body[..body.len() / 2].to_vec());
        let stream = futures_util::StreamExt::then(
            futures_util::stream::iter(vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut",
                )),
            ]),
            // Let the first half reach the client before the connection breaks.
            |item| async move {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                item
            },
        );
        return (
            status,
            [("content-length", body.len().to_string())],
            Body::from_stream(stream),
        )
            .into_response();
    }
    (status, [("content-length", body.len().to_string())], body).into_response()
}

async fn hub(state: Hub) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(state));
    let app = Router::new()
        .route("/api/models/{org}/{name}/revision/{rev}", get(revision))
        .route("/api/models/{org}/{name}/tree/{commit}", get(tree))
        .route("/{org}/{name}/resolve/{commit}/{*path}", get(resolve))
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), shared)
}

fn request(endpoint: &str, home: &Path, token: Option<&str>) -> DownloadRequest {
    DownloadRequest {
        endpoint: endpoint.to_owned(),
        repo: "acme/tiny-llm".into(),
        revision: "main".into(),
        token: token.map(Secret::new),
        hf_home: home.to_path_buf(),
        keep: vllm_files,
    }
}

fn progress() -> (
    watch::Sender<DownloadProgress>,
    watch::Receiver<bool>,
    watch::Sender<bool>,
) {
    let (cancel_tx, cancel_rx) = watch::channel(false);
    (
        watch::channel(DownloadProgress::default()).0,
        cancel_rx,
        cancel_tx,
    )
}

#[tokio::test]
async fn downloads_into_the_hub_cache_layout() {
    let (endpoint, _) = hub(Hub::default()).await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let snapshot = download(&request(&endpoint, home.path(), None), &tx, cancel)
        .await
        .expect("download");
    let cache = repo_cache(home.path(), "acme/tiny-llm");
    assert_eq!(snapshot, cache.join("snapshots").join(COMMIT));
    assert_eq!(
        std::fs::read(snapshot.join("model.safetensors")).expect("weights"),
        weights()
    );
    assert_eq!(
        std::fs::read(snapshot.join("config.json")).expect("config"),
        config()
    );
    assert!(
        std::fs::symlink_metadata(snapshot.join("model.safetensors"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert!(
        !snapshot.join("original").exists(),
        "duplicate weight formats are skipped"
    );
    assert_eq!(
        std::fs::read_to_string(cache.join("refs/main")).expect("ref"),
        COMMIT
    );
    let done = tx.borrow().clone();
    assert_eq!((done.files_done, done.files_total), (2, 2));
    assert_eq!(done.done_bytes, done.total_bytes);
    assert!(done.current.is_empty());
}

#[tokio::test]
async fn an_interrupted_download_resumes_with_a_range_request() {
    let (endpoint, shared) = hub(Hub {
        interrupt_once: true,
        ..Hub::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let first = download(&request(&endpoint, home.path(), None), &tx, cancel.clone()).await;
    assert!(
        matches!(first, Err(DownloadError::Http(ref m)) if m.contains("broke off")),
        "{first:?}"
    );
    let blobs = repo_cache(home.path(), "acme/tiny-llm").join("blobs");
    let partial = std::fs::read_dir(&blobs)
        .expect("blobs")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".incomplete"))
        .expect("a partial file is kept");
    let kept = partial.metadata().expect("meta").len();
    assert!(kept > 0 && kept < weights().len() as u64, "{kept}");

    let snapshot = download(&request(&endpoint, home.path(), None), &tx, cancel)
        .await
        .expect("resumed");
    assert_eq!(
        std::fs::read(snapshot.join("model.safetensors")).expect("weights"),
        weights()
    );
    assert_eq!(
        shared.lock().expect("lock").ranges,
        vec![format!("bytes={kept}-")]
    );
}

#[tokio::test]
async fn a_corrupted_file_fails_verification_and_is_not_kept() {
    let (endpoint, _) = hub(Hub {
        corrupt: true,
        ..Hub::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let result = download(&request(&endpoint, home.path(), None), &tx, cancel).await;
    let Err(DownloadError::Checksum { path, .. }) = result else {
        panic!("expected a checksum failure, got {result:?}")
    };
    assert_eq!(path, "model.safetensors");
    let blobs = repo_cache(home.path(), "acme/tiny-llm").join("blobs");
    let weights_sum = hex(&Sha256::digest(weights()));
    assert!(!blobs.join(&weights_sum).exists());
    assert!(
        !blobs.join(format!("{weights_sum}.incomplete")).exists(),
        "damaged bytes are deleted"
    );
}

#[tokio::test]
async fn a_gated_repository_explains_and_works_with_a_token() {
    let (endpoint, _) = hub(Hub {
        gated: true,
        ..Hub::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let refused = download(&request(&endpoint, home.path(), None), &tx, cancel.clone()).await;
    let message = refused.expect_err("gated").to_string();
    assert!(
        message.contains("accept its licence")
            && message.contains(&format!("{endpoint}/acme/tiny-llm")),
        "{message}"
    );
    assert!(!message.contains(TOKEN));
    let snapshot = download(&request(&endpoint, home.path(), Some(TOKEN)), &tx, cancel)
        .await
        .expect("with token");
    assert!(snapshot.join("config.json").exists());
    let debug = format!("{:?}", request(&endpoint, home.path(), Some(TOKEN)).token);
    assert!(!debug.contains(TOKEN), "the token never prints");
}

#[tokio::test]
async fn cancelling_keeps_what_was_fetched() {
    let (endpoint, _) = hub(Hub::default()).await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, cancel_tx) = progress();
    cancel_tx.send(true).expect("cancel");
    let result = download(&request(&endpoint, home.path(), None), &tx, cancel).await;
    assert!(
        matches!(result, Err(DownloadError::Cancelled)),
        "{result:?}"
    );
}
