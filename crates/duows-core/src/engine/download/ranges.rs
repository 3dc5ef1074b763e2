//! Which byte ranges of a file are on disk: the file is cut into pieces fetched over
//! separate connections, and each piece's progress is written beside the partial file
//! (`blobs/<hash>.incomplete.ranges`), so a download killed at any moment resumes every
//! piece where it stopped.
//!
//! The record is plain text, one piece a line after a header:
//!
//! ```text
//! duows-ranges 1 <file size>
//! <start> <end> <bytes done>
//! ```
//!
//! It is written after the bytes it counts, so it never claims more than the file holds; a
//! record that does not describe the file (another size, gaps, overlaps) is ignored and the
//! file starts over. A partial file without a record (a single-stream download) counts as
//! fetched from its start up to its length.

use std::path::Path;

/// The first word of a record, and its version.
const HEADER: &str = "duows-ranges 1";

/// One piece of a file: bytes `start..end`, of which the first `done` are on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Piece {
    /// First byte.
    pub(super) start: u64,
    /// One past the last byte.
    pub(super) end: u64,
    /// Bytes from `start` on disk.
    pub(super) done: u64,
}

impl Piece {
    /// Where the next byte of this piece goes.
    pub(super) fn next(&self) -> u64 {
        self.start + self.done
    }

    /// Bytes still to fetch.
    pub(super) fn missing(&self) -> u64 {
        self.end - self.start - self.done
    }
}

/// The pieces of one file and how far each has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ranges {
    size: u64,
    pieces: Vec<Piece>,
}

impl Ranges {
    /// A file of `size` bytes cut into pieces of `piece_bytes`, of which the first `have`
    /// bytes are already on disk.
    pub(super) fn new(size: u64, piece_bytes: u64, have: u64) -> Self {
        let piece_bytes = piece_bytes.max(1);
        let mut pieces = Vec::new();
        let mut start: u64 = 0;
        loop {
            let end = start.saturating_add(piece_bytes).min(size);
            let done = have.clamp(start, end) - start;
            pieces.push(Piece { start, end, done });
            start = end;
            if start >= size {
                break;
            }
        }
        Self { size, pieces }
    }

    /// The state of a partial file of `size` bytes: its record when there is a valid one,
    /// else its first `partial_len` bytes (a single-stream download's prefix).
    pub(super) fn resume(
        record: Option<&str>,
        size: u64,
        piece_bytes: u64,
        partial_len: u64,
    ) -> Self {
        record
            .and_then(|text| Self::parse(text, size))
            .unwrap_or_else(|| Self::new(size, piece_bytes, partial_len.min(size)))
    }

    /// The record's ranges, if it describes a file of `size` bytes.
    fn parse(text: &str, size: u64) -> Option<Self> {
        let mut lines = text.lines();
        let header = lines.next()?;
        let recorded: u64 = header.strip_prefix(HEADER)?.trim().parse().ok()?;
        if recorded != size {
            return None;
        }
        let mut pieces = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let mut numbers = line.split_ascii_whitespace().map(str::parse::<u64>);
            let (Some(Ok(start)), Some(Ok(end)), Some(Ok(done)), None) = (
                numbers.next(),
                numbers.next(),
                numbers.next(),
                numbers.next(),
            ) else {
                return None;
            };
            let expected_start = pieces.last().map_or(0, |p: &Piece| p.end);
            if start != expected_start || end < start || end > size || done > end - start {
                return None;
            }
            pieces.push(Piece { start, end, done });
        }
        (pieces.last().map(|p| p.end) == Some(size)).then_some(Self { size, pieces })
    }

    /// The record to write beside the partial file.
    pub(super) fn record(&self) -> String {
        let mut text = format!("{HEADER} {}\n", self.size);
        for p in &self.pieces {
            text.push_str(&format!("{} {} {}\n", p.start, p.end, p.done));
        }
        text
    }

    /// Every piece, in file order.
    pub(super) fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Piece `index` received `bytes` more (written to disk already).
    pub(super) fn advance(&mut self, index: usize, bytes: u64) {
        if let Some(p) = self.pieces.get_mut(index) {
            p.done = (p.done + bytes).min(p.end - p.start);
        }
    }

    /// The whole file arrived (a server that sends files whole).
    pub(super) fn complete(&mut self) {
        for p in &mut self.pieces {
            p.done = p.end - p.start;
        }
    }

    /// The file starts over (a server that sends files whole, after a break).
    pub(super) fn restart(&mut self) {
        for p in &mut self.pieces {
            p.done = 0;
        }
    }

    /// Bytes on disk.
    pub(super) fn done(&self) -> u64 {
        self.pieces.iter().map(|p| p.done).sum()
    }
}

