//! Readiness and health over HTTP. While the process lives, "connection refused" (or a
//! 503) means loading; then the plan's health path answers 200 (vLLM's `/health`;
//! `/v1/models` for llama-cpp-python's server, which has no `/health`); then a real
//! one-token completion must succeed. Only then is the engine ready.

use std::time::Duration;

use crate::engine::plan::LaunchPlan;

/// What a readiness probe found.
pub(super) enum Probe {
    /// Not answering yet, or not answering a completion.
    Loading,
    /// Healthy and answered a completion.
    Ready,
}

fn url(plan: &LaunchPlan, path: &str) -> String {
    format!("http://{}:{}{path}", plan.host, plan.port)
}

/// Whether the plan's health path answers with success.
pub(super) async fn healthy(client: &reqwest::Client, plan: &LaunchPlan) -> bool {
    client
        .get(url(plan, &plan.health_path))
        .bearer_auth(plan.api_key.expose())
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Loading until `/health` is 200 and a one-token completion succeeds.
pub(super) async fn probe_ready(client: &reqwest::Client, plan: &LaunchPlan) -> Probe {
    if !healthy(client, plan).await {
        return Probe::Loading;
    }
    let body = serde_json::json!({
        "model": plan.served_name,
        "prompt": "Hello",
        "max_tokens": 1,
        "temperature": 0,
    });
    let answer = client
        .post(url(plan, "/v1/completions"))
        .bearer_auth(plan.api_key.expose())
        .json(&body)
        .timeout(Duration::from_secs(60))
        .send()
        .await;
    match answer {
        Ok(response) if response.status().is_success() => Probe::Ready,
        _ => Probe::Loading,
    }
}
