//! The load generator's HTTP/1.1 client: one keep-alive connection pool per run, Nagle off,
//! and the chat-completion request every path receives.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A pooling client: idle connections are kept and reused, new ones open as load needs them.
pub fn pooled() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_keepalive(Some(Duration::from_secs(60)));
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(usize::MAX)
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector)
}

/// A small chat request for `model`, as coding assistants send them.
pub fn chat_body(model: &str, stream: bool) -> Bytes {
    Bytes::from(format!(
        r#"{{"model":"{model}","messages":[{{"role":"system","content":"You are a helpful coding assistant."}},{{"role":"user","content":"Write a function that adds two numbers."}}],"max_tokens":64,"temperature":0.2,"stream":{stream}}}"#
    ))
}

pub fn post(url: &Uri, body: &Bytes) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(body.clone()));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = url.clone();
    request
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    request
}

/// Marks `request` as arrival `n` (`x-request-id: lg-<n>`), as the gateway's request log
/// then names it.
pub fn with_request_id(request: &mut Request<Full<Bytes>>, n: u64) {
    if let Ok(value) = HeaderValue::from_str(&format!("lg-{n}")) {
        request.headers_mut().insert("x-request-id", value);
    }
}
