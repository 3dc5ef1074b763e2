//! One real chat request through this program's gateway, the way GitLab sends one: with a
//! short-lived key of its own when keys are required (removed afterwards, never shown), and
//! without one otherwise (making one would require keys from everybody meanwhile). The
//! doctor and the setup wizard's last step both ask through here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::gateway_service::key_store;
use crate::ApiState;

/// How long the request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What the gateway answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GatewayAnswer {
    /// Round trip in milliseconds.
    pub ms: u64,
    /// The model's words.
    pub text: String,
}

/// Sends `prompt` to `model` (an alias) at the gateway on `addr`, for at most `max_tokens`.
pub(crate) async fn ask(
    state: &ApiState,
    addr: SocketAddr,
    model: &str,
    prompt: &str,
    max_tokens: u32,
) -> Result<GatewayAnswer, String> {
    let keys = key_store(state).map_err(|e| e.message)?;
    let key = if keys.has_active_keys() {
        let expires = duows_base::clock::now_secs() + 3600;
        Some(
            keys.create("doctor", Some(expires))
                .map_err(|e| format!("no key could be made for the check: {e}"))?,
        )
    } else {
        None
    };
    let target = SocketAddr::new(
        if addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            addr.ip()
        },
        addr.port(),
    );
    let outcome = send(
        target,
        model,
        prompt,
        max_tokens,
        key.as_ref().map(|(_, s)| s.expose()),
    )
    .await;
    if let Some((info, _)) = &key {
        // Used once: gone from the key list, not left there revoked.
        let _ = keys.remove(&info.id);
    }
    outcome
}

async fn send(
    addr: SocketAddr,
    model: &str,
    prompt: &str,
    max_tokens: u32,
    key: Option<&str>,
) -> Result<GatewayAnswer, String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let body = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
    });
    let mut request = client
        .post(format!("http://{addr}/v1/chat/completions"))
        .json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let started = Instant::now();
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() && answer["choices"].is_array() {
        return Ok(GatewayAnswer {
            ms: started.elapsed().as_millis() as u64,
            text: answer["choices"][0]["message"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    let message = answer["error"]["message"]
        .as_str()
        .unwrap_or("no OpenAI answer")
        .to_owned();
    Err(format!("HTTP {}: {message}", status.as_u16()))
}
