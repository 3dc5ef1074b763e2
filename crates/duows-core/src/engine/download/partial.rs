//! The partial file's side of a transfer: bytes written at an offset (pieces land out of
//! order), and the [`Book`] of its pieces whose record lies beside it.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::ranges::Ranges;

/// A file's pieces and the record of them beside the partial file.
pub(super) struct Book {
    /// The pieces and how far each has come.
    pub(super) ranges: Ranges,
    /// Where the record is written.
    pub(super) record: PathBuf,
    /// When it was last written.
    pub(super) last_saved: Instant,
}

impl Book {
    /// The pieces `ranges`, recorded at `record`.
    pub(super) fn new(ranges: Ranges, record: PathBuf) -> Self {
        Self {
            ranges,
            record,
            last_saved: Instant::now(),
        }
    }

    /// Writes the record (to a temporary file renamed over it).
    pub(super) fn save(&mut self) -> std::io::Result<()> {
        let temporary = self.record.with_extension("ranges.tmp");
        std::fs::write(&temporary, self.ranges.record())?;
        std::fs::rename(&temporary, &self.record)?;
        self.last_saved = Instant::now();
        Ok(())
    }
}

/// The book, even after a panic elsewhere left its lock poisoned.
pub(super) fn lock(book: &Mutex<Book>) -> MutexGuard<'_, Book> {
    book.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(unix)]
/// Writes all of `bytes` at `offset` of `file`.
pub(super) fn write_all_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(windows)]
/// Writes all of `bytes` at `offset` of `file`.
pub(super) fn write_all_at(
    file: &std::fs::File,
    mut bytes: &[u8],
    mut offset: u64,
) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}
