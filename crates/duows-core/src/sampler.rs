//! Live samples at 1 Hz, taken by one thread and shared with every viewer.
//!
//! The sampling thread owns the probe calls (NVML calls block for microseconds to
//! milliseconds, so they stay off the async runtime) and publishes each [`Sample`] on a
//! `tokio::sync::watch` channel: any number of viewers read the latest sample without
//! causing another NVML call. Each sample is also kept in the [`SampleHistory`] of the
//! last hour. Dropping the [`Sampler`] stops the thread at once.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::hardware::{GpuProbe, GpuSample, SystemFacts, SystemLiveSample};
use crate::sample_history::{SampleHistory, Timestamped};

/// The sampling period the product promises.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// One sample of every GPU and the system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Sample {
    /// When it was taken, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Per-GPU metrics.
    pub gpus: Vec<GpuSample>,
    /// CPU and memory.
    pub system: SystemLiveSample,
}

impl Timestamped for Sample {
    fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }
}

/// Handle to the sampling thread.
pub struct Sampler {
    latest: watch::Receiver<Arc<Sample>>,
    history: Arc<SampleHistory<Sample>>,
    _stop: mpsc::Sender<()>,
}

impl Sampler {
    /// Takes a first sample now, then one every `interval` on a thread of its own.
    pub fn start(probe: Arc<dyn GpuProbe>, system: Arc<SystemFacts>, interval: Duration) -> Self {
        let take = move || {
            Arc::new(Sample {
                timestamp_ms: duows_base::clock::now_ms(),
                gpus: probe.sample(),
                system: system.live(),
            })
        };
        let history = Arc::new(SampleHistory::default());
        let first = take();
        history.push(Arc::clone(&first));
        let (tx, latest) = watch::channel(first);
        let (stop, stopped) = mpsc::channel::<()>();
        let kept = Arc::clone(&history);
        let spawned = std::thread::Builder::new()
            .name("duows-sampler".into())
            .spawn(move || {
                // Anything but a timeout means the handle was dropped: stop.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let sample = take();
                    kept.push(Arc::clone(&sample));
                    tx.send_replace(sample);
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the sampling thread; samples will not update");
        }
        Self {
            latest,
            history,
            _stop: stop,
        }
    }

    /// The samples of the last hour.
    pub fn history(&self) -> &SampleHistory<Sample> {
        &self.history
    }

    /// The most recent sample.
    pub fn latest(&self) -> Arc<Sample> {
        Arc::clone(&self.latest.borrow())
    }

    /// A receiver that wakes on every new sample.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Sample>> {
        self.latest.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::{DescribedProbe, HardwareDescription};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct CountingProbe(AtomicUsize);
    impl GpuProbe for CountingProbe {
        fn inventory(&self) -> Result<crate::hardware::GpuInventory, crate::hardware::ProbeError> {
            unreachable!("the sampler only samples")
        }
        fn sample(&self) -> Vec<GpuSample> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Vec::new()
        }
    }

    #[tokio::test]
    async fn many_viewers_share_one_sampling_thread() {
        let probe = Arc::new(CountingProbe(AtomicUsize::new(0)));
        let sampler = Sampler::start(
            probe.clone(),
            Arc::new(SystemFacts::new()),
            Duration::from_millis(20),
        );
        let mut viewers: Vec<_> = (0..5).map(|_| sampler.subscribe()).collect();
        for viewer in &mut viewers {
            viewer.changed().await.expect("a new sample");
        }
        let calls = probe.0.load(Ordering::SeqCst);
        // Five viewers woke on samples, yet the probe was only called by the one thread,
        // about once per period (not once per viewer).
        assert!((2..=5).contains(&calls), "{calls} probe calls");
        drop(sampler);
        tokio::time::sleep(Duration::from_millis(60)).await;
        let after_stop = probe.0.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            probe.0.load(Ordering::SeqCst),
            after_stop,
            "stopped sampling"
        );
    }

    #[tokio::test]
    async fn described_samples_carry_each_gpu() {
        let probe = DescribedProbe::new(HardwareDescription::from_spec("2xL40S").expect("spec"));
        let sampler = Sampler::start(
            Arc::new(probe),
            Arc::new(SystemFacts::new()),
            DEFAULT_INTERVAL,
        );
        let sample = sampler.latest();
        assert_eq!(
            sample.gpus.iter().map(|g| g.index).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert!(sample.timestamp_ms > 0);
    }
}
