//! A mock OpenAI-compatible upstream for the gateway benchmark.
//!
//! `mock [--port P] [--chunks 64] [--interval-ms 20] [--answer-delay-ms 0]` listens on
//! 127.0.0.1 and answers `POST …/chat/completions` in one of two ways, picked by the
//! request's `stream` flag:
//! - instant (no `"stream": true`): a fixed small completion, at once (or after
//!   `--answer-delay-ms`, so that requests are in flight when the mock is killed), so any time
//!   measured beyond a direct call is the CPU cost of whatever sits in between;
//! - paced (`"stream": true`): `chunks` SSE chunks `interval-ms` apart, then `data: [DONE]`,
//!   so a proxy that buffers shows up as added time to first byte or between chunks.
//!
//! `GET …/models` lists the one model. Prints `mock: listening on http://127.0.0.1:PORT`.
//! One thread (it is pinned beside the load generator and must stay cheap).

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use duows_gateway_bench::args::Args;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::time::Instant;

type Body = UnsyncBoxBody<Bytes, Infallible>;

const COMPLETION: &str = r#"{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":"mock-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}"#;
const MODELS: &str = r#"{"object":"list","data":[{"id":"mock-model","object":"model","created":1700000000,"owned_by":"mock"}]}"#;

#[derive(Clone, Copy)]
struct Pacing {
    chunks: u32,
    interval: Duration,
    /// How long a non-streaming answer waits.
    answer_delay: Duration,
}

fn main() {
    let mut args = Args::from_env();
    let port: u16 = args.value("--port").unwrap_or(0);
    let pacing = Pacing {
        chunks: args.value("--chunks").unwrap_or(64),
        interval: Duration::from_millis(args.value("--interval-ms").unwrap_or(20)),
        answer_delay: Duration::from_millis(args.value("--answer-delay-ms").unwrap_or(0)),
    };
    args.finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(serve(port, pacing));
}

async fn serve(port: u16, pacing: Pacing) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local address");
    println!("mock: listening on http://{addr}");
    std::io::stdout().flush().expect("stdout");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, pacing));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(request: Request<Incoming>, pacing: Pacing) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(match (method, path.as_str()) {
        (Method::POST, p) if p.ends_with("/chat/completions") => {
            if wants_stream(&body) {
                paced(pacing)
            } else {
                if !pacing.answer_delay.is_zero() {
                    tokio::time::sleep(pacing.answer_delay).await;
                }
                fixed(StatusCode::OK, "application/json", COMPLETION)
            }
        }
        (Method::GET, p) if p.ends_with("/models") => {
            fixed(StatusCode::OK, "application/json", MODELS)
        }
        _ => fixed(
            StatusCode::NOT_FOUND,
            "application/json",
            r#"{"error":"not found"}"#,
        ),
    })
}

fn fixed(status: StatusCode, content_type: &'static str, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed_unsync());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `chunks` chat.completion.chunk events, the first at once and then one every `interval`
/// (from a fixed start, so the pace does not drift), then `[DONE]` with the last.
fn paced(pacing: Pacing) -> Response<Body> {
    let start = Instant::now();
    let events = futures_util::stream::unfold(0u32, move |i| async move {
        if i >= pacing.chunks {
            return None;
        }
        tokio::time::sleep_until(start + pacing.interval * i).await;
        Some((Ok(Frame::data(Bytes::from(chunk(i, pacing.chunks)))), i + 1))
    });
    let mut response = Response::new(StreamBody::new(events).boxed_unsync());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    response
}

/// Chunk `i` of `n`; its content carries the marker `chunk-<i>` that the load generator counts.
fn chunk(i: u32, n: u32) -> String {
    let role = if i == 0 { r#""role":"assistant","# } else { "" };
    let finish = if i + 1 == n { r#""stop""# } else { "null" };
    let done = if i + 1 == n { "data: [DONE]\n\n" } else { "" };
    format!(
        "data: {{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"mock-model\",\"choices\":[{{\"index\":0,\"delta\":{{{role}\"content\":\"chunk-{i} \"}},\"finish_reason\":{finish}}}]}}\n\n{done}"
    )
}

/// Whether a JSON request body sets `"stream": true` (a byte scan; the mock must stay cheap).
fn wants_stream(body: &[u8]) -> bool {
    const KEY: &[u8] = b"\"stream\"";
    let Some(at) = body.windows(KEY.len()).position(|w| w == KEY) else {
        return false;
    };
    let rest = body[at + KEY.len()..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == b':')
        .take(4)
        .copied()
        .collect::<Vec<u8>>();
    rest == b"true"
}

#[cfg(test)]
mod tests {
    use super::wants_stream;

    #[test]
    fn stream_flag_is_read_with_or_without_spaces() {
        assert!(wants_stream(br#"{"model":"m","stream":true}"#));
        assert!(wants_stream(br#"{"model": "m", "stream": true}"#));
        assert!(!wants_stream(br#"{"model":"m","stream":false}"#));
        assert!(!wants_stream(br#"{"model":"m"}"#));
    }
}
