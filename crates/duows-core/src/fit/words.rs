//! How the fit writes numbers in words: memory in GiB (MiB below a tenth of one), counts with
//! thousands separators, and plurals. The explanation, the pipeline's explanation and the
//! suggestions all write them the same way.

use super::memory::GIB;

pub(super) fn gib(bytes: impl Into<f64>) -> String {
    let bytes = bytes.into();
    if bytes.abs() < 0.1 * GIB {
        format!("{:.0} MiB", bytes / 1048576.0)
    } else {
        format!("{:.1} GiB", bytes / GIB)
    }
}

pub(crate) fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
