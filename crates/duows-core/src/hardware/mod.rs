//! Hardware: what GPUs and system this app runs on (or plans for).
//!
//! The GPU probe is the seam between the app and the hardware: [`NvmlProbe`] asks the
//! NVIDIA driver, [`DescribedProbe`] reads a hardware description (a JSON file or a short
//! spec such as `2xA100-80GB`). Everything above the trait is the same code for both.
//! An unsupported metric is `None`; only a missing or unusable driver fails the probe,
//! and even that becomes a normal [`DriverState`] in the [`HardwareReport`].

mod cuda_init;
mod description;
mod known_gpus;
mod nvml;
mod report;
mod system;
mod types;

pub use cuda_init::{check_cuda_init, cuda_error_meaning, CudaInit};
pub use description::{DescribedProbe, DescriptionError, HardwareDescription};
pub use known_gpus::{find_known_gpu, KnownGpu, KNOWN_GPUS};
pub use nvml::NvmlProbe;
pub use report::{DriverState, DriverStatus, HardwareReport, Warning, MIN_CUDA12_DRIVER};
pub use system::{free_bytes, SystemFacts, SystemInfo, SystemLiveSample};
pub use types::{
    bytes_to_gib, GpuInfo, GpuInventory, GpuProcess, GpuSample, HardwareSource, MigInfo,
    MigInstance,
};

/// Why a probe could not read the GPUs at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The NVML library (`libnvidia-ml.so.1`) could not be loaded: no NVIDIA driver installed.
    #[error(
        "No NVIDIA driver found: the NVML library (libnvidia-ml.so.1) could not be loaded ({0})."
    )]
    LibraryNotFound(String),
    /// The library loaded but the kernel driver is not running.
    #[error("The NVIDIA driver is installed but not loaded ({0}).")]
    DriverNotLoaded(String),
    /// The driver refused this user.
    #[error("This user may not query the NVIDIA driver ({0}).")]
    NoPermission(String),
    /// Any other NVML failure at initialisation.
    #[error("The NVIDIA driver could not be queried: {0}")]
    Other(String),
}

/// The seam between the app and the GPUs.
///
/// Implementations must be cheap to call at 1 Hz: `sample` is the hot path.
pub trait GpuProbe: Send + Sync {
    /// Static facts about every GPU, and the driver's versions.
    fn inventory(&self) -> Result<GpuInventory, ProbeError>;
    /// One sample of every GPU's live metrics; empty when the probe cannot read GPUs.
    fn sample(&self) -> Vec<GpuSample>;
}
