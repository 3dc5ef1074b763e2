//! Hardware descriptions: GPUs the app plans for instead of detecting them.
//!
//! Two forms: a short spec (`2xA100-80GB`, `1xRTX4090`, `8xH100-80GB`, `2xL40S`, mixed
//! with `+` as in `1xRTX4090+1xRTX3090`, or `none`), and a JSON file (see
//! `fixtures/hardware/` for examples) that can also carry sample metrics, MIG instances,
//! and NVLink topology. [`DescribedProbe`] serves either through the
//! [`GpuProbe`](super::GpuProbe) seam.
//!
//! This module holds the JSON form and its checks; `spec` parses the short form, `probe`
//! serves a description.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::known_gpus::{find_known_gpu, KnownGpu, Lookup, KNOWN_GPUS};
use super::types::{bytes_to_gib, GpuInfo, GpuSample, MigInfo};

mod probe;
mod spec;

pub use probe::DescribedProbe;

/// The most GPUs one description may hold.
const MAX_GPUS: u32 = 64;

/// Why a hardware description was refused. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    /// The spec is not of the form `NxMODEL[+NxMODEL…]`.
    #[error("`{spec}` is not a hardware spec: {reason}. Write it like 2xA100-80GB, 1xRTX4090 or 1xRTX4090+1xRTX3090.")]
    BadSpec {
        /// The text given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A GPU model name that the table does not know.
    #[error(
        "unknown GPU model `{name}`; known models: {known} (add -40GB, -80GB… where sizes differ)."
    )]
    UnknownModel {
        /// The name given.
        name: String,
        /// The known spec names, comma separated.
        known: String,
    },
    /// A family name shared by several models.
    #[error("`{name}` comes in several sizes: write one of {choices}.")]
    AmbiguousModel {
        /// The name given.
        name: String,
        /// The models it could mean.
        choices: String,
    },
    /// The description file could not be read.
    #[error("cannot read the hardware description {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The I/O or JSON error.
        reason: String,
    },
    /// A field of a JSON description holds a bad value.
    #[error("invalid hardware description: `{field}` {reason}")]
    InvalidField {
        /// Path of the field, e.g. `gpus[1].memory_total_bytes`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl DescriptionError {
    /// The field at fault, as a path into the input.
    pub fn field(&self) -> String {
        match self {
            Self::InvalidField { field, .. } => field.clone(),
            Self::Unreadable { .. } => "file".to_owned(),
            _ => "spec".to_owned(),
        }
    }
}

/// A described machine: the JSON form of a hardware description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareDescription {
    /// Format version; only 1 exists.
    pub version: u32,
    /// A readable name for the machine.
    pub label: String,
    /// Driver version to report, e.g. "550.54.14".
    #[serde(default)]
    pub driver_version: Option<String>,
    /// CUDA version the driver supports, e.g. "12.4".
    #[serde(default)]
    pub cuda_driver_version: Option<String>,
    /// The GPUs, index 0 first.
    pub gpus: Vec<DescribedGpu>,
    /// The spec this description was made from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}

/// One GPU of a JSON description. Either `model` names a known GPU (and gives the
/// defaults), or `name` and `memory_total_bytes` are given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribedGpu {
    /// A known GPU model (`A100-80GB`, `RTX4090`, …) supplying the other fields' defaults.
    #[serde(default)]
    pub model: Option<String>,
    /// Product name.
    #[serde(default)]
    pub name: Option<String>,
    /// Usable memory in bytes.
    #[serde(default)]
    pub memory_total_bytes: Option<u64>,
    /// Compute capability, e.g. "8.9".
    #[serde(default)]
    pub compute_capability: Option<String>,
    /// UUID to report.
    #[serde(default)]
    pub uuid: Option<String>,
    /// PCI bus id to report.
    #[serde(default)]
    pub pci_bus_id: Option<String>,
    /// Power limit in watts (`null` for a card that does not report it).
    #[serde(default)]
    pub power_limit_watts: Option<f64>,
    /// MIG state.
    #[serde(default)]
    pub mig: Option<MigInfo>,
    /// Indexes of GPUs joined to this one by NVLink.
    #[serde(default)]
    pub nvlink_peers: Vec<u32>,
    /// Metrics this GPU reports in every sample; absent fields are "not supported".
    #[serde(default)]
    pub sample: Option<GpuSample>,
}

