//! The download flow against a local server in the Hugging Face hub's URL layout: files in
//! pieces over several connections, an interrupted download (no retries) that resumes every
//! piece where it stopped, a server without ranges, a corrupted file that fails
//! verification, a gated repository, and cancellation. Retries within one download:
//! `download_retry.rs`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use duows_core::engine::download::{
    download, download_with, repo_cache, DownloadError, DownloadProgress, DownloadRequest,
    FileFilter, PieceRetry, TransferLimits,
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
    /// Break off every range of the weights that does not start at byte 0 half way.
    cut_pieces: bool,
    /// Answer every request with the whole file (200), as a server without range support.
    ignore_ranges: bool,
    /// Serve damaged weights.
    corrupt: bool,
    /// Require the token.
    gated: bool,
    /// Range headers of the requests for the weights.
    ranges: Vec<String>,
    /// Bytes of the weights sent.
    weights_sent: usize,
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
    // `bytes=START-` or `bytes=START-LAST`.
    let (start, end) = range
        .as_deref()
        .filter(|_| !hub.ignore_ranges)
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(first, last)| {
            let first: usize = first.parse().ok()?;
            let end = match last {
                "" => content.len(),
                last => last.parse::<usize>().ok()? + 1,
            };
            Some((first, end.min(content.len())))
        })
        .unwrap_or((0, content.len()));
    let weights = path == "model.safetensors";
    if weights {
        if let Some(range) = &range {
            hub.ranges.push(range.clone());
        }
    }
    let body = content[start..end].to_vec();
    let (status, content_range) = if range.is_some() && !hub.ignore_ranges {
        let content_range = format!("bytes {start}-{}/{}", end - 1, content.len());
        (StatusCode::PARTIAL_CONTENT, Some(content_range))
    } else {
        (StatusCode::OK, None)
    };
    let cut = weights && (hub.interrupt_once || (hub.cut_pieces && start > 0));
    let headers = [
        ("content-length", body.len().to_string()),
        ("accept-ranges", "bytes".to_owned()),
        ("content-range", content_range.unwrap_or_default()),
    ];
    if cut {
        hub.interrupt_once = false;
        hub.weights_sent += body.len() / 2;
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
        return (status, headers, Body::from_stream(stream)).into_response();
    }
    if weights {
        hub.weights_sent += body.len();
    }
    (status, headers, body).into_response()
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
        keep: FileFilter::Vllm,
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
    let one_try = TransferLimits {
        retry: no_retries(),
        ..TransferLimits::default()
    };
    let first = download_with(
        &request(&endpoint, home.path(), None),
        one_try,
        &tx,
        cancel.clone(),
    )
    .await;
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
    let last = weights().len() - 1;
    assert_eq!(
        shared.lock().expect("lock").ranges,
        vec![format!("bytes=0-{last}"), format!("bytes={kept}-{last}")]
    );
}

/// Pieces of 64 KiB: the 300,000 bytes of weights are five range requests.
fn small_pieces() -> TransferLimits {
    TransferLimits {
        connections: 3,
        piece_bytes: 64 << 10,
        ..TransferLimits::default()
    }
}

/// The first break stops the download, as a killed process would.
fn no_retries() -> PieceRetry {
    PieceRetry {
        retries: 0,
        ..PieceRetry::default()
    }
}

/// `(start, end, done)` of each piece in the record beside the partial weights.
fn recorded_pieces(home: &Path) -> Vec<(usize, usize, usize)> {
    let blobs = repo_cache(home, "acme/tiny-llm").join("blobs");
    let record = std::fs::read_dir(&blobs)
        .expect("blobs")
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with(".incomplete.ranges")
        })
        .expect("the pieces are recorded");
    let text = std::fs::read_to_string(record.path()).expect("record");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(format!("duows-ranges 1 {}", weights().len()).as_str())
    );
    lines
        .map(|line| {
            let n: Vec<usize> = line
                .split_whitespace()
                .map(|n| n.parse().expect("number"))
                .collect();
            (n[0], n[1], n[2])
        })
        .collect()
}