/// Bytes of a partial file on disk: what its record counts, or the file's length.
pub(super) fn bytes_on_disk(record_path: &Path, partial: &Path, size: u64) -> u64 {
    let partial_len = std::fs::metadata(partial).map_or(0, |m| m.len());
    if partial_len == 0 {
        return 0;
    }
    let record = std::fs::read_to_string(record_path).ok();
    Ranges::resume(record.as_deref(), size, u64::MAX, partial_len).done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_cut_into_pieces_covering_every_byte_once() {
        let ranges = Ranges::new(10, 4, 0);
        let bounds: Vec<_> = ranges.pieces().iter().map(|p| (p.start, p.end)).collect();
        assert_eq!(bounds, vec![(0, 4), (4, 8), (8, 10)]);
        assert_eq!(ranges.done(), 0);
        let empty = Ranges::new(0, 4, 0);
        assert_eq!(empty.pieces().len(), 1, "an empty file is one empty piece");
        assert_eq!(empty.pieces()[0].missing(), 0);
    }

    #[test]
    fn a_single_stream_prefix_counts_in_the_pieces_it_covers() {
        let ranges = Ranges::new(10, 4, 6);
        let done: Vec<_> = ranges.pieces().iter().map(|p| p.done).collect();
        assert_eq!(done, vec![4, 2, 0]);
        assert_eq!(ranges.pieces()[1].next(), 6);
        assert_eq!(ranges.pieces()[1].missing(), 2);
    }

    #[test]
    fn the_record_round_trips_and_resumes_each_piece() {
        let mut ranges = Ranges::new(100, 30, 0);
        ranges.advance(0, 30);
        ranges.advance(1, 7);
        ranges.advance(3, 5);
        let resumed = Ranges::resume(Some(&ranges.record()), 100, 999, 0);
        assert_eq!(
            resumed, ranges,
            "the record's cut wins over a new piece size"
        );
        assert_eq!(resumed.done(), 42);
        let next: Vec<_> = resumed.pieces().iter().map(Piece::next).collect();
        assert_eq!(next, vec![30, 37, 60, 95]);
        ranges.advance(3, 1000);
        assert_eq!(
            ranges.pieces()[3].done,
            10,
            "a piece never counts past its end"
        );
    }

    #[test]
    fn a_record_that_does_not_describe_the_file_is_ignored() {
        let good = Ranges::new(100, 50, 0).record();
        let other_size = good.replace("duows-ranges 1 100", "duows-ranges 1 99");
        let gap = "duows-ranges 1 100\n0 40 0\n50 100 0\n";
        let short = "duows-ranges 1 100\n0 50 0\n";
        let too_much = "duows-ranges 1 100\n0 50 51\n50 100 0\n";
        let garbage = "duows-ranges 1 100\n0 fifty 0\n";
        for record in [other_size.as_str(), gap, short, too_much, garbage, ""] {
            let resumed = Ranges::resume(Some(record), 100, 50, 20);
            assert_eq!(resumed, Ranges::new(100, 50, 20), "{record:?}");
        }
    }

    #[test]
    fn bytes_on_disk_reads_the_record_or_the_length() {
        let dir = tempfile::tempdir().expect("dir");
        let partial = dir.path().join("x.incomplete");
        let record = dir.path().join("x.incomplete.ranges");
        assert_eq!(bytes_on_disk(&record, &partial, 100), 0);
        std::fs::write(&partial, [0u8; 60]).expect("partial");
        assert_eq!(bytes_on_disk(&record, &partial, 100), 60);
        let mut ranges = Ranges::new(100, 50, 0);
        ranges.advance(1, 10);
        std::fs::write(&record, ranges.record()).expect("record");
        assert_eq!(
            bytes_on_disk(&record, &partial, 100),
            10,
            "a sparse file's length is not its progress"
        );
    }
}
