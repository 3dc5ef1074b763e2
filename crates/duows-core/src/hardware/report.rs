//! The hardware report: GPUs, driver state, system facts and warnings, in one answer.
//!
//! A missing driver is not an error here: it is a [`DriverStatus`] with a message and
//! what to install, so the app keeps working (planning, CPU engines) without one.

use serde::{Deserialize, Serialize};

use super::system::SystemInfo;
use super::types::{GpuInfo, GpuInventory, HardwareSource};
use super::ProbeError;

/// The oldest Linux driver that runs CUDA 12 programs (vLLM's wheels need CUDA 12).
pub const MIN_CUDA12_DRIVER: &str = "525.60.13";

const INSTALL_DRIVER: &str = "Install the NVIDIA driver (525.60.13 or newer; 550 or newer \
recommended): on Ubuntu run `sudo ubuntu-drivers install`, on Debian enable the non-free \
component and run `sudo apt install nvidia-driver firmware-misc-nonfree`, then reboot. \
Until then you can still plan for hardware you describe and run CPU engines.";

/// State of the NVIDIA driver, as the UI and scripts branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DriverStatus {
    /// NVML answered.
    Ok,
    /// No NVML library: no driver installed.
    NotFound,
    /// Library present, kernel module not loaded.
    NotLoaded,
    /// The driver refused this user.
    NoPermission,
    /// Any other failure.
    Error,
    /// The GPUs come from a hardware description, not a driver.
    Described,
}

/// The driver's state with a sentence for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct DriverState {
    /// What the probe found.
    pub status: DriverStatus,
    /// Driver version, e.g. "550.54.14".
    pub driver_version: Option<String>,
    /// Highest CUDA version the driver supports, e.g. "12.4".
    pub cuda_driver_version: Option<String>,
    /// One sentence saying what was found.
    pub message: String,
    /// What to do about it, when something is wrong.
    pub remedy: Option<String>,
}

/// Something the user should know that does not stop the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Warning {
    /// Stable code, e.g. `driver_too_old`.
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// Everything the hardware screen and `duows hardware` show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct HardwareReport {
    /// Detected, or described.
    pub source: HardwareSource,
    /// Driver state.
    pub driver: DriverState,
    /// The GPUs (empty without a driver).
    pub gpus: Vec<GpuInfo>,
    /// This machine's CPU, memory, OS and disk.
    pub system: SystemInfo,
    /// Things to fix that do not stop the app.
    pub warnings: Vec<Warning>,
}

impl HardwareReport {
    /// Joins a probe's answer with the system facts.
    pub fn build(probed: Result<GpuInventory, ProbeError>, system: SystemInfo) -> Self {
        match probed {
            Ok(inventory) => Self::from_inventory(inventory, system),
            Err(error) => {
                let (status, remedy) = match &error {
                    ProbeError::LibraryNotFound(_) => (DriverStatus::NotFound, INSTALL_DRIVER.to_owned()),
                    ProbeError::DriverNotLoaded(_) => (
                        DriverStatus::NotLoaded,
                        "Load the driver: reboot after installing it, or run `sudo modprobe nvidia`; \
                         if Secure Boot is on, enrol the driver's signing key."
                            .to_owned(),
                    ),
                    ProbeError::NoPermission(_) => (
                        DriverStatus::NoPermission,
                        "Run as a user that can open /dev/nvidia* (often the `video` group).".to_owned(),
                    ),
                    ProbeError::Other(_) => (
                        DriverStatus::Error,
                        "Run `nvidia-smi`: if it fails too, reinstall the NVIDIA driver.".to_owned(),
                    ),
                };
                Self {
                    source: HardwareSource::Nvml,
                    driver: DriverState {
                        status,
                        driver_version: None,
                        cuda_driver_version: None,
                        message: error.to_string(),
                        remedy: Some(remedy),
                    },
                    gpus: Vec::new(),
                    system,
                    warnings: Vec::new(),
                }
            }
        }
    }

