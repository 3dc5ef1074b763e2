//! Percentiles of latency samples, and the JSON numbers the report reads.

/// Sorted samples in microseconds.
pub struct Sorted(Vec<u64>);

impl Sorted {
    pub fn new(mut samples: Vec<u64>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// Nearest-rank percentile, `p` in 0..=1; 0 when there are no samples.
    pub fn pct(&self, p: f64) -> u64 {
        if self.0.is_empty() {
            return 0;
        }
        let rank = (p * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }

    pub fn max(&self) -> u64 {
        self.0.last().copied().unwrap_or(0)
    }

    pub fn mean(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.iter().sum::<u64>() as f64 / self.0.len() as f64
    }

    /// `"<prefix>_p50_us":…,"<prefix>_p99_us":…` and so on, for a JSON object.
    pub fn json_fields(&self, prefix: &str) -> String {
        format!(
            "\"{prefix}_mean_us\":{:.1},\"{prefix}_p50_us\":{},\"{prefix}_p90_us\":{},\"{prefix}_p99_us\":{},\"{prefix}_p999_us\":{},\"{prefix}_max_us\":{}",
            self.mean(),
            self.pct(0.5),
            self.pct(0.9),
            self.pct(0.99),
            self.pct(0.999),
            self.max()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Sorted;

    #[test]
    fn nearest_rank() {
        let s = Sorted::new((1..=100).rev().collect());
        assert_eq!(s.pct(0.5), 50);
        assert_eq!(s.pct(0.99), 99);
        assert_eq!(s.pct(1.0), 100);
        assert_eq!(s.pct(0.0), 1);
        assert_eq!(Sorted::new(vec![]).pct(0.5), 0);
    }
}
