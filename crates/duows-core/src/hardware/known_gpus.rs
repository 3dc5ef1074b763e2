//! Known NVIDIA GPU models, for hardware descriptions such as `2xA100-80GB`.
//!
//! Memory is the *usable* total a CUDA program sees on that card (what NVML and PyTorch
//! report after the driver's reservation), not the marketing size: an "80 GB" H100 gives
//! about 79.1 GiB, a "24 GB" RTX 4090 about 23.6 GiB, a "40 GB" A100 about 39.4 GiB. Plans
//! made from these figures match what vLLM will find at start-up.

/// One GPU model a description can name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnownGpu {
    /// The canonical spec name, e.g. "A100-80GB".
    pub spec: &'static str,
    /// The family without memory size, e.g. "A100"; naming only the family works when
    /// exactly one entry has it.
    pub family: &'static str,
    /// Other names accepted, e.g. the driver's product name.
    pub aliases: &'static [&'static str],
    /// The product name NVML reports.
    pub name: &'static str,
    /// Usable memory in MiB.
    pub memory_mib: u64,
    /// CUDA compute capability.
    pub compute_capability: &'static str,
    /// Default power limit in watts.
    pub power_limit_watts: f64,
    /// Whether several of these in one machine are joined by NVLink (SXM boards).
    pub nvlink: bool,
}

// One row of the table per call keeps the table readable as a table.
#[allow(clippy::too_many_arguments)]
const fn gpu(
    spec: &'static str,
    family: &'static str,
    aliases: &'static [&'static str],
    name: &'static str,
    memory_mib: u64,
    compute_capability: &'static str,
    power_limit_watts: f64,
    nvlink: bool,
) -> KnownGpu {
    KnownGpu {
        spec,
        family,
        aliases,
        name,
        memory_mib,
        compute_capability,
        power_limit_watts,
        nvlink,
    }
}

/// The table of known GPU models.
pub const KNOWN_GPUS: &[KnownGpu] = &[
    // Data centre, NVLink (SXM) boards.
    gpu(
        "V100-16GB",
        "V100",
        &["V100-SXM2-16GB"],
        "Tesla V100-SXM2-16GB",
        15_786,
        "7.0",
        300.0,
        true,
    ),
    gpu(
        "V100-32GB",
        "V100",
        &["V100-SXM2-32GB"],
        "Tesla V100-SXM2-32GB",
        32_144,
        "7.0",
        300.0,
        true,
    ),
    gpu(
        "A100-40GB",
        "A100",
        &["A100-SXM4-40GB"],
        "NVIDIA A100-SXM4-40GB",
        40_345,
        "8.0",
        400.0,
        true,
    ),
    gpu(
        "A100-80GB",
        "A100",
        &["A100-SXM4-80GB"],
        "NVIDIA A100-SXM4-80GB",
        81_050,
        "8.0",
        400.0,
        true,
    ),
    gpu(
        "H100-80GB",
        "H100",
        &["H100-SXM-80GB", "H100-SXM5-80GB", "H100-80GB-HBM3"],
        "NVIDIA H100 80GB HBM3",
        81_000,
        "9.0",
        700.0,
        true,
    ),
    gpu(
        "H100-PCIE-80GB",
        "H100-PCIE",
        &["H100-PCIE"],
        "NVIDIA H100 PCIe",
        81_000,
        "9.0",
        350.0,
        false,
    ),
    gpu(
        "H100-NVL-94GB",
        "H100-NVL",
        &["H100-NVL"],
        "NVIDIA H100 NVL",
        95_320,
        "9.0",
        400.0,
        true,
    ),
    gpu(
        "H200-141GB",
        "H200",
        &["H200-SXM-141GB"],
        "NVIDIA H200",
        143_000,
        "9.0",
        700.0,
        true,
    ),
    gpu(
        "B200-180GB",
        "B200",
        &["B200-192GB"],
        "NVIDIA B200",
        182_000,
        "10.0",
        1000.0,
        true,
    ),
    // Data centre, PCIe boards.
    gpu(
        "A100-PCIE-40GB",
        "A100-PCIE",
        &[],
        "NVIDIA A100-PCIE-40GB",
        40_345,
        "8.0",
        250.0,
        false,
    ),
    gpu(
        "A100-PCIE-80GB",
        "A100-PCIE",
        &[],
        "NVIDIA A100 80GB PCIe",
        81_050,
        "8.0",
        300.0,
        false,
    ),
    gpu(
        "L40S-48GB",
        "L40S",
        &[],
        "NVIDIA L40S",
        45_590,
        "8.9",
        350.0,
        false,
    ),
    gpu(
        "L40-48GB",
        "L40",
        &[],
        "NVIDIA L40",
        45_590,
        "8.9",
        300.0,
        false,
    ),
    gpu(
        "A40-48GB",
        "A40",
        &[],
        "NVIDIA A40",
        45_590,
        "8.6",
        300.0,
        false,
    ),
    gpu(
        "L4-24GB",
        "L4",
        &[],
        "NVIDIA L4",
        22_563,
        "8.9",
        72.0,
        false,
    ),
    gpu(
        "A10-24GB",
        "A10",
        &[],
        "NVIDIA A10",
        22_563,
        "8.6",
        150.0,
        false,
    ),
    gpu(
        "A10G-24GB",
        "A10G",
        &[],
        "NVIDIA A10G",
        22_563,
        "8.6",
        300.0,
        false,
    ),
    gpu(
        "T4-16GB",
        "T4",
        &["TESLA-T4"],
        "Tesla T4",
        14_930,
        "7.5",
        70.0,
        false,
    ),
    // Workstation boards.
    gpu(
        "RTX6000-ADA-48GB",
        "RTX6000-ADA",
        &["RTX-6000-ADA", "RTX6000ADA"],
        "NVIDIA RTX 6000 Ada Generation",
        48_640,
        "8.9",
        300.0,
        false,
    ),
    gpu(
        "RTXA6000-48GB",
        "RTXA6000",
        &["A6000", "RTX-A6000"],
        "NVIDIA RTX A6000",
        48_640,
        "8.6",
        300.0,
        false,
    ),
    gpu(
        "RTX5090-32GB",
        "RTX5090",
        &[],
        "NVIDIA GeForce RTX 5090",
        32_120,
        "12.0",
        575.0,
        false,
    ),
    gpu(
        "RTX4090-24GB",
        "RTX4090",
        &[],
        "NVIDIA GeForce RTX 4090",
        24_150,
        "8.9",
        450.0,
        false,
    ),
    gpu(
        "RTX4080-16GB",
        "RTX4080",
        &[],
        "NVIDIA GeForce RTX 4080",
        15_950,
        "8.9",
        320.0,
        false,
    ),
    gpu(
        "RTX3090-24GB",
        "RTX3090",
        &[],
        "NVIDIA GeForce RTX 3090",
        24_150,
        "8.6",
        350.0,
        false,
    ),
    gpu(
        "RTX3060-12GB",
        "RTX3060",
        &[],
        "NVIDIA GeForce RTX 3060",
        11_938,
        "8.6",
        170.0,
        false,
    ),
    gpu(
        "RTX3060-LAPTOP-6GB",
        "RTX3060-LAPTOP",
        &[],
        "NVIDIA GeForce RTX 3060 Laptop GPU",
        5_926,
        "8.6",
        80.0,
        false,
    ),
];

