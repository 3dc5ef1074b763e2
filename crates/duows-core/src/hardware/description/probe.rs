//! [`DescribedProbe`]: a hardware description served through the [`GpuProbe`] seam, as if the
//! GPUs were detected.

use super::{parse_major_minor, HardwareDescription};
use crate::hardware::types::{GpuInventory, GpuSample, HardwareSource};
use crate::hardware::{GpuProbe, ProbeError};

/// A GPU probe that serves a hardware description.
#[derive(Debug, Clone)]
pub struct DescribedProbe {
    description: HardwareDescription,
}

impl DescribedProbe {
    /// Serves `description` (already validated by its constructor).
    pub fn new(description: HardwareDescription) -> Self {
        Self { description }
    }

    /// The description served.
    pub fn description(&self) -> &HardwareDescription {
        &self.description
    }
}

impl GpuProbe for DescribedProbe {
    fn inventory(&self) -> Result<GpuInventory, ProbeError> {
        let d = &self.description;
        Ok(GpuInventory {
            source: HardwareSource::Description {
                label: d.label.clone(),
                spec: d.spec.clone(),
            },
            driver_version: d.driver_version.clone(),
            cuda_driver_version: d.cuda_driver_version.as_deref().and_then(parse_major_minor),
            gpus: d
                .gpus
                .iter()
                .enumerate()
                .map(|(i, gpu)| gpu.info(i as u32))
                .collect(),
        })
    }

    fn sample(&self) -> Vec<GpuSample> {
        self.description
            .gpus
            .iter()
            .enumerate()
            .map(|(i, gpu)| GpuSample {
                index: i as u32,
                ..gpu.sample.clone().unwrap_or_default()
            })
            .collect()
    }
}
