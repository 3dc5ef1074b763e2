//! An engine's serving figures from its Prometheus metrics: requests running and waiting and
//! KV-cache use as they are now, tokens per second and time to first token over a recent
//! span (two scrapes apart). vLLM and llama.cpp's server name them differently; both are
//! read. Pure: the scrapes come from `engine_scraper`.

use serde::Serialize;

use super::prometheus::{Exposition, Histogram};

/// What one scrape of an engine's `/metrics` held, at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineScrape {
    /// When it was read (ms since the epoch).
    pub at_ms: u64,
    /// Requests being computed.
    pub running: Option<f64>,
    /// Requests queued.
    pub waiting: Option<f64>,
    /// KV-cache use, 0..=1.
    pub kv_cache: Option<f64>,
    /// Tokens generated since the engine started (a counter).
    pub generated_tokens: Option<f64>,
    /// Time to first token, since the engine started.
    pub ttft: Option<Histogram>,
}

impl EngineScrape {
    /// Reads the figures from an exposition taken at `at_ms`, under vLLM's names (V1 and
    /// older) or llama.cpp's server's.
    pub fn read(exposition: &Exposition, at_ms: u64) -> Self {
        Self {
            at_ms,
            running: exposition
                .sum_any(&["vllm:num_requests_running", "llamacpp:requests_processing"]),
            waiting: exposition
                .sum_any(&["vllm:num_requests_waiting", "llamacpp:requests_deferred"]),
            kv_cache: exposition.sum_any(&[
                "vllm:kv_cache_usage_perc",
                "vllm:gpu_cache_usage_perc",
                "llamacpp:kv_cache_usage_ratio",
            ]),
            generated_tokens: exposition.sum_any(&[
                "vllm:generation_tokens_total",
                "llamacpp:tokens_predicted_total",
            ]),
            ttft: exposition.histogram("vllm:time_to_first_token_seconds"),
        }
    }

    /// Whether it held any figure this module knows.
    pub fn is_empty(&self) -> bool {
        self.running.is_none()
            && self.waiting.is_none()
            && self.kv_cache.is_none()
            && self.generated_tokens.is_none()
            && self.ttft.is_none()
    }
}

/// The serving figures of one engine, as the dashboard shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct ServingFigures {
    /// Requests being computed now.
    pub requests_running: Option<f64>,
    /// Requests queued now.
    pub requests_waiting: Option<f64>,
    /// KV-cache use now, in percent.
    pub kv_cache_percent: Option<f64>,
    /// Tokens generated per second over `rate_span_s`.
    pub tokens_per_second: Option<f64>,
    /// The seconds the rate is taken over (0: one scrape only so far).
    pub rate_span_s: f64,
    /// Median time to first token of the requests of the last `ttft_span_s`, in ms.
    pub ttft_p50_ms: Option<f64>,
    /// 99th percentile of the same, in ms.
    pub ttft_p99_ms: Option<f64>,
    /// Requests the time to first token is taken over.
    pub ttft_requests: f64,
    /// The seconds the time to first token is taken over.
    pub ttft_span_s: f64,
}

