//! The last hour of samples, so a chart opened late starts full.
//!
//! A ring buffer of the sampler's own shared samples (no copies): at 1 Hz, 3,600 entries
//! hold 60 minutes; memory is bounded by the capacity whatever the uptime. A query asks
//! for a window and a most number of points, and gets every k-th sample of that window.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Anything taken at a moment: what the history orders and windows by.
pub trait Timestamped {
    /// When it was taken, in milliseconds since the Unix epoch.
    fn timestamp_ms(&self) -> u64;
}

/// Samples kept: 60 minutes at 1 Hz.
pub const HISTORY_CAPACITY: usize = 3600;

/// The newest samples, oldest first, up to a fixed capacity.
#[derive(Debug)]
pub struct SampleHistory<S> {
    capacity: usize,
    samples: Mutex<VecDeque<Arc<S>>>,
}

impl<S: Timestamped> Default for SampleHistory<S> {
    fn default() -> Self {
        Self::with_capacity(HISTORY_CAPACITY)
    }
}

impl<S: Timestamped> SampleHistory<S> {
    /// A history that keeps the newest `capacity` samples (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            samples: Mutex::new(VecDeque::with_capacity(capacity)),
        }
    }

    fn samples(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<S>>> {
        self.samples.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds the newest sample, forgetting the oldest when full.
    pub fn push(&self, sample: Arc<S>) {
        let mut samples = self.samples();
        if samples.len() == self.capacity {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// How many samples are kept now.
    pub fn len(&self) -> usize {
        self.samples().len()
    }

    /// Whether none is kept yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples taken at or after `since_ms`, oldest first, thinned to at most
    /// `max_points` by keeping every k-th one (the newest always among them).
    pub fn window(&self, since_ms: u64, max_points: usize) -> Vec<Arc<S>> {
        let samples = self.samples();
        let start = samples.partition_point(|s| s.timestamp_ms() < since_ms);
        let count = samples.len() - start;
        let max_points = max_points.max(1);
        let step = count.div_ceil(max_points).max(1);
        // Count back from the newest so the latest sample is always included.
        let mut picked: Vec<Arc<S>> = samples
            .iter()
            .skip(start)
            .rev()
            .step_by(step)
            .cloned()
            .collect();
        picked.reverse();
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct At(u64);
    impl Timestamped for At {
        fn timestamp_ms(&self) -> u64 {
            self.0
        }
    }

    fn sample(t: u64) -> Arc<At> {
        Arc::new(At(t))
    }

    fn times(samples: &[Arc<At>]) -> Vec<u64> {
        samples.iter().map(|s| s.0).collect()
    }

    #[test]
    fn it_keeps_the_newest_up_to_its_capacity() {
        let history = SampleHistory::<At>::with_capacity(3);
        assert!(history.is_empty());
        for t in 1..=5 {
            history.push(sample(t * 1000));
        }
        assert_eq!(history.len(), 3);
        assert_eq!(times(&history.window(0, 100)), vec![3000, 4000, 5000]);
    }

    #[test]
    fn a_window_starts_at_its_time_and_is_thinned_from_the_newest() {
        let history = SampleHistory::<At>::default();
        for t in 0..3600u64 {
            history.push(sample(1_000_000 + t * 1000));
        }
        let last_five_minutes = history.window(1_000_000 + 3300 * 1000, 10_000);
        assert_eq!(last_five_minutes.len(), 300);
        let thinned = history.window(0, 600);
        assert_eq!(thinned.len(), 600);
        assert_eq!(
            thinned.last().map(|s| s.0),
            Some(1_000_000 + 3599 * 1000),
            "the newest sample is always there"
        );
        let gaps: Vec<u64> = times(&thinned).windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == 6000), "evenly spaced");
    }

    #[test]
    fn memory_stays_bounded_over_a_long_uptime() {
        let history = SampleHistory::<At>::with_capacity(HISTORY_CAPACITY);
        for t in 0..(HISTORY_CAPACITY as u64 * 3) {
            history.push(sample(t));
        }
        assert_eq!(history.len(), HISTORY_CAPACITY);
    }
}
