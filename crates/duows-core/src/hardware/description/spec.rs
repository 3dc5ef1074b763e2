//! The short form of a hardware description: `2xA100-80GB`, `1xRTX4090+1xRTX3090`, `none`.
//! Counts are untrusted input, checked before anything is built; identical NVLink boards are
//! joined to each other.

use super::{lookup, DescribedGpu, DescriptionError, HardwareDescription, MAX_GPUS};
use crate::hardware::known_gpus::{find_known_gpu, KnownGpu, Lookup};

impl HardwareDescription {
    /// Builds a description from a short spec such as `2xA100-80GB` or `none`.
    pub fn from_spec(spec: &str) -> Result<Self, DescriptionError> {
        let trimmed = spec.trim();
        let bad = |reason: &str| DescriptionError::BadSpec {
            spec: trimmed.to_owned(),
            reason: reason.to_owned(),
        };
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut gpus = Vec::new();
        let mut label_parts = Vec::new();
        if !trimmed.eq_ignore_ascii_case("none") {
            for part in trimmed.split('+') {
                let part = part.trim();
                let (count, model) = part
                    .split_once(['x', 'X', '×'])
                    .filter(|(count, _)| !count.is_empty())
                    .ok_or_else(|| bad(&format!("`{part}` does not start with a count and `x`")))?;
                let count: u32 = count
                    .trim()
                    .parse()
                    .map_err(|_| bad(&format!("`{}` is not a whole number", count.trim())))?;
                if count == 0 {
                    return Err(bad("a count must be at least 1 (use `none` for no GPU)"));
                }
                // Check the total before building anything: a count is untrusted input.
                if gpus.len() as u64 + u64::from(count) > u64::from(MAX_GPUS) {
                    return Err(bad(&format!("at most {MAX_GPUS} GPUs can be described")));
                }
                let known = lookup(model.trim())?;
                for _ in 0..count {
                    gpus.push(DescribedGpu::of_model(known));
                }
                label_parts.push(format!(
                    "{count}× {}",
                    known.name.trim_start_matches("NVIDIA ")
                ));
            }
        }
        // Identical SXM boards in one machine are joined by NVLink (NVSwitch from 4 up).
        let all_nvlink = gpus.len() > 1
            && gpus.windows(2).all(|pair| pair[0].model == pair[1].model)
            && gpus
                .first()
                .and_then(|gpu| gpu.model.as_deref())
                .is_some_and(|model| matches!(find_known_gpu(model), Lookup::Found(k) if k.nvlink));
        if all_nvlink {
            let n = gpus.len() as u32;
            for (i, gpu) in gpus.iter_mut().enumerate() {
                gpu.nvlink_peers = (0..n).filter(|&peer| peer != i as u32).collect();
            }
        }
        let description = Self {
            version: 1,
            label: if label_parts.is_empty() {
                "No GPU".to_owned()
            } else {
                label_parts.join(" + ")
            },
            driver_version: None,
            cuda_driver_version: None,
            gpus,
            spec: Some(trimmed.to_owned()),
        };
        description.validate()?;
        Ok(description)
    }
}

impl DescribedGpu {
    fn of_model(known: &KnownGpu) -> Self {
        Self {
            model: Some(known.spec.to_owned()),
            name: None,
            memory_total_bytes: None,
            compute_capability: None,
            uuid: None,
            pci_bus_id: None,
            power_limit_watts: None,
            mig: None,
            nvlink_peers: Vec::new(),
            sample: None,
        }
    }
}