impl ServingFigures {
    /// The figures of `now`, with rates against `rate_base` and the time to first token
    /// against `ttft_base` (earlier scrapes; none: only what `now` says alone).
    pub fn derive(
        now: &EngineScrape,
        rate_base: Option<&EngineScrape>,
        ttft_base: Option<&EngineScrape>,
    ) -> Self {
        let mut figures = Self {
            requests_running: now.running,
            requests_waiting: now.waiting,
            kv_cache_percent: now.kv_cache.map(|f| (f * 1000.0).round() / 10.0),
            ..Self::default()
        };
        if let Some(base) = rate_base.filter(|b| b.at_ms < now.at_ms) {
            let span_s = (now.at_ms - base.at_ms) as f64 / 1000.0;
            if let (Some(a), Some(b)) = (base.generated_tokens, now.generated_tokens) {
                // A counter that went back: the engine restarted; no rate this time.
                if b >= a {
                    figures.tokens_per_second = Some((b - a) / span_s);
                    figures.rate_span_s = span_s;
                }
            }
        }
        if let Some(histogram) = &now.ttft {
            let (recent, span_s) = match ttft_base
                .filter(|b| b.at_ms < now.at_ms)
                .and_then(|b| b.ttft.as_ref().map(|h| (h, b.at_ms)))
            {
                Some((earlier, at)) => (histogram.since(earlier), (now.at_ms - at) as f64 / 1000.0),
                None => (histogram.clone(), 0.0),
            };
            figures.ttft_requests = recent.count;
            figures.ttft_span_s = span_s;
            figures.ttft_p50_ms = recent.quantile(0.5).map(|s| s * 1000.0);
            figures.ttft_p99_ms = recent.quantile(0.99).map(|s| s * 1000.0);
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vllm(at_ms: u64, tokens: f64, fast: f64, slow: f64) -> EngineScrape {
        let text = format!(
            "vllm:num_requests_running{{model_name=\"m\"}} 2\n\
             vllm:num_requests_waiting{{model_name=\"m\"}} 5\n\
             vllm:gpu_cache_usage_perc{{model_name=\"m\"}} 0.4567\n\
             vllm:generation_tokens_total{{model_name=\"m\"}} {tokens}\n\
             vllm:time_to_first_token_seconds_bucket{{le=\"0.1\",model_name=\"m\"}} {fast}\n\
             vllm:time_to_first_token_seconds_bucket{{le=\"1.0\",model_name=\"m\"}} {total}\n\
             vllm:time_to_first_token_seconds_bucket{{le=\"+Inf\",model_name=\"m\"}} {total}\n\
             vllm:time_to_first_token_seconds_count{{model_name=\"m\"}} {total}\n",
            total = fast + slow
        );
        EngineScrape::read(&Exposition::parse(&text), at_ms)
    }

    #[test]
    fn gauges_are_read_as_they_are_and_rates_between_two_scrapes() {
        let before = vllm(10_000, 1_000.0, 10.0, 0.0);
        let now = vllm(15_000, 1_500.0, 10.0, 4.0);
        let figures = ServingFigures::derive(&now, Some(&before), Some(&before));
        assert_eq!(figures.requests_running, Some(2.0));
        assert_eq!(figures.requests_waiting, Some(5.0));
        assert_eq!(
            figures.kv_cache_percent,
            Some(45.7),
            "older vLLM's name, in percent"
        );
        assert_eq!(figures.tokens_per_second, Some(100.0));
        assert_eq!(figures.rate_span_s, 5.0);
        // The four requests of the span all took between 0.1 and 1 s.
        assert_eq!(figures.ttft_requests, 4.0);
        assert_eq!(figures.ttft_span_s, 5.0);
        let p50 = figures.ttft_p50_ms.expect("p50");
        assert!((p50 - 550.0).abs() < 1e-6, "{p50}");
    }

    #[test]
    fn one_scrape_gives_no_rate_and_a_restart_gives_none_either() {
        let now = vllm(15_000, 1_500.0, 1.0, 0.0);
        let alone = ServingFigures::derive(&now, None, None);
        assert_eq!(alone.tokens_per_second, None);
        assert_eq!(alone.ttft_span_s, 0.0, "since the engine started");
        assert_eq!(alone.ttft_requests, 1.0);
        let restarted =
            ServingFigures::derive(&vllm(20_000, 20.0, 0.0, 0.0), Some(&now), Some(&now));
        assert_eq!(restarted.tokens_per_second, None);
        assert_eq!(restarted.ttft_p50_ms, None, "no request since the restart");
    }

    #[test]
    fn llama_cpp_names_are_read_too() {
        let text = "llamacpp:requests_processing 1\nllamacpp:requests_deferred 0\n\
                    llamacpp:kv_cache_usage_ratio 0.125\nllamacpp:tokens_predicted_total 42\n";
        let scrape = EngineScrape::read(&Exposition::parse(text), 1);
        assert_eq!(scrape.running, Some(1.0));
        assert_eq!(scrape.waiting, Some(0.0));
        assert_eq!(scrape.kv_cache, Some(0.125));
        assert_eq!(scrape.generated_tokens, Some(42.0));
        assert!(scrape.ttft.is_none());
        assert!(EngineScrape::read(&Exposition::parse("other 1\n"), 1).is_empty());
    }
}
