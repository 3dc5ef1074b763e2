//! The open-model clock: arrivals at a fixed rate, each with a planned start that does not
//! depend on how fast earlier requests were answered (so a slow server cannot slow the load
//! down and hide its latency: latency is counted from the planned start).

use std::time::{Duration, Instant};

/// Calls `launch(planned, measured)` for every arrival of `rate` per second over
/// `warmup + window`, sleeping on the calling thread until each planned time. `measured`
/// is false during the warm-up. An arrival that is already late is launched at once.
pub fn arrivals(
    rate: f64,
    warmup: Duration,
    window: Duration,
    mut launch: impl FnMut(Instant, bool),
) {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + warmup;
    let end = measure_from + window;
    let mut planned = start;
    while planned < end {
        let now = Instant::now();
        if planned > now {
            std::thread::sleep(planned - now);
        }
        launch(planned, planned >= measure_from);
        planned += interval;
    }
}
