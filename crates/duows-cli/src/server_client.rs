//! A small client for the running server's control API (`duows engine start|stop|…`).

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Talks to `duows serve` (or the desktop app's server) at one address.
pub struct ServerClient {
    base: String,
    token: Option<String>,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl ServerClient {
    /// A client for `base` (e.g. `http://127.0.0.1:8765`); `DUOWS_TOKEN` is sent when set.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            token: std::env::var("DUOWS_TOKEN").ok().filter(|t| !t.is_empty()),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            client: reqwest::Client::builder().no_proxy().build()?,
        })
    }

    /// GET a JSON answer.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(self.client.get(format!("{}{path}", self.base)))
    }

    /// POST JSON, get a JSON answer.
    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> anyhow::Result<T> {
        self.send(self.client.post(format!("{}{path}", self.base)).json(body))
    }

    fn send<T: DeserializeOwned>(&self, mut request: reqwest::RequestBuilder) -> anyhow::Result<T> {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        self.runtime.block_on(async {
            let response = request.send().await.with_context(|| {
                format!("cannot reach the Duo Workstation server at {} (is `duows serve` running? --server names another)", self.base)
            })?;
            let status = response.status();
            let body: serde_json::Value = response.json().await.context("the server's answer is not JSON")?;
            if !status.is_success() {
                let message = body["message"].as_str().unwrap_or("request failed");
                match body["field"].as_str() {
                    Some(field) => anyhow::bail!("--{}: {message}", field.replace('_', "-")),
                    None => anyhow::bail!("{message}"),
                }
            }
            serde_json::from_value(body).context("unexpected answer from the server")
        })
    }
}
