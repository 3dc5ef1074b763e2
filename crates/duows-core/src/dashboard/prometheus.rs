//! A reader of the Prometheus text exposition format, enough for what engines (vLLM,
//! llama.cpp's server) publish on `/metrics`: samples with labels, summed across label sets,
//! and histograms with the quantiles Prometheus's `histogram_quantile` would give.
//!
//! Reading is lenient: a line it cannot read is skipped, so one odd metric never hides the
//! others.

/// One sample line: `name{label="value",…} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample {
    /// The metric's name, e.g. `vllm:num_requests_running`.
    pub name: String,
    /// Its labels, in the order written.
    pub labels: Vec<(String, String)>,
    /// Its value (`+Inf`, `-Inf` and `NaN` included).
    pub value: f64,
}

impl MetricSample {
    /// The value of `label`, when the sample has it.
    pub fn label(&self, label: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.as_str())
    }
}

/// Every sample of one exposition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    samples: Vec<MetricSample>,
}

/// A histogram's counts: cumulative per upper bound, as exposed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// `(upper bound, observations at or below it)`, bounds ascending, `+Inf` last.
    pub buckets: Vec<(f64, f64)>,
    /// Sum of the observations.
    pub sum: f64,
    /// Number of observations.
    pub count: f64,
}

impl Exposition {
    /// Reads `text`, skipping comments and lines it cannot read.
    pub fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(parse_line)
            .collect();
        Self { samples }
    }

    /// The samples named `name`.
    pub fn samples<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a MetricSample> + 'a {
        self.samples.iter().filter(move |s| s.name == name)
    }

    /// The sum of `name` over all its label sets; `None` when it is not exposed.
    pub fn sum(&self, name: &str) -> Option<f64> {
        let mut found = false;
        let total = self
            .samples(name)
            .inspect(|_| found = true)
            .map(|s| s.value)
            .sum();
        found.then_some(total)
    }

    /// The first of `names` that is exposed, summed (engines renamed metrics over time).
    pub fn sum_any(&self, names: &[&str]) -> Option<f64> {
        names.iter().find_map(|name| self.sum(name))
    }

    /// The histogram `name` (from `name_bucket`, `name_sum`, `name_count`), its label sets
    /// other than `le` added together; `None` when it is not exposed.
    pub fn histogram(&self, name: &str) -> Option<Histogram> {
        let bucket_name = format!("{name}_bucket");
        let mut buckets: Vec<(f64, f64)> = Vec::new();
        for sample in self.samples(&bucket_name) {
            let Some(bound) = sample.label("le").and_then(parse_value) else {
                continue;
            };
            match buckets.iter_mut().find(|(b, _)| *b == bound) {
                Some((_, count)) => *count += sample.value,
                None => buckets.push((bound, sample.value)),
            }
        }
        if buckets.is_empty() {
            return None;
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        Some(Histogram {
            buckets,
            sum: self.sum(&format!("{name}_sum")).unwrap_or(0.0),
            count: self.sum(&format!("{name}_count")).unwrap_or(0.0),
        })
    }
}

impl Histogram {
    /// The observations made since `earlier` (a scrape of the same histogram before). A
    /// counter that went back (the engine restarted) gives the counts as they are now.
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        if self.count < earlier.count {
            return self.clone();
        }
        let buckets = self
            .buckets
            .iter()
            .map(|&(bound, count)| {
                let before = earlier
                    .buckets
                    .iter()
                    .find(|(b, _)| *b == bound)
                    .map_or(0.0, |&(_, c)| c);
                (bound, (count - before).max(0.0))
            })
            .collect();
        Histogram {
            buckets,
            sum: (self.sum - earlier.sum).max(0.0),
            count: self.count - earlier.count,
        }
    }

    /// The `q` quantile (0..=1), interpolated inside its bucket as Prometheus does; the
    /// largest finite bound when it falls in `+Inf`; `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.buckets.last().map_or(0.0, |&(_, c)| c);
        if total <= 0.0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * total;
        let mut lower_bound = 0.0;
        let mut lower_count = 0.0;
        for &(bound, count) in &self.buckets {
            if count >= rank {
                if bound.is_infinite() {
                    return Some(lower_bound);
                }
                let in_bucket = count - lower_count;
                if in_bucket <= 0.0 {
                    return Some(bound);
                }
                return Some(
                    lower_bound + (bound - lower_bound) * (rank - lower_count) / in_bucket,
                );
            }
            lower_bound = bound;
            lower_count = count;
        }
        Some(lower_bound)
    }
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

