//! An engine's log: every line to a file that rotates by size, and the last lines in
//! memory for the live tail and for classifying failures.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Lines kept in memory.
pub const TAIL_LINES: usize = 400;

/// The log of one engine.
pub struct EngineLog {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    file: Option<File>,
    written: u64,
    tail: VecDeque<String>,
    total: u64,
}

impl EngineLog {
    /// A log at `path`, rotated at `max_bytes` into `path.1` … `path.<keep>`.
    pub fn open(path: impl Into<PathBuf>, max_bytes: u64, keep: usize) -> Self {
        let path = path.into();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .ok();
        let written = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
        Self {
            path,
            max_bytes,
            keep,
            inner: Mutex::new(Inner {
                file,
                written,
                tail: VecDeque::with_capacity(TAIL_LINES),
                total: 0,
            }),
        }
    }

    /// The current log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line.
    pub fn line(&self, line: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.tail.len() == TAIL_LINES {
            inner.tail.pop_front();
        }
        inner.tail.push_back(line.to_owned());
        inner.total += 1;
        let bytes = line.len() as u64 + 1;
        if inner.written + bytes > self.max_bytes && inner.written > 0 {
            inner.file = None;
            self.rotate();
            inner.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
            inner.written = 0;
        }
        if let Some(file) = inner.file.as_mut() {
            if writeln!(file, "{line}").is_ok() {
                inner.written += bytes;
            }
        }
    }

    fn rotate(&self) {
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        for n in (1..self.keep).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        let _ = std::fs::rename(&self.path, numbered(1));
    }

    /// The last `n` lines, oldest first.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .tail
            .iter()
            .skip(inner.tail.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    /// Lines written since the log opened (for "what is new" polling).
    pub fn total_lines(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_a_tail() {
        let dir = tempfile::tempdir().expect("dir");
        let log = EngineLog::open(dir.path().join("e.log"), 100, 2);
        for i in 0..50 {
            log.line(&format!("line {i:03} ........"));
        }
        assert_eq!(log.tail(2), vec!["line 048 ........", "line 049 ........"]);
        assert_eq!(log.total_lines(), 50);
        assert!(dir.path().join("e.log.1").exists());
        assert!(dir.path().join("e.log.2").exists());
        assert!(!dir.path().join("e.log.3").exists(), "keeps two old files");
        let current = std::fs::metadata(dir.path().join("e.log"))
            .expect("current")
            .len();
        assert!(current <= 100, "{current}");
    }
}