/// Upper-cases and drops separators, so `a100-80gb`, `A100 80GB` and `A10080GB` compare equal.
pub(crate) fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What looking a name up in the table found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Exactly one model.
    Found(&'static KnownGpu),
    /// A family name that several models share (e.g. "A100": 40 GB or 80 GB).
    Ambiguous(Vec<&'static str>),
    /// Nothing by that name.
    Unknown,
}

/// Finds a GPU model by spec name, alias, or (when unambiguous) family name.
pub fn find_known_gpu(name: &str) -> Lookup {
    let key = normalize(name);
    if key.is_empty() {
        return Lookup::Unknown;
    }
    let exact = KNOWN_GPUS.iter().find(|gpu| {
        normalize(gpu.spec) == key
            || normalize(gpu.name) == key
            || gpu.aliases.iter().any(|alias| normalize(alias) == key)
    });
    if let Some(gpu) = exact {
        return Lookup::Found(gpu);
    }
    let family: Vec<&'static KnownGpu> = KNOWN_GPUS
        .iter()
        .filter(|gpu| normalize(gpu.family) == key)
        .collect();
    match family.as_slice() {
        [] => Lookup::Unknown,
        [one] => Lookup::Found(one),
        many => Lookup::Ambiguous(many.iter().map(|gpu| gpu.spec).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names_are_unique_after_normalizing() {
        let mut keys: Vec<String> = KNOWN_GPUS.iter().map(|g| normalize(g.spec)).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len());
    }

    #[test]
    fn finds_by_spec_alias_family_and_product_name() {
        let by = |name| match find_known_gpu(name) {
            Lookup::Found(gpu) => gpu.spec,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(by("a100-80gb"), "A100-80GB");
        assert_eq!(by("RTX4090"), "RTX4090-24GB");
        assert_eq!(by("rtx 4090 24gb"), "RTX4090-24GB");
        assert_eq!(by("L40S"), "L40S-48GB");
        assert_eq!(by("NVIDIA A100-SXM4-40GB"), "A100-40GB");
        assert_eq!(by("H100"), "H100-80GB");
    }

    #[test]
    fn a_shared_family_name_is_ambiguous() {
        assert_eq!(
            find_known_gpu("A100"),
            Lookup::Ambiguous(vec!["A100-40GB", "A100-80GB"])
        );
        assert_eq!(find_known_gpu("GTX9999"), Lookup::Unknown);
    }

    #[test]
    fn usable_memory_is_below_the_marketing_size() {
        for gpu in KNOWN_GPUS {
            let nominal_gib: u64 = gpu
                .spec
                .rsplit('-')
                .next()
                .and_then(|s| s.strip_suffix("GB"))
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{} has no size suffix", gpu.spec));
            let gib = gpu.memory_mib as f64 / 1024.0;
            assert!(gib < nominal_gib as f64 * 1.0, "{}: {gib} GiB", gpu.spec);
            assert!(gib > nominal_gib as f64 * 0.9, "{}: {gib} GiB", gpu.spec);
        }
    }
}
