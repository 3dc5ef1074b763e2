//! The data a GPU probe returns: static facts per GPU, and live samples.
//!
//! These types are the wire format too (snake_case JSON); every optional field is
//! `None` when the card does not report it.

use serde::{Deserialize, Serialize};

/// Where the hardware facts came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HardwareSource {
    /// Read from the NVIDIA driver on this machine.
    Nvml,
    /// Read from a hardware description (planning, tests).
    Description {
        /// A readable name, e.g. "2× NVIDIA A100 80 GB".
        label: String,
        /// The short spec it was made from, when it came from one.
        spec: Option<String>,
    },
}

/// Static facts about the GPUs and the driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuInventory {
    /// Where these facts came from.
    pub source: HardwareSource,
    /// Driver version, e.g. "550.54.14".
    pub driver_version: Option<String>,
    /// Highest CUDA version the driver supports, as (major, minor).
    pub cuda_driver_version: Option<(u32, u32)>,
    /// The GPUs, in NVML index order.
    pub gpus: Vec<GpuInfo>,
}

/// Static facts about one GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GpuInfo {
    /// NVML index (the number `CUDA_VISIBLE_DEVICES` uses when ordered by PCI bus).
    pub index: u32,
    /// Product name as the driver reports it, e.g. "NVIDIA A100-SXM4-80GB".
    pub name: String,
    /// Stable identifier, e.g. "GPU-5e0c…".
    pub uuid: Option<String>,
    /// PCI bus id, e.g. "00000000:07:00.0".
    pub pci_bus_id: Option<String>,
    /// Usable memory as NVML reports it, in bytes.
    pub memory_total_bytes: u64,
    /// The same in GiB, for readers.
    pub memory_total_gib: f64,
    /// CUDA compute capability, e.g. "8.0".
    pub compute_capability: Option<String>,
    /// Power limit in watts.
    pub power_limit_watts: Option<f64>,
    /// Multi-Instance GPU state, when the card supports MIG.
    pub mig: Option<MigInfo>,
    /// Indexes of the GPUs this one reaches over NVLink.
    pub nvlink_peers: Vec<u32>,
}

/// Multi-Instance GPU state of one card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MigInfo {
    /// MIG mode now.
    pub enabled: bool,
    /// MIG mode after the next GPU reset.
    pub pending_enabled: bool,
    /// The MIG instances carved out of the card.
    pub instances: Vec<MigInstance>,
}

/// One MIG instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MigInstance {
    /// Profile name, e.g. "3g.20gb" (or the driver's device name).
    pub name: String,
    /// The instance's UUID, e.g. "MIG-…".
    pub uuid: Option<String>,
    /// Memory of the instance in bytes.
    pub memory_total_bytes: u64,
}

/// Live metrics of one GPU; `None` means the card does not report that metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct GpuSample {
    /// NVML index of the GPU.
    #[serde(default)]
    pub index: u32,
    /// Percent of time a kernel ran over the last sample period.
    #[serde(default)]
    pub utilization_gpu_percent: Option<u32>,
    /// Percent of time device memory was read or written.
    #[serde(default)]
    pub utilization_memory_percent: Option<u32>,
    /// Allocated device memory in bytes.
    #[serde(default)]
    pub memory_used_bytes: Option<u64>,
    /// Unallocated device memory in bytes.
    #[serde(default)]
    pub memory_free_bytes: Option<u64>,
    /// Core temperature in °C.
    #[serde(default)]
    pub temperature_c: Option<u32>,
    /// Power draw in watts.
    #[serde(default)]
    pub power_draw_watts: Option<f64>,
    /// SM clock in MHz.
    #[serde(default)]
    pub clock_sm_mhz: Option<u32>,
    /// Memory clock in MHz.
    #[serde(default)]
    pub clock_memory_mhz: Option<u32>,
    /// First fan's speed in percent of its maximum.
    #[serde(default)]
    pub fan_speed_percent: Option<u32>,
    /// Processes holding memory on this GPU.
    #[serde(default)]
    pub processes: Vec<GpuProcess>,
}

/// A process with memory on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct GpuProcess {
    /// Process id.
    pub pid: u32,
    /// Executable name, when it can be read.
    #[serde(default)]
    pub name: Option<String>,
    /// GPU memory the process holds, in bytes.
    #[serde(default)]
    pub used_memory_bytes: Option<u64>,
}

/// Bytes to GiB rounded to two decimals, for readers.
pub fn bytes_to_gib(bytes: u64) -> f64 {
    (bytes as f64 / (1u64 << 30) as f64 * 100.0).round() / 100.0
}
