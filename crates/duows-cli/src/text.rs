//! Plain-text output shared by the commands (tables, counts, state words), and the one place
//! that formats byte sizes.
//!
//! Memory (GPU, host) and model and download sizes are all read in GiB (2^30 bytes), the
//! unit NVML, vLLM's logs and the fit use, so one quantity never shows in two units.

use std::fmt::Write as _;

/// Left-aligned columns, two spaces apart, a header first.
pub fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let header = header.map(str::to_owned);
    let widths: Vec<usize> = (0..N)
        .map(|c| {
            rows.iter()
                .chain([&header])
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

/// Bytes in a gibibyte.
const GIB: f64 = (1u64 << 30) as f64;

/// A size in GiB with one decimal: "79.2 GiB".
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB)
}

/// A count with its noun in the right number: "1 request", "3 requests".
pub fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A state's name as the API spells it, with spaces for `_`.
pub fn state_word_of(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
        .replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_gib_and_counts_agree() {
        assert_eq!(gib(85_899_345_920), "80.0 GiB");
        assert_eq!(gib(0), "0.0 GiB");
        assert_eq!(count(1, "request", "requests"), "1 request");
        assert_eq!(count(2, "request", "requests"), "2 requests");
    }
}