#[tokio::test]
async fn a_file_arrives_in_pieces_over_several_connections() {
    let (endpoint, shared) = hub(Hub::default()).await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let snapshot = download_with(
        &request(&endpoint, home.path(), None),
        small_pieces(),
        &tx,
        cancel,
    )
    .await
    .expect("download");
    assert_eq!(
        std::fs::read(snapshot.join("model.safetensors")).expect("weights"),
        weights()
    );
    let mut ranges = shared.lock().expect("lock").ranges.clone();
    ranges.sort_by_key(|r| r[6..].split('-').next().map(|n| n.parse::<usize>().ok()));
    let expected: Vec<String> = (0..5)
        .map(|i| {
            let start = i * 65_536;
            format!("bytes={start}-{}", (start + 65_536).min(300_000) - 1)
        })
        .collect();
    assert_eq!(ranges, expected);
    let blobs = repo_cache(home.path(), "acme/tiny-llm").join("blobs");
    let leftovers: Vec<_> = std::fs::read_dir(&blobs)
        .expect("blobs")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no partial file or record is left: {leftovers:?}"
    );
    let done = tx.borrow().clone();
    assert_eq!(done.done_bytes, done.total_bytes);
}

#[tokio::test]
async fn a_broken_download_resumes_every_piece_where_it_stopped() {
    let (endpoint, shared) = hub(Hub {
        cut_pieces: true,
        ..Hub::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let first = download_with(
        &request(&endpoint, home.path(), None),
        TransferLimits {
            retry: no_retries(),
            ..small_pieces()
        },
        &tx,
        cancel.clone(),
    )
    .await;
    assert!(
        matches!(first, Err(DownloadError::Http(ref m)) if m.contains("broke off")),
        "{first:?}"
    );
    let pieces = recorded_pieces(home.path());
    assert_eq!(pieces.len(), 5);
    assert!(
        pieces
            .iter()
            .any(|&(start, end, done)| start > 0 && done > 0 && done < end - start),
        "a piece past the start stopped half way and says so: {pieces:?}"
    );
    let kept: usize = pieces.iter().map(|p| p.2).sum();
    let counted = tx.borrow().done_bytes as usize;
    // A write still landing when the download stopped is on disk (and recorded) before it
    // is counted, so progress never claims more than the record.
    assert!(
        counted > 0 && counted <= kept + config().len(),
        "progress counts what is on disk: {counted} against {kept} of weights"
    );

    {
        let mut hub = shared.lock().expect("lock");
        hub.cut_pieces = false;
        hub.ranges.clear();
        hub.weights_sent = 0;
    }
    let snapshot = download_with(
        &request(&endpoint, home.path(), None),
        small_pieces(),
        &tx,
        cancel,
    )
    .await
    .expect("resumed");
    assert_eq!(
        std::fs::read(snapshot.join("model.safetensors")).expect("weights"),
        weights()
    );
    let hub = shared.lock().expect("lock");
    let mut asked = hub.ranges.clone();
    asked.sort();
    let mut expected: Vec<String> = pieces
        .iter()
        .filter(|p| p.2 < p.1 - p.0)
        .map(|&(start, end, done)| format!("bytes={}-{}", start + done, end - 1))
        .collect();
    expected.sort();
    assert_eq!(asked, expected, "each piece resumes at its own offset");
    assert_eq!(
        hub.weights_sent,
        weights().len() - kept,
        "no byte is fetched twice"
    );
}

#[tokio::test]
async fn a_server_without_ranges_sends_each_file_whole() {
    let (endpoint, shared) = hub(Hub {
        ignore_ranges: true,
        ..Hub::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let (tx, cancel, _keep) = progress();
    let snapshot = download_with(
        &request(&endpoint, home.path(), None),
        small_pieces(),
        &tx,
        cancel,
    )
    .await
    .expect("download");
    assert_eq!(
        std::fs::read(snapshot.join("model.safetensors")).expect("weights"),
        weights()
    );
    let hub = shared.lock().expect("lock");
    assert_eq!(
        hub.weights_sent,
        weights().len(),
        "one request brought it all"
    );
    assert_eq!(hub.ranges.len(), 1);
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
    let result = download_with(
        &request(&endpoint, home.path(), None),
        small_pieces(),
        &tx,
        cancel,
    )
    .await;
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
    assert!(
        !blobs
            .join(format!("{weights_sum}.incomplete.ranges"))
            .exists(),
        "and their record"
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
