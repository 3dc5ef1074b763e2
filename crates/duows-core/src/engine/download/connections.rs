//! How many connections a download uses: [`TransferLimits`] (the most, the piece size, and
//! how a broken piece is tried again),
//! and [`Growth`], which starts with a few connections and adds more while each addition
//! raises the throughput. A fast local link is filled by one or two connections and more
//! only cost CPU; a CDN caps each connection, and there every connection added counts.

use std::time::Duration;

use super::retry::PieceRetry;

/// How a download spreads over connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimits {
    /// The most requests open at once, over all files.
    pub connections: usize,
    /// Size of the pieces a file is cut into; each is one range request.
    pub piece_bytes: u64,
    /// How a piece whose connection drops or stalls is tried again.
    pub retry: PieceRetry,
}

impl Default for TransferLimits {
    /// Up to 64 connections (CDNs cap each connection, so many are needed to fill a fast link)
    /// and 16 MiB pieces (small enough that the last pieces of a download finish together).
    fn default() -> Self {
        Self {
            connections: 64,
            piece_bytes: 16 << 20,
            retry: PieceRetry::default(),
        }
    }
}

impl TransferLimits {
    /// The defaults, changed by `DUOWS_DOWNLOAD_CONNECTIONS` and `DUOWS_DOWNLOAD_PIECE_MIB`
    /// where they hold a positive number.
    pub fn from_env() -> Self {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        let default = Self::default();
        Self {
            connections: read("DUOWS_DOWNLOAD_CONNECTIONS")
                .map_or(default.connections, |n| n.min(1024) as usize),
            piece_bytes: read("DUOWS_DOWNLOAD_PIECE_MIB")
                .map_or(default.piece_bytes, |n| n.min(1 << 20) << 20),
            retry: default.retry,
        }
    }
}

/// Connections a download starts with.
const FIRST: usize = 4;
/// The gain in throughput that makes adding connections worth it again.
const WORTH_IT: f64 = 1.15;
/// Measurements without such a gain after which no connection is added.
const PATIENCE: u32 = 2;

/// When to add connections: doubles them while the throughput rises by [`WORTH_IT`] from
/// one measurement to the next; stops after [`PATIENCE`] measurements without that gain.
#[derive(Debug)]
pub(super) struct Growth {
    most: usize,
    running: usize,
    /// Bytes at the last measurement.
    bytes: u64,
    /// Bytes per measurement at the last addition.
    best: u64,
    misses: u32,
}

impl Growth {
    /// How often the throughput is measured.
    pub(super) const EVERY: Duration = Duration::from_millis(500);

    /// Growth up to `most` connections.
    pub(super) fn new(most: usize) -> Self {
        let most = most.max(1);
        Self {
            most,
            running: FIRST.min(most),
            bytes: 0,
            best: 0,
            misses: 0,
        }
    }

    /// Connections to run now.
    pub(super) fn running(&self) -> usize {
        self.running
    }

    /// `bytes` received in all, [`Self::EVERY`] after the last call: how many connections
    /// to add.
    pub(super) fn observe(&mut self, bytes: u64) -> usize {
        let rate = bytes.saturating_sub(self.bytes);
        self.bytes = bytes;
        if self.misses >= PATIENCE || self.running >= self.most {
            return 0;
        }
        if rate as f64 >= self.best as f64 * WORTH_IT && rate > 0 {
            self.best = rate;
            self.misses = 0;
            let added = self.running.min(self.most - self.running);
            self.running += added;
            added
        } else {
            self.misses += 1;
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `rates` (bytes per measurement) to a growth; the connections after each.
    fn grow(most: usize, rates: &[u64]) -> Vec<usize> {
        let mut growth = Growth::new(most);
        let mut total = 0;
        rates
            .iter()
            .map(|rate| {
                total += rate;
                growth.observe(total);
                growth.running()
            })
            .collect()
    }

    #[test]
    fn capped_connections_keep_doubling_to_the_limit() {
        // Each connection brings 25 MB a measurement, as under a 50 MB/s cap.
        let mut growth = Growth::new(64);
        let mut total = 0;
        for _ in 0..6 {
            total += growth.running() as u64 * 25_000_000;
            growth.observe(total);
        }
        assert_eq!(growth.running(), 64);
    }

    #[test]
    fn a_saturated_link_stops_the_growth() {
        // The link is full at once: doubling brings nothing, so two misses end the growth.
        assert_eq!(grow(64, &[500, 500, 510, 505, 900]), vec![8, 8, 8, 8, 8]);
        // A gain after one miss still counts.
        assert_eq!(grow(64, &[100, 100, 200, 200, 200]), vec![8, 8, 16, 16, 16]);
    }

    #[test]
    fn the_limit_holds_and_nothing_received_adds_nothing() {
        assert_eq!(grow(6, &[10, 20, 40]), vec![6, 6, 6]);
        assert_eq!(grow(1, &[10, 20]), vec![1, 1]);
        assert_eq!(grow(64, &[0, 0, 0]), vec![4, 4, 4]);
    }
}
