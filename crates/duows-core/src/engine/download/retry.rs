//! What happens when one piece's connection fails: [`PieceRetry`] (how many more tries, the
//! wait before each, how long a silent connection is given) and [`TryError`], which tells a
//! failure worth another try (the connection dropped or stalled, the server was busy) from
//! one that ends the download (a gated repository, a full disk, a damaged file).
//!
//! A piece that breaks off is tried again from the byte it got to, after a wait that doubles
//! from try to try; only when its tries run out does the download stop (and what arrived is
//! kept for the next one).

use std::time::Duration;

use super::types::DownloadError;

/// How a piece whose connection broke is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PieceRetry {
    /// Tries after the first, per piece; 0 stops the download at the first break.
    pub retries: u32,
    /// The wait before the first retry; each further one waits twice the one before.
    pub first_wait: Duration,
    /// The longest wait between tries.
    pub longest_wait: Duration,
    /// A connection that sends nothing for this long counts as broken.
    pub stall: Duration,
}

impl Default for PieceRetry {
    /// Five retries waiting 0.5, 1, 2, 4 and 8 s (a CDN's hiccup or a router's restart
    /// passes, a dead link fails in about 15 s), and 30 s of silence before a connection
    /// counts as stalled.
    fn default() -> Self {
        Self {
            retries: 5,
            first_wait: Duration::from_millis(500),
            longest_wait: Duration::from_secs(8),
            stall: Duration::from_secs(30),
        }
    }
}

impl PieceRetry {
    /// The wait before retry number `retry` (1 for the first), or `None` when the piece has
    /// had all its tries.
    pub(super) fn wait(&self, retry: u32) -> Option<Duration> {
        if retry == 0 || retry > self.retries {
            return None;
        }
        let doubled = self
            .first_wait
            .saturating_mul(1u32.checked_shl(retry - 1).unwrap_or(u32::MAX));
        Some(doubled.min(self.longest_wait))
    }
}

/// Why one try of a piece failed.
#[derive(Debug)]
pub(super) enum TryError {
    /// The connection could not be made, dropped, stalled, or the server answered that it
    /// is busy or broken (5xx, 408, 429): another try may work.
    Broken(String),
    /// Anything else: the download stops.
    Fatal(DownloadError),
}

impl From<DownloadError> for TryError {
    fn from(error: DownloadError) -> Self {
        Self::Fatal(error)
    }
}

impl TryError {
    /// A request that failed before an answer came: a connection's fault unless the request
    /// itself could not be built.
    pub(super) fn from_request(error: &reqwest::Error) -> Self {
        if error.is_builder() {
            Self::Fatal(DownloadError::Http(error.to_string()))
        } else {
            Self::Broken(error.to_string())
        }
    }

    /// Whether an answer's status is worth another try.
    pub(super) fn retryable_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500..=599)
    }

    /// The error a download ends with: a broken piece's last failure says how many tries
    /// it had and that what arrived is kept.
    pub(super) fn into_download_error(self, path: &str, tries: u32) -> DownloadError {
        match self {
            Self::Fatal(error) => error,
            Self::Broken(detail) => DownloadError::Http(format!(
                "{path} broke off ({detail}) after {tries} {}; what arrived is kept and resumes next time",
                if tries == 1 { "try" } else { "tries" }
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_longest_and_tries_are_bounded() {
        let retry = PieceRetry {
            retries: 6,
            first_wait: Duration::from_millis(100),
            longest_wait: Duration::from_millis(1000),
            stall: Duration::from_secs(1),
        };
        let waits: Vec<_> = (1..=7).map(|n| retry.wait(n)).collect();
        let ms = |n| Some(Duration::from_millis(n));
        assert_eq!(
            waits,
            vec![ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000), None]
        );
        let none = PieceRetry {
            retries: 0,
            ..retry
        };
        assert_eq!(none.wait(1), None, "no retries: the first break ends it");
        let huge = PieceRetry {
            retries: u32::MAX,
            ..retry
        };
        assert_eq!(huge.wait(200), ms(1000), "no overflow far down the line");
    }

    #[test]
    fn the_default_gives_up_on_a_dead_link_in_about_fifteen_seconds() {
        let retry = PieceRetry::default();
        let total: Duration = (1..=retry.retries).filter_map(|n| retry.wait(n)).sum();
        assert_eq!(total, Duration::from_millis(15_500));
    }

    #[test]
    fn only_busy_or_broken_answers_are_tried_again() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(TryError::retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 416] {
            assert!(!TryError::retryable_status(status), "{status}");
        }
    }

    #[test]
    fn the_final_error_names_the_file_and_the_tries() {
        let error = TryError::Broken("connection reset".into()).into_download_error("w.bin", 6);
        let text = error.to_string();
        assert!(
            text.contains("w.bin broke off (connection reset) after 6 tries")
                && text.contains("resumes next time"),
            "{text}"
        );
        let fatal = TryError::Fatal(DownloadError::Cancelled).into_download_error("w.bin", 1);
        assert!(matches!(fatal, DownloadError::Cancelled));
    }
}
