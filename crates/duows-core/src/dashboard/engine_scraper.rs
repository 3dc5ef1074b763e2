//! Reads the running engines' `/metrics` when a dashboard asks, never on its own: one scrape
//! per engine at most every second however many viewers ask, the scrapes of the last minute
//! kept so rates and the time to first token cover a known span.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::engine_metrics::{EngineScrape, ServingFigures};
use super::prometheus::Exposition;
use crate::engine::{EngineKind, EngineState, Secret};

/// Scrapes kept per engine: the last minute.
const KEEP_MS: u64 = 60_000;
/// Tokens per second are taken over about this span.
const RATE_SPAN_MS: u64 = 10_000;
/// A scrape this recent is answered again rather than asked anew.
const FRESH_MS: u64 = 900;
/// How long one engine may take to answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// An engine to read.
#[derive(Debug, Clone)]
pub struct ScrapeTarget {
    /// Its name.
    pub name: String,
    /// vLLM or llama.cpp.
    pub kind: EngineKind,
    /// Its state now: only a ready engine is read.
    pub state: EngineState,
    /// Its OpenAI-compatible base URL (`http://127.0.0.1:PORT/v1`).
    pub base_url: String,
    /// Its key, sent as a bearer token.
    pub api_key: Option<Secret>,
}

/// One engine's serving figures, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct EngineServing {
    /// The engine's name.
    pub name: String,
    /// Its state.
    pub state: EngineState,
    /// When they were read (ms since the epoch); `None` when not read.
    pub read_at_ms: Option<u64>,
    /// The figures, when its metrics could be read.
    pub figures: Option<ServingFigures>,
    /// Why there are no figures, in words.
    pub unavailable: Option<String>,
}

/// The engines' recent scrapes; shared by every viewer.
pub struct EngineScraper {
    client: reqwest::Client,
    kept: Mutex<HashMap<String, VecDeque<EngineScrape>>>,
}

impl Default for EngineScraper {
    fn default() -> Self {
        Self::new()
    }
}

/// `http://host:port/v1` → `http://host:port/metrics`.
pub fn metrics_url(base_url: &str) -> String {
    let root = base_url.trim_end_matches('/');
    let root = root.strip_suffix("/v1").unwrap_or(root);
    format!("{root}/metrics")
}

impl EngineScraper {
    /// A scraper with its own client (loopback engines: no proxy).
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            client,
            kept: Mutex::new(HashMap::new()),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<EngineScrape>>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The figures of each engine in `targets`, read now (or within the last second).
    pub async fn read(&self, targets: &[ScrapeTarget], now_ms: u64) -> Vec<EngineServing> {
        // Forget engines that are gone.
        self.kept()
            .retain(|name, _| targets.iter().any(|t| &t.name == name));
        let reads = targets.iter().map(|target| self.read_one(target, now_ms));
        futures_util::future::join_all(reads).await
    }

    async fn read_one(&self, target: &ScrapeTarget, now_ms: u64) -> EngineServing {
        let mut serving = EngineServing {
            name: target.name.clone(),
            state: target.state,
            read_at_ms: None,
            figures: None,
            unavailable: None,
        };
        if target.state != EngineState::Ready {
            serving.unavailable = Some("Figures appear once the engine is ready.".into());
            return serving;
        }
        let fresh = self
            .kept()
            .get(&target.name)
            .and_then(|s| s.back().cloned())
            .filter(|last| now_ms.saturating_sub(last.at_ms) < FRESH_MS);
        let scrape = match fresh {
            Some(scrape) => scrape,
            None => match self.scrape(target, now_ms).await {
                Ok(scrape) => scrape,
                Err(reason) => {
                    serving.unavailable = Some(reason);
                    return serving;
                }
            },
        };
        let mut kept = self.kept();
        let scrapes = kept.entry(target.name.clone()).or_default();
        if scrapes.back().is_none_or(|last| last.at_ms < scrape.at_ms) {
            scrapes.push_back(scrape.clone());
        }
        while scrapes
            .front()
            .is_some_and(|s| scrape.at_ms.saturating_sub(s.at_ms) > KEEP_MS)
        {
            scrapes.pop_front();
        }
        // The newest scrape at least RATE_SPAN old, else the oldest kept.
        let rate_base = scrapes
            .iter()
            .rev()
            .find(|s| scrape.at_ms.saturating_sub(s.at_ms) >= RATE_SPAN_MS)
            .or_else(|| scrapes.front());
        serving.figures = Some(ServingFigures::derive(&scrape, rate_base, scrapes.front()));
        serving.read_at_ms = Some(scrape.at_ms);
        serving
    }

