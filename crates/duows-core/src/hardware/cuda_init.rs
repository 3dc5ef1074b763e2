//! Whether CUDA really initialises on this machine: the driver's own `libcuda.so.1` is
//! loaded and asked to initialise (`cuInit`) and count its devices, the same first steps
//! PyTorch and vLLM take. NVML can list GPUs that CUDA then refuses (a driver and kernel
//! module of different versions, a container without the device files, a fabric manager
//! that is not running on NVSwitch machines); this check sees those before an engine does.

use serde::{Deserialize, Serialize};

/// What CUDA said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CudaInit {
    /// `cuInit` succeeded.
    Initialised {
        /// Devices CUDA sees.
        devices: u32,
        /// The CUDA version the driver supports, e.g. `12.8`.
        driver_cuda: String,
    },
    /// The driver's CUDA library is not on this machine.
    NoLibrary {
        /// Why it could not be loaded.
        reason: String,
    },
    /// The library loaded, but CUDA refused to initialise.
    Failed {
        /// CUDA's error code.
        code: i32,
        /// The code in words.
        meaning: String,
    },
}

/// The meaning of the `cuInit` results people meet.
pub fn cuda_error_meaning(code: i32) -> String {
    match code {
        3 => "CUDA_ERROR_NOT_INITIALIZED".into(),
        35 => "the driver is older than the CUDA runtime (CUDA_ERROR_INSUFFICIENT_DRIVER)".into(),
        100 => "no CUDA-capable device is available (CUDA_ERROR_NO_DEVICE): check the device files and CUDA_VISIBLE_DEVICES".into(),
        101 => "CUDA_VISIBLE_DEVICES names a device that does not exist (CUDA_ERROR_INVALID_DEVICE)".into(),
        304 => "the operating system refused the call (CUDA_ERROR_OPERATING_SYSTEM)".into(),
        802 => "the system is not ready: on NVSwitch machines start nvidia-fabricmanager (CUDA_ERROR_SYSTEM_NOT_READY)".into(),
        803 => "the driver library and the kernel module are different versions: reboot, or reinstall the driver (CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)".into(),
        804 => "forward compatibility is not supported on this GPU (CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE)".into(),
        999 => "an unknown error: often a driver that needs a reboot after an update (CUDA_ERROR_UNKNOWN)".into(),
        other => format!("CUDA error {other}"),
    }
}

/// Loads `libcuda.so.1`, calls `cuInit(0)`, then `cuDeviceGetCount` and
/// `cuDriverGetVersion`.
#[allow(unsafe_code)] // calling the driver's C API is the whole point of this check
pub fn check_cuda_init() -> CudaInit {
    type CuInit = unsafe extern "C" fn(u32) -> i32;
    type CuCount = unsafe extern "C" fn(*mut i32) -> i32;
    // SAFETY: libcuda.so.1 is the NVIDIA driver's library; loading it runs its initialisers,
    // which is what every CUDA program does.
    let library = match unsafe { libloading::Library::new("libcuda.so.1") } {
        Ok(library) => library,
        Err(error) => {
            return CudaInit::NoLibrary {
                reason: error.to_string(),
            }
        }
    };
    // SAFETY: the symbols have these C signatures in every CUDA driver API since 2.0.
    let (init, count, version) = unsafe {
        match (
            library.get::<CuInit>(b"cuInit\0"),
            library.get::<CuCount>(b"cuDeviceGetCount\0"),
            library.get::<CuCount>(b"cuDriverGetVersion\0"),
        ) {
            (Ok(i), Ok(c), Ok(v)) => (i, c, v),
            _ => {
                return CudaInit::NoLibrary {
                    reason: "libcuda.so.1 lacks cuInit".into(),
                }
            }
        }
    };
    // SAFETY: plain C calls with a valid out-pointer each.
    let code = unsafe { init(0) };
    if code != 0 {
        return CudaInit::Failed {
            code,
            meaning: cuda_error_meaning(code),
        };
    }
    let mut devices = 0i32;
    let mut driver = 0i32;
    // SAFETY: as above.
    let (count_code, _) = unsafe { (count(&mut devices), version(&mut driver)) };
    if count_code != 0 {
        return CudaInit::Failed {
            code: count_code,
            meaning: cuda_error_meaning(count_code),
        };
    }
    CudaInit::Initialised {
        devices: devices.max(0) as u32,
        driver_cuda: format!("{}.{}", driver / 1000, (driver % 1000) / 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_failures_say_what_to_do() {
        assert!(cuda_error_meaning(803).contains("reboot"));
        assert!(cuda_error_meaning(802).contains("fabricmanager"));
        assert_eq!(cuda_error_meaning(12345), "CUDA error 12345");
    }

    #[test]
    fn the_check_answers_on_any_machine() {
        // With a driver it initialises or says why not; without one it says the library is
        // missing. It never panics or hangs.
        match check_cuda_init() {
            CudaInit::Initialised { driver_cuda, .. } => assert!(driver_cuda.contains('.')),
            CudaInit::NoLibrary { reason } => assert!(!reason.is_empty()),
            CudaInit::Failed { meaning, .. } => assert!(!meaning.is_empty()),
        }
    }
}