    fn from_inventory(inventory: GpuInventory, system: SystemInfo) -> Self {
        let described = matches!(inventory.source, HardwareSource::Description { .. });
        let gpu_count = inventory.gpus.len();
        let mut warnings = Vec::new();
        if let Some(warning) = driver_age_warning(
            inventory.driver_version.as_deref(),
            inventory.cuda_driver_version,
        ) {
            warnings.push(warning);
        }
        let message = match (described, gpu_count) {
            (true, 0) => "Described hardware without a GPU.".to_owned(),
            (true, n) => format!("Described hardware with {n} GPU{}.", plural(n)),
            (false, 0) => "The NVIDIA driver is installed but reports no GPU.".to_owned(),
            (false, n) => format!(
                "NVIDIA driver {} found {n} GPU{}.",
                inventory
                    .driver_version
                    .as_deref()
                    .unwrap_or("(unknown version)"),
                plural(n)
            ),
        };
        let remedy = (!described && gpu_count == 0).then(|| {
            "Check that the GPU is seated and powered and that `nvidia-smi` lists it; \
             in a container, pass the GPU in (`--gpus all`)."
                .to_owned()
        });
        Self {
            source: inventory.source,
            driver: DriverState {
                status: if described {
                    DriverStatus::Described
                } else {
                    DriverStatus::Ok
                },
                driver_version: inventory.driver_version,
                cuda_driver_version: inventory
                    .cuda_driver_version
                    .map(|(major, minor)| format!("{major}.{minor}")),
                message,
                remedy,
            },
            gpus: inventory.gpus,
            system,
            warnings,
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A warning when the driver cannot run CUDA 12 programs.
fn driver_age_warning(driver_version: Option<&str>, cuda: Option<(u32, u32)>) -> Option<Warning> {
    let too_old_by_cuda = cuda.is_some_and(|(major, _)| major < 12);
    let too_old_by_version = driver_version
        .and_then(parse_driver_version)
        .zip(parse_driver_version(MIN_CUDA12_DRIVER))
        .is_some_and(|(found, min)| found < min);
    if !(too_old_by_cuda || too_old_by_version) {
        return None;
    }
    let supports = cuda
        .map(|(major, minor)| format!(" (it supports CUDA up to {major}.{minor})"))
        .unwrap_or_default();
    Some(Warning {
        code: "driver_too_old".to_owned(),
        message: format!(
            "NVIDIA driver {}{supports} is too old for CUDA 12, which vLLM needs: \
             install driver {MIN_CUDA12_DRIVER} or newer.",
            driver_version.unwrap_or("(unknown version)")
        ),
    })
}

/// "525.60.13" → [525, 60, 13]; versions compare element by element.
fn parse_driver_version(version: &str) -> Option<Vec<u32>> {
    version
        .trim()
        .split('.')
        .map(|part| part.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system() -> SystemInfo {
        SystemInfo::for_tests()
    }

    fn inventory(driver: &str, cuda: (u32, u32)) -> GpuInventory {
        GpuInventory {
            source: HardwareSource::Nvml,
            driver_version: Some(driver.into()),
            cuda_driver_version: Some(cuda),
            gpus: Vec::new(),
        }
    }

    #[test]
    fn a_missing_library_is_a_state_with_a_remedy() {
        let report = HardwareReport::build(Err(ProbeError::LibraryNotFound("x".into())), system());
        assert_eq!(report.driver.status, DriverStatus::NotFound);
        assert!(report.driver.message.starts_with("No NVIDIA driver found"));
        assert!(report
            .driver
            .remedy
            .as_deref()
            .is_some_and(|r| r.contains("525.60.13")));
        assert!(report.gpus.is_empty());
    }

    #[test]
    fn a_driver_too_old_for_cuda_12_warns_with_the_minimum() {
        let report = HardwareReport::build(Ok(inventory("470.223.02", (11, 4))), system());
        assert_eq!(report.driver.status, DriverStatus::Ok);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].code, "driver_too_old");
        assert!(report.warnings[0].message.contains(MIN_CUDA12_DRIVER));
        assert!(report.warnings[0].message.contains("11.4"));
    }

    #[test]
    fn a_current_driver_does_not_warn() {
        let report = HardwareReport::build(Ok(inventory("550.54.14", (12, 4))), system());
        assert!(report.warnings.is_empty());
        let report = HardwareReport::build(Ok(inventory("525.60.13", (12, 0))), system());
        assert!(report.warnings.is_empty());
        let report = HardwareReport::build(Ok(inventory("525.60.11", (12, 0))), system());
        assert_eq!(report.warnings.len(), 1);
    }
}