    async fn scrape(&self, target: &ScrapeTarget, now_ms: u64) -> Result<EngineScrape, String> {
        let mut request = self.client.get(metrics_url(&target.base_url));
        if let Some(key) = &target.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|_| "The engine did not answer its metrics request.".to_owned())?;
        if !response.status().is_success() {
            return Err(match target.kind {
                EngineKind::LlamaCpp => "This llama.cpp server does not publish metrics.".into(),
                EngineKind::Vllm => format!(
                    "The engine refused its metrics request ({}).",
                    response.status()
                ),
            });
        }
        let text = response
            .text()
            .await
            .map_err(|_| "The engine's metrics could not be read.".to_owned())?;
        let scrape = EngineScrape::read(&Exposition::parse(&text), now_ms);
        if scrape.is_empty() {
            return Err("The engine's metrics hold none of the serving figures.".into());
        }
        Ok(scrape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    /// An engine's `/metrics` that counts 100 more generated tokens at every read and wants
    /// the engine's key.
    async fn engine_metrics() -> String {
        let reads = Arc::new(AtomicU64::new(0));
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move |headers: axum::http::HeaderMap| {
                let reads = Arc::clone(&reads);
                async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok())
                        != Some("Bearer k")
                    {
                        return (axum::http::StatusCode::UNAUTHORIZED, String::new());
                    }
                    let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
                    let body = format!(
                        "vllm:num_requests_running{{model_name=\"m\"}} 1\n\
                         vllm:kv_cache_usage_perc{{model_name=\"m\"}} 0.5\n\
                         vllm:generation_tokens_total{{model_name=\"m\"}} {}\n",
                        n * 100
                    );
                    (axum::http::StatusCode::OK, body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}/v1")
    }

    fn target(name: &str, base_url: &str, state: EngineState, key: Option<&str>) -> ScrapeTarget {
        ScrapeTarget {
            name: name.into(),
            kind: EngineKind::Vllm,
            state,
            base_url: base_url.into(),
            api_key: key.map(Secret::new),
        }
    }

    #[tokio::test]
    async fn a_ready_engine_is_read_with_its_key_and_its_rate_taken_between_reads() {
        let url = engine_metrics().await;
        let scraper = EngineScraper::new();
        let ready = [target("m", &url, EngineState::Ready, Some("k"))];
        let first = scraper.read(&ready, 1_000).await;
        let figures = first[0].figures.clone().expect("figures");
        assert_eq!(figures.requests_running, Some(1.0));
        assert_eq!(figures.kv_cache_percent, Some(50.0));
        assert_eq!(figures.tokens_per_second, None, "one read: no rate yet");
        // Within the same second the kept read is answered: the engine is not asked again.
        let again = scraper.read(&ready, 1_500).await;
        assert_eq!(again[0].read_at_ms, Some(1_000));
        let later = scraper.read(&ready, 11_000).await;
        let figures = later[0].figures.clone().expect("figures");
        assert_eq!(figures.tokens_per_second, Some(10.0), "100 tokens in 10 s");
        assert_eq!(figures.rate_span_s, 10.0);
    }

    #[tokio::test]
    async fn engines_not_ready_or_refusing_say_why() {
        let url = engine_metrics().await;
        let scraper = EngineScraper::new();
        let answers = scraper
            .read(
                &[
                    target("loading", &url, EngineState::Starting, Some("k")),
                    target("no-key", &url, EngineState::Ready, None),
                    target("gone", "http://127.0.0.1:9/v1", EngineState::Ready, None),
                ],
                1_000,
            )
            .await;
        assert!(answers.iter().all(|a| a.figures.is_none()));
        let reasons: Vec<&str> = answers
            .iter()
            .filter_map(|a| a.unavailable.as_deref())
            .collect();
        assert_eq!(reasons.len(), 3);
        assert!(reasons[0].contains("ready"), "{}", reasons[0]);
        assert!(reasons[1].contains("401"), "{}", reasons[1]);
        assert!(reasons[2].contains("did not answer"), "{}", reasons[2]);
    }

    #[test]
    fn the_metrics_sit_beside_the_api_root() {
        assert_eq!(
            metrics_url("http://127.0.0.1:8001/v1"),
            "http://127.0.0.1:8001/metrics"
        );
        assert_eq!(
            metrics_url("http://127.0.0.1:8001/v1/"),
            "http://127.0.0.1:8001/metrics"
        );
        assert_eq!(
            metrics_url("http://127.0.0.1:8001"),
            "http://127.0.0.1:8001/metrics"
        );
    }
}