fn parse_line(line: &str) -> Option<MetricSample> {
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(inner)?;
        labels = parsed;
        rest = after;
    }
    // The value, then an optional timestamp.
    let value = parse_value(rest.split_whitespace().next()?)?;
    Some(MetricSample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Reads `k="v",…}` and returns the labels and what follows the closing brace.
fn parse_labels(mut text: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start_matches([' ', ',']);
        if let Some(after) = text.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = text.find('=')?;
        let key = text[..eq].trim().to_owned();
        text = text[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = text.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                other => value.push(other),
            }
        };
        labels.push((key, value));
        text = &text[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as vLLM 0.11 writes them (abridged).
    const VLLM: &str = r#"# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="mistral"} 3.0
vllm:num_requests_waiting{engine="0",model_name="mistral"} 1.0
vllm:kv_cache_usage_perc{engine="0",model_name="mistral"} 0.25
vllm:generation_tokens_total{engine="0",model_name="mistral"} 1200.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="mistral"} 2.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.5",model_name="mistral"} 6.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="mistral"} 8.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="mistral"} 8.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="mistral"} 2.4
"#;

    #[test]
    fn it_reads_samples_with_labels_and_sums_them() {
        let exposition = Exposition::parse(VLLM);
        assert_eq!(exposition.sum("vllm:num_requests_running"), Some(3.0));
        assert_eq!(exposition.sum("vllm:missing"), None);
        assert_eq!(
            exposition.sum_any(&["vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc"]),
            Some(0.25)
        );
        let running = exposition
            .samples("vllm:num_requests_running")
            .next()
            .expect("sample");
        assert_eq!(running.label("model_name"), Some("mistral"));
    }

    #[test]
    fn label_values_may_hold_escapes_commas_and_braces() {
        let exposition = Exposition::parse(
            "m{a=\"x,\\\"y\\\"}\",b=\"line\\nnext\"} 7 1700000000000\nbroken{a=\"x} 1\nn 2\n",
        );
        let sample = exposition.samples("m").next().expect("m");
        assert_eq!(sample.label("a"), Some("x,\"y\"}"));
        assert_eq!(sample.label("b"), Some("line\nnext"));
        assert_eq!(sample.value, 7.0);
        assert_eq!(
            exposition.sum("broken"),
            None,
            "an unreadable line is skipped"
        );
        assert_eq!(
            exposition.sum("n"),
            Some(2.0),
            "and the next one still read"
        );
    }

    #[test]
    fn histogram_quantiles_interpolate_like_prometheus() {
        let histogram = Exposition::parse(VLLM)
            .histogram("vllm:time_to_first_token_seconds")
            .expect("histogram");
        assert_eq!(histogram.count, 8.0);
        assert_eq!(histogram.buckets.last().map(|b| b.0), Some(f64::INFINITY));
        // rank 4 of 8: two at or below 0.1, six at or below 0.5 → 0.1 + 0.4 × 2/4
        let median = histogram.quantile(0.5).expect("median");
        assert!((median - 0.3).abs() < 1e-9, "{median}");
        // rank 7.92 falls in +Inf: the largest finite bound
        assert_eq!(histogram.quantile(0.99), Some(0.5));
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn a_histogram_since_an_earlier_scrape_holds_only_the_new_observations() {
        let earlier = Exposition::parse(VLLM)
            .histogram("vllm:time_to_first_token_seconds")
            .expect("earlier");
        let later = Exposition::parse(&VLLM.replace("} 6.0", "} 16.0").replace("} 8.0", "} 18.0"))
            .histogram("vllm:time_to_first_token_seconds")
            .expect("later");
        let new = later.since(&earlier);
        assert_eq!(new.count, 10.0);
        assert_eq!(
            new.buckets,
            vec![(0.1, 0.0), (0.5, 10.0), (f64::INFINITY, 10.0)]
        );
        assert_eq!(
            earlier.since(&later),
            earlier,
            "a restarted engine starts again"
        );
    }
}
