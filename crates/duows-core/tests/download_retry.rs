//! A piece whose connection breaks is tried again within the same download: against a local
//! HTTP server (plain TCP, so a cut is a real closed connection and a stall a real silent
//! one) that cuts connections mid-piece, stalls them, or answers 503, the file completes
//! with the right SHA-256, each retry starts at the byte its piece got to, and a piece that
//! keeps breaking stops the download after its bounded tries, keeping what arrived. A
//! server that ignores ranges sends the file again from its start.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use duows_core::engine::download::{
    download_with, repo_cache, DownloadError, DownloadProgress, DownloadRequest, FileFilter,
    PieceRetry, TransferLimits,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";
const SIZE: usize = 1_000_000;
const PIECE: u64 = 64 << 10;

fn weights() -> Vec<u8> {
    (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the server does with one range request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// Sends the range.
    Serve,
    /// Sends the head and this many bytes of the body, then closes the connection.
    Cut(usize),
    /// Sends the head and this many bytes, then holds the connection open, silent.
    Stall(usize),
    /// 503 Service Unavailable.
    Busy,
    /// Ignores the range: the whole file (200), cut after this many bytes if any.
    Whole(Option<usize>),
}

/// One range request the server saw.
#[derive(Debug, Clone)]
struct Asked {
    start: usize,
    end: usize,
    /// Earlier requests for the same piece (same end).
    attempt: usize,
    at: Instant,
}

type Policy = Box<dyn Fn(&Asked) -> Answer + Send + Sync>;

struct Server {
    policy: Policy,
    asked: Mutex<Vec<Asked>>,
    /// Body bytes written to the socket, over all answers.
    sent: Mutex<usize>,
}

async fn start(policy: Policy) -> (String, Arc<Server>) {
    let server = Arc::new(Server {
        policy,
        asked: Mutex::new(Vec::new()),
        sent: Mutex::new(0),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let shared = Arc::clone(&server);
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(answer(socket, Arc::clone(&shared)));
        }
    });
    (format!("http://{address}"), server)
}

/// Reads one request head; its path and Range header.
async fn read_head(socket: &mut TcpStream) -> Option<(String, Option<String>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if socket.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8(head).ok()?;
    let path = text.lines().next()?.split(' ').nth(1)?.to_owned();
    let range = text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("range")
            .then(|| value.trim().to_owned())
    });
    Some((path, range))
}

async fn send(socket: &mut TcpStream, status: &str, headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
        body.len()
    );
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(body).await;
}

