//! A local stand-in for the Hugging Face hub, serving one generated repository to every
//! download client the benchmark compares.
//!
//! `hub generate --dir D --shards-mib 1536,1024,512` writes the repository (see `repo`).
//! `hub serve --dir D [--port P] [--cap-mb-per-s N]` serves it, under any repository name:
//! - `GET /api/models/{org}/{name}/revision/{rev}`: the commit and the file list (`siblings`);
//! - `GET /api/models/{org}/{name}/tree/{rev}`: files with sizes and LFS SHA-256 sums;
//! - `HEAD|GET /{org}/{name}/resolve/{rev}/{path}`: a 302 to `/cdn/{sha256}`, carrying the
//!   hub's `X-Repo-Commit`, `X-Linked-Etag` and `X-Linked-Size`, as the real hub does;
//! - `HEAD|GET /cdn/{sha256}`: the bytes, honouring `Range`, each response paced to the cap
//!   (a CDN's per-connection limit);
//! - `GET /stats`: `{"bytes_sent":N,"requests":N}` so far.
//!
//! Files are memory-mapped and served from the page cache. Prints
//! `hub: listening on http://127.0.0.1:PORT`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use duows_download_bench::repo;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use memmap2::Mmap;
use tokio::time::Instant;

type Body = UnsyncBoxBody<Bytes, Infallible>;

const COMMIT: &str = "b1e2c3d4e5f60718293a4b5c6d7e8f9012345678";
/// Bytes handed to the connection at a time.
const SLICE: u64 = 256 << 10;

struct Served {
    file: repo::RepoFile,
    map: Arc<Mmap>,
}

struct Hub {
    files: Vec<Served>,
    by_sha: HashMap<String, usize>,
    /// Bytes per second per response, if capped.
    cap: Option<f64>,
    bytes_sent: AtomicU64,
    requests: AtomicU64,
}