impl HardwareDescription {
    /// Reads and validates a JSON description file.
    pub fn from_file(path: &Path) -> Result<Self, DescriptionError> {
        let unreadable = |reason: String| DescriptionError::Unreadable {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        let description: Self =
            serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
        description.validate()?;
        Ok(description)
    }

    /// Reads `input` as a file when it names one (or ends in `.json`), else as a spec.
    pub fn from_spec_or_file(input: &str) -> Result<Self, DescriptionError> {
        let path = Path::new(input);
        if input.ends_with(".json") || path.is_file() {
            Self::from_file(path)
        } else {
            Self::from_spec(input)
        }
    }

    /// Checks every field; the error names the first field at fault.
    pub fn validate(&self) -> Result<(), DescriptionError> {
        let invalid = |field: String, reason: &str| DescriptionError::InvalidField {
            field,
            reason: reason.to_owned(),
        };
        if self.version != 1 {
            return Err(invalid("version".into(), "must be 1"));
        }
        if self.label.trim().is_empty() {
            return Err(invalid("label".into(), "must not be empty"));
        }
        if let Some(cuda) = &self.cuda_driver_version {
            if parse_major_minor(cuda).is_none() {
                return Err(invalid("cuda_driver_version".into(), "must look like 12.4"));
            }
        }
        if self.gpus.len() > MAX_GPUS as usize {
            return Err(invalid("gpus".into(), "holds more than 64 GPUs"));
        }
        let count = self.gpus.len() as u32;
        for (i, gpu) in self.gpus.iter().enumerate() {
            let at = |name: &str| format!("gpus[{i}].{name}");
            if let Some(model) = &gpu.model {
                lookup(model).map_err(|e| invalid(at("model"), &e.to_string()))?;
            } else {
                if gpu.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    return Err(invalid(at("name"), "is required when `model` is not given"));
                }
                if gpu.memory_total_bytes.is_none() {
                    return Err(invalid(
                        at("memory_total_bytes"),
                        "is required when `model` is not given",
                    ));
                }
            }
            if let Some(bytes) = gpu.memory_total_bytes {
                if !(256 << 20..=4 << 40).contains(&bytes) {
                    return Err(invalid(
                        at("memory_total_bytes"),
                        "must be between 256 MiB and 4 TiB",
                    ));
                }
            }
            if let Some(cc) = &gpu.compute_capability {
                if parse_major_minor(cc).is_none() {
                    return Err(invalid(at("compute_capability"), "must look like 8.0"));
                }
            }
            if gpu
                .power_limit_watts
                .is_some_and(|w| !(1.0..=5000.0).contains(&w))
            {
                return Err(invalid(
                    at("power_limit_watts"),
                    "must be between 1 and 5000",
                ));
            }
            for peer in &gpu.nvlink_peers {
                if *peer >= count || *peer == i as u32 {
                    return Err(invalid(
                        at("nvlink_peers"),
                        &format!("names GPU {peer}, which is not another GPU of this machine"),
                    ));
                }
            }
            if let Some(sample) = &gpu.sample {
                let total = gpu.info(i as u32).memory_total_bytes;
                if sample.memory_used_bytes.is_some_and(|used| used > total) {
                    return Err(invalid(
                        at("sample.memory_used_bytes"),
                        "exceeds the GPU's memory",
                    ));
                }
                let percent_ok = |p: Option<u32>| p.is_none_or(|p| p <= 100);
                if !percent_ok(sample.utilization_gpu_percent)
                    || !percent_ok(sample.utilization_memory_percent)
                    || !percent_ok(sample.fan_speed_percent)
                {
                    return Err(invalid(at("sample"), "has a percentage above 100"));
                }
            }
        }
        Ok(())
    }
}

impl DescribedGpu {
    /// The static facts of this GPU, with the known model's defaults filled in.
    fn info(&self, index: u32) -> GpuInfo {
        let known = self.model.as_deref().and_then(|m| match find_known_gpu(m) {
            Lookup::Found(k) => Some(k),
            _ => None,
        });
        let memory_total_bytes = self
            .memory_total_bytes
            .or(known.map(|k| k.memory_mib << 20))
            .unwrap_or(0);
        GpuInfo {
            index,
            name: self
                .name
                .clone()
                .or(known.map(|k| k.name.to_owned()))
                .unwrap_or_default(),
            uuid: self.uuid.clone(),
            pci_bus_id: self.pci_bus_id.clone(),
            memory_total_bytes,
            memory_total_gib: bytes_to_gib(memory_total_bytes),
            compute_capability: self
                .compute_capability
                .clone()
                .or(known.map(|k| k.compute_capability.to_owned())),
            power_limit_watts: self
                .power_limit_watts
                .or(known.map(|k| k.power_limit_watts)),
            mig: self.mig.clone(),
            nvlink_peers: self.nvlink_peers.clone(),
        }
    }
}

fn lookup(name: &str) -> Result<&'static KnownGpu, DescriptionError> {
    match find_known_gpu(name) {
        Lookup::Found(gpu) => Ok(gpu),
        Lookup::Ambiguous(choices) => Err(DescriptionError::AmbiguousModel {
            name: name.to_owned(),
            choices: choices.join(" or "),
        }),
        Lookup::Unknown => Err(DescriptionError::UnknownModel {
            name: name.to_owned(),
            known: known_families().join(", "),
        }),
    }
}

/// The family names of the table, each once, in table order.
fn known_families() -> Vec<&'static str> {
    let mut families: Vec<&'static str> = Vec::new();
    for gpu in KNOWN_GPUS {
        if !families.contains(&gpu.family) {
            families.push(gpu.family);
        }
    }
    families
}

/// Parses "12.4" into (12, 4).
pub(crate) fn parse_major_minor(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests;