/// Answers one connection's one request, then closes it.
async fn answer(mut socket: TcpStream, server: Arc<Server>) {
    let Some((path, range)) = read_head(&mut socket).await else {
        return;
    };
    let json_head = "content-type: application/json\r\n";
    if path.starts_with("/api/models/acme/flaky/revision/") {
        let body = json!({ "sha": COMMIT }).to_string();
        return send(&mut socket, "200 OK", json_head, body.as_bytes()).await;
    }
    if path.starts_with(&format!("/api/models/acme/flaky/tree/{COMMIT}")) {
        let body = json!([{ "type": "file", "path": "model.safetensors", "size": 134, "oid": "z",
            "lfs": { "oid": sha256_hex(&weights()), "size": SIZE } }])
        .to_string();
        return send(&mut socket, "200 OK", json_head, body.as_bytes()).await;
    }
    if path != format!("/acme/flaky/resolve/{COMMIT}/model.safetensors") {
        return send(&mut socket, "404 Not Found", "", b"").await;
    }
    let (start, end) = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(first, last)| Some((first.parse().ok()?, last.parse::<usize>().ok()? + 1)))
        .expect("every request for the weights is a range");
    let asked = {
        let mut log = server.asked.lock().expect("log");
        let attempt = log.iter().filter(|a| a.end == end).count();
        let asked = Asked {
            start,
            end,
            attempt,
            at: Instant::now(),
        };
        log.push(asked.clone());
        asked
    };
    let policy = (server.policy)(&asked);
    let all = weights();
    let (status, headers, body) = match policy {
        Answer::Whole(_) => ("200 OK", String::new(), &all[..]),
        _ => (
            "206 Partial Content",
            format!("content-range: bytes {start}-{}/{SIZE}\r\n", end - 1),
            &all[start..end],
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
        body.len()
    );
    let part = match policy {
        Answer::Serve | Answer::Whole(None) => body.len(),
        Answer::Cut(n) | Answer::Stall(n) | Answer::Whole(Some(n)) => n.min(body.len()),
        Answer::Busy => return send(&mut socket, "503 Service Unavailable", "", b"busy").await,
    };
    if socket.write_all(head.as_bytes()).await.is_err()
        || socket.write_all(&body[..part]).await.is_err()
    {
        return;
    }
    *server.sent.lock().expect("sent") += part;
    if let Answer::Stall(_) = policy {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let _ = socket.shutdown().await;
}

fn request(endpoint: &str, home: &Path) -> DownloadRequest {
    DownloadRequest {
        endpoint: endpoint.to_owned(),
        repo: "acme/flaky".into(),
        revision: "main".into(),
        token: None,
        hf_home: home.to_path_buf(),
        keep: FileFilter::Vllm,
    }
}

/// 64 KiB pieces over 4 connections; up to `retries` retries 20 ms apart and more, a
/// connection silent for 300 ms counts as stalled.
fn limits(retries: u32) -> TransferLimits {
    TransferLimits {
        connections: 4,
        piece_bytes: PIECE,
        retry: PieceRetry {
            retries,
            first_wait: Duration::from_millis(20),
            longest_wait: Duration::from_millis(80),
            stall: Duration::from_millis(300),
        },
    }
}

async fn fetch(
    endpoint: &str,
    home: &Path,
    limits: TransferLimits,
) -> (Result<std::path::PathBuf, DownloadError>, DownloadProgress) {
    let (tx, _) = watch::channel(DownloadProgress::default());
    let (_cancel_tx, cancel) = watch::channel(false);
    let result = download_with(&request(endpoint, home), limits, &tx, cancel).await;
    let progress = tx.borrow().clone();
    (result, progress)
}

/// The downloaded file's SHA-256 is the hub's.
fn assert_complete(snapshot: &Path) {
    let bytes = std::fs::read(snapshot.join("model.safetensors")).expect("weights");
    assert_eq!(bytes.len(), SIZE);
    assert_eq!(sha256_hex(&bytes), sha256_hex(&weights()));
}

/// For every piece, its requests in order: each starts where the one before got to.
fn assert_each_retry_resumes(asked: &[Asked], sent_before: impl Fn(&Asked) -> usize) {
    let mut pieces: HashMap<usize, Vec<&Asked>> = HashMap::new();
    for a in asked {
        pieces.entry(a.end).or_default().push(a);
    }
    assert_eq!(
        pieces.len(),
        SIZE.div_ceil(PIECE as usize),
        "every piece asked"
    );
    for (end, tries) in pieces {
        let piece_start = ((end - 1) / PIECE as usize) * PIECE as usize;
        assert_eq!(tries[0].start, piece_start, "a piece starts at its start");
        for pair in tries.windows(2) {
            assert_eq!(
                pair[1].start,
                pair[0].start + sent_before(pair[0]),
                "a retry starts where the try before got to: {tries:?}"
            );
        }
    }
}

#[tokio::test]
async fn connections_cut_mid_piece_are_retried_and_the_file_completes() {
    // The first two tries of every piece are cut after a third of what they were asked for.
    let cut = |a: &Asked| (a.end - a.start) / 3;
    let (endpoint, server) = start(Box::new(move |a: &Asked| {
        if a.attempt < 2 {
            Answer::Cut(cut(a))
        } else {
            Answer::Serve
        }
    }))
    .await;
    let home = tempfile::tempdir().expect("home");
    let (result, progress) = fetch(&endpoint, home.path(), limits(3)).await;
    let snapshot = result.expect("the download completes despite the cuts");
    assert_complete(&snapshot);
    let asked = server.asked.lock().expect("log").clone();
    assert_eq!(
        asked.len(),
        3 * SIZE.div_ceil(PIECE as usize),
        "three tries a piece"
    );
    assert_each_retry_resumes(&asked, cut);
    assert_eq!(
        *server.sent.lock().expect("sent"),
        SIZE,
        "no byte fetched twice"
    );
    assert_eq!(progress.done_bytes, progress.total_bytes);
    assert_eq!((progress.files_done, progress.current.len()), (1, 0));
}

#[tokio::test]
async fn stalled_connections_and_busy_answers_are_retried() {
    // Piece 2 stalls half way once; piece 5 is answered 503 once; the rest are served.
    let (endpoint, server) = start(Box::new(|a: &Asked| {
        let piece = a.start / PIECE as usize;
        match (piece, a.attempt) {
            (2, 0) => Answer::Stall((a.end - a.start) / 2),
            (5, 0) => Answer::Busy,
            _ => Answer::Serve,
        }
    }))
    .await;
    let home = tempfile::tempdir().expect("home");
    let (result, _) = fetch(&endpoint, home.path(), limits(2)).await;
    assert_complete(&result.expect("the download completes"));
    let asked = server.asked.lock().expect("log").clone();
    let piece = |n: u64| -> Vec<usize> {
        asked
            .iter()
            .filter(|a| a.end == ((n + 1) * PIECE) as usize)
            .map(|a| a.start)
            .collect()
    };
    let half = (PIECE / 2) as usize;
    assert_eq!(
        piece(2),
        vec![2 * PIECE as usize, 2 * PIECE as usize + half]
    );
    assert_eq!(piece(5), vec![5 * PIECE as usize; 2]);
    assert_eq!(*server.sent.lock().expect("sent"), SIZE);
}

#[tokio::test]
async fn a_piece_that_keeps_breaking_stops_after_its_tries_and_resumes_later() {
    // Piece 3 is cut after 1,000 bytes on every try until the server is mended.
    let mended = Arc::new(Mutex::new(false));
    let mended_in_server = Arc::clone(&mended);
    let (endpoint, server) = start(Box::new(move |a: &Asked| {
        if a.start / PIECE as usize == 3 && !*mended_in_server.lock().expect("flag") {
            Answer::Cut(1_000)
        } else {
            Answer::Serve
        }
    }))
    .await;
    let home = tempfile::tempdir().expect("home");
    let (result, _) = fetch(&endpoint, home.path(), limits(3)).await;
    let message = match result {
        Err(DownloadError::Http(message)) => message,
        other => panic!("expected the download to stop, got {other:?}"),
    };
    assert!(
        message.contains("model.safetensors broke off") && message.contains("after 4 tries"),
        "{message}"
    );
    let tries: Vec<Asked> = server
        .asked
        .lock()
        .expect("log")
        .iter()
        .filter(|a| a.start / PIECE as usize == 3)
        .cloned()
        .collect();
    let starts: Vec<usize> = tries.iter().map(|a| a.start).collect();
    let first = 3 * PIECE as usize;
    assert_eq!(
        starts,
        vec![first, first + 1_000, first + 2_000, first + 3_000],
        "bounded tries, each from where the last got to"
    );
    for (pair, wait) in tries.windows(2).zip([20, 40, 80]) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(wait),
            "each retry waits longer ({gap:?} before the one after {wait} ms)"
        );
    }

    *mended.lock().expect("flag") = true;
    server.asked.lock().expect("log").clear();
    let (result, _) = fetch(&endpoint, home.path(), limits(3)).await;
    assert_complete(&result.expect("the next download completes"));
    let asked = server.asked.lock().expect("log").clone();
    assert_eq!(asked.len(), 1, "only the broken piece was left: {asked:?}");
    assert_eq!(asked[0].start, first + 4_000);
    let blobs = repo_cache(home.path(), "acme/flaky").join("blobs");
    assert!(std::fs::read_dir(blobs)
        .expect("blobs")
        .filter_map(Result::ok)
        .all(|e| !e.file_name().to_string_lossy().contains('.')));
}

#[tokio::test]
async fn a_whole_file_answer_that_breaks_is_fetched_again_from_its_start() {
    // The server ignores ranges; its first answer breaks off at 300,000 bytes.
    let answers = std::sync::atomic::AtomicUsize::new(0);
    let (endpoint, server) = start(Box::new(move |_: &Asked| {
        match answers.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => Answer::Whole(Some(300_000)),
            _ => Answer::Whole(None),
        }
    }))
    .await;
    let home = tempfile::tempdir().expect("home");
    let (result, progress) = fetch(&endpoint, home.path(), limits(2)).await;
    assert_complete(&result.expect("the download completes"));
    let asked = server.asked.lock().expect("log").clone();
    assert_eq!(asked.len(), 2, "one break, one whole answer: {asked:?}");
    assert_eq!(
        (asked[1].start, asked[1].end),
        (0, SIZE),
        "again from the start"
    );
    assert_eq!(*server.sent.lock().expect("sent"), 300_000 + SIZE);
    assert_eq!(
        progress.done_bytes, progress.total_bytes,
        "the broken answer's bytes are not counted twice"
    );
}