/// A slice of a mapped file, handed to hyper without a copy.
struct MapSlice {
    map: Arc<Mmap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for MapSlice {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.end]
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let command = if args.is_empty() {
        String::new()
    } else {
        args.remove(0)
    };
    let mut option = |name: &str| {
        let at = args.iter().position(|a| a == name)?;
        let value = args.get(at + 1).cloned();
        args.drain(at..(at + 2).min(args.len()));
        value
    };
    let dir = PathBuf::from(option("--dir").unwrap_or_else(|| usage()));
    match command.as_str() {
        "generate" => {
            let shards: Vec<u64> = option("--shards-mib")
                .unwrap_or_else(|| "1536,1024,512".into())
                .split(',')
                .map(|n| n.trim().parse().unwrap_or_else(|_| usage()))
                .collect();
            let files = repo::generate(&dir, &shards).expect("generate the repository");
            let total: u64 = files.iter().map(|f| f.size).sum();
            println!(
                "hub: {} files, {total} bytes in {}",
                files.len(),
                dir.display()
            );
        }
        "serve" => {
            let port: u16 = option("--port").map_or(0, |p| p.parse().unwrap_or_else(|_| usage()));
            let cap = option("--cap-mb-per-s")
                .map(|n| n.parse::<f64>().unwrap_or_else(|_| usage()) * 1e6)
                .filter(|c| *c > 0.0);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(serve(load(dir, cap), port));
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: hub generate --dir D [--shards-mib 1536,1024,512] | hub serve --dir D [--port P] [--cap-mb-per-s N]");
    std::process::exit(2)
}

fn load(dir: PathBuf, cap: Option<f64>) -> Hub {
    let files: Vec<Served> = repo::read_manifest(&dir)
        .expect("read the manifest")
        .into_iter()
        .map(|file| {
            let handle = std::fs::File::open(dir.join(&file.path)).expect("open a file");
            // SAFETY: the benchmark's files are not changed while they are served.
            let map = unsafe { Mmap::map(&handle) }.expect("map a file");
            Served {
                file,
                map: Arc::new(map),
            }
        })
        .collect();
    let by_sha = files
        .iter()
        .enumerate()
        .map(|(i, s)| (s.file.sha256.clone(), i))
        .collect();
    Hub {
        files,
        by_sha,
        cap,
        bytes_sent: AtomicU64::new(0),
        requests: AtomicU64::new(0),
    }
}

async fn serve(hub: Hub, port: u16) {
    let hub = Arc::new(hub);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local address");
    println!("hub: listening on http://{addr}");
    std::io::stdout().flush().expect("stdout");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let hub = Arc::clone(&hub);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let hub = Arc::clone(&hub);
                async move { Ok::<_, Infallible>(answer(&hub, request)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer(hub: &Arc<Hub>, request: Request<Incoming>) -> Response<Body> {
    hub.requests.fetch_add(1, Ordering::Relaxed);
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        return text(StatusCode::METHOD_NOT_ALLOWED, "text/plain", String::new());
    }
    let path = request.uri().path().to_owned();
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    match parts.as_slice() {
        ["stats"] => text(
            StatusCode::OK,
            "application/json",
            format!(
                r#"{{"bytes_sent":{},"requests":{}}}"#,
                hub.bytes_sent.load(Ordering::Relaxed),
                hub.requests.load(Ordering::Relaxed)
            ),
        ),
        ["api", "models", org, name_rest @ ..] => api(hub, org, name_rest),
        ["cdn", sha] => match hub.by_sha.get(*sha) {
            Some(&i) => bytes(hub, i, &request, head),
            None => not_found(),
        },
        [_org, _name, "resolve", _rev, file] => {
            let Some(served) = hub.files.iter().find(|s| s.file.path == *file) else {
                return not_found();
            };
            let host = request
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            Response::builder()
                .status(StatusCode::FOUND)
                .header(
                    "location",
                    format!("http://{host}/cdn/{}", served.file.sha256),
                )
                .header("x-repo-commit", COMMIT)
                .header("x-linked-etag", format!("\"{}\"", served.file.sha256))
                .header("x-linked-size", served.file.size.to_string())
                .header("etag", format!("\"{}\"", served.file.sha256))
                .header("content-length", "0")
                .body(Full::new(Bytes::new()).boxed_unsync())
                .unwrap_or_else(|_| not_found())
        }
        _ => not_found(),
    }
}

/// `/api/models/{org}/{name}/revision/{rev}` and `/api/models/{org}/{name}/tree/{rev}`.
fn api(hub: &Hub, org: &str, rest: &[&str]) -> Response<Body> {
    let Some(name) = rest.first() else {
        return not_found();
    };
    let kind = rest
        .get(1)
        .map_or("", |rest| rest.split('/').next().unwrap_or(""));
    let json = match kind {
        "revision" => {
            let siblings: Vec<String> = hub
                .files
                .iter()
                .map(|s| format!(r#"{{"rfilename":"{}"}}"#, s.file.path))
                .collect();
            format!(
                r#"{{"id":"{org}/{name}","modelId":"{org}/{name}","sha":"{COMMIT}","private":false,"gated":false,"siblings":[{}]}}"#,
                siblings.join(",")
            )
        }
        "tree" => {
            let entries: Vec<String> = hub
                .files
                .iter()
                .map(|s| {
                    format!(
                        r#"{{"type":"file","path":"{}","size":{},"oid":"{}","lfs":{{"oid":"{}","size":{},"pointerSize":134}}}}"#,
                        s.file.path, s.file.size, &s.file.sha256[..40], s.file.sha256, s.file.size
                    )
                })
                .collect();
            format!("[{}]", entries.join(","))
        }
        _ => return not_found(),
    };
    text(StatusCode::OK, "application/json", json)
}

/// The bytes of file `index`, or the range the request asks for, paced to the cap.
fn bytes(hub: &Arc<Hub>, index: usize, request: &Request<Incoming>, head: bool) -> Response<Body> {
    let served = &hub.files[index];
    let size = served.file.size;
    let range = request
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(first, last)| {
            let start: u64 = first.parse().ok()?;
            let end = if last.is_empty() {
                size
            } else {
                last.parse::<u64>().ok()?.saturating_add(1).min(size)
            };
            (start < end).then_some((start, end))
        });
    let (start, end) = range.unwrap_or((0, size));
    let mut builder = Response::builder()
        .header("content-type", "application/octet-stream")
        .header("accept-ranges", "bytes")
        .header("etag", format!("\"{}\"", served.file.sha256))
        .header("content-length", (end - start).to_string());
    builder = match range {
        Some(_) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header("content-range", format!("bytes {start}-{}/{size}", end - 1)),
        None => builder.status(StatusCode::OK),
    };
    if head {
        return builder
            .body(Full::new(Bytes::new()).boxed_unsync())
            .unwrap_or_else(|_| not_found());
    }
    let map = Arc::clone(&served.map);
    let hub = Arc::clone(hub);
    let began = Instant::now();
    let frames = futures_util::stream::unfold(start, move |offset| {
        let map = Arc::clone(&map);
        let hub = Arc::clone(&hub);
        async move {
            if offset >= end {
                return None;
            }
            if let Some(cap) = hub.cap {
                let due = began + Duration::from_secs_f64((offset - start) as f64 / cap);
                tokio::time::sleep_until(due).await;
            }
            let next = (offset + SLICE).min(end);
            hub.bytes_sent.fetch_add(next - offset, Ordering::Relaxed);
            let slice = MapSlice {
                map,
                start: offset as usize,
                end: next as usize,
            };
            Some((Ok(Frame::data(Bytes::from_owner(slice))), next))
        }
    });
    builder
        .body(StreamBody::new(frames).boxed_unsync())
        .unwrap_or_else(|_| not_found())
}

fn text(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)).boxed_unsync())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed_unsync()))
}

fn not_found() -> Response<Body> {
    text(
        StatusCode::NOT_FOUND,
        "application/json",
        r#"{"error":"Entry not found"}"#.into(),
    )
}
