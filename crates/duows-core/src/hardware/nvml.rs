//! The real GPU probe: NVIDIA's NVML, loaded at run time through `nvml-wrapper`.
//!
//! `libnvidia-ml.so.1` is opened with `dlopen` when the probe is first asked for the
//! inventory, so the program starts (and everything else works) on a machine without
//! a driver. Every per-metric call that fails, typically with `NotSupported`, becomes
//! `None` in the sample. NVML handles can go stale (suspend and resume, a lost GPU):
//! a `GpuLost` or `Uninitialized` error drops the handle and the library is opened again
//! (by the next inventory call, or by sampling, which retries a failed open every 30 s).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Device, Nvml};

use super::types::{
    bytes_to_gib, GpuInfo, GpuInventory, GpuProcess, GpuSample, HardwareSource, MigInfo,
    MigInstance,
};
use super::{GpuProbe, ProbeError};

/// NVLink links a GPU can have (NVML_NVLINK_MAX_LINKS).
const MAX_NVLINK_LINKS: u32 = 18;

/// How long sampling waits before trying to open a missing library again.
const REOPEN_AFTER: Duration = Duration::from_secs(30);

/// The probe over NVML.
#[derive(Default)]
pub struct NvmlProbe {
    handle: Mutex<Option<Arc<Nvml>>>,
    /// When sampling last failed to open the library.
    last_failed_open: Mutex<Option<Instant>>,
}

impl NvmlProbe {
    /// A probe that opens NVML on first use.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Arc<Nvml>>> {
        // A panic while holding the lock leaves only an `Option` behind: still usable.
        self.handle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The open handle, opening the library if needed.
    fn open(&self) -> Result<Arc<Nvml>, ProbeError> {
        let mut guard = self.lock();
        if let Some(nvml) = guard.as_ref() {
            return Ok(Arc::clone(nvml));
        }
        let nvml = Arc::new(Nvml::init().map_err(init_error)?);
        *guard = Some(Arc::clone(&nvml));
        Ok(nvml)
    }

    /// The open handle for sampling: opens the library at most every [`REOPEN_AFTER`], so a
    /// machine without a driver does not pay for a `dlopen` every second.
    fn open_for_sampling(&self) -> Option<Arc<Nvml>> {
        if let Some(nvml) = self.lock().as_ref() {
            return Some(Arc::clone(nvml));
        }
        let mut last = self
            .last_failed_open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_some_and(|at| at.elapsed() < REOPEN_AFTER) {
            return None;
        }
        let opened = self.open().ok();
        *last = opened.is_none().then(Instant::now);
        opened
    }

    /// Drops the handle after an error that means it went stale.
    fn forget_if_stale(&self, error: &NvmlError) {
        if matches!(error, NvmlError::GpuLost | NvmlError::Uninitialized) {
            *self.lock() = None;
        }
    }
}

fn init_error(error: NvmlError) -> ProbeError {
    match error {
        NvmlError::LibloadingError(e) => ProbeError::LibraryNotFound(e.to_string()),
        NvmlError::LibraryNotFound => ProbeError::LibraryNotFound("NVML library not found".into()),
        NvmlError::DriverNotLoaded => ProbeError::DriverNotLoaded("NVML: driver not loaded".into()),
        NvmlError::NoPermission => {
            ProbeError::NoPermission("NVML: insufficient permissions".into())
        }
        other => ProbeError::Other(other.to_string()),
    }
}

impl GpuProbe for NvmlProbe {
    fn inventory(&self) -> Result<GpuInventory, ProbeError> {
        let nvml = self.open()?;
        let count = nvml.device_count().map_err(|e| {
            self.forget_if_stale(&e);
            ProbeError::Other(e.to_string())
        })?;
        // Keep NVML's own index: a GPU that cannot be opened (lost, no permission) must not
        // shift the numbers of the others, which samples and CUDA_VISIBLE_DEVICES use.
        let mut devices: Vec<(u32, Device<'_>)> = Vec::new();
        for index in 0..count {
            match nvml.device_by_index(index) {
                Ok(device) => devices.push((index, device)),
                Err(error) => {
                    self.forget_if_stale(&error);
                    tracing::warn!(index, %error, "GPU skipped: NVML cannot open it");
                }
            }
        }
        let bus_to_index: HashMap<String, u32> = devices
            .iter()
            .filter_map(|(index, d)| Some((normalize_bus_id(&d.pci_info().ok()?.bus_id), *index)))
            .collect();
        let mut gpus: Vec<GpuInfo> = Vec::with_capacity(devices.len());
        let mut switch_connected = Vec::new();
        for (index, device) in &devices {
            let (peers, via_switch) = nvlink_peers(device, &bus_to_index, *index);
            if via_switch {
                switch_connected.push(*index);
            }
            gpus.push(static_facts(device, *index, peers));
        }
        // GPUs behind an NVSwitch see the switch, not each other: they are all peers.
        for gpu in gpus
            .iter_mut()
            .filter(|g| switch_connected.contains(&g.index))
        {
            for &peer in &switch_connected {
                if peer != gpu.index && !gpu.nvlink_peers.contains(&peer) {
                    gpu.nvlink_peers.push(peer);
                }
            }
            gpu.nvlink_peers.sort_unstable();
        }
        let cuda = nvml.sys_cuda_driver_version().ok().map(|v| {
            (
                nvml_wrapper::cuda_driver_version_major(v) as u32,
                nvml_wrapper::cuda_driver_version_minor(v) as u32,
            )
        });
        Ok(GpuInventory {
            source: HardwareSource::Nvml,
            driver_version: nvml.sys_driver_version().ok(),
            cuda_driver_version: cuda,
            gpus,
        })
    }

    fn sample(&self) -> Vec<GpuSample> {
        let Some(nvml) = self.open_for_sampling() else {
            return Vec::new();
        };
        let count = match nvml.device_count() {
            Ok(count) => count,
            Err(e) => {
                self.forget_if_stale(&e);
                return Vec::new();
            }
        };
        (0..count)
            .filter_map(|index| match nvml.device_by_index(index) {
                Ok(device) => Some(sample_device(&device, index)),
                Err(error) => {
                    self.forget_if_stale(&error);
                    None
                }
            })
            .collect()
    }
}

fn static_facts(device: &Device<'_>, index: u32, nvlink_peers: Vec<u32>) -> GpuInfo {
    let memory_total_bytes = device.memory_info().map(|m| m.total).unwrap_or(0);
    GpuInfo {
        index,
        name: device.name().unwrap_or_else(|_| "NVIDIA GPU".to_owned()),
        uuid: device.uuid().ok(),
        pci_bus_id: device.pci_info().ok().map(|p| p.bus_id),
        memory_total_bytes,
        memory_total_gib: bytes_to_gib(memory_total_bytes),
        compute_capability: device
            .cuda_compute_capability()
            .ok()
            .map(|cc| format!("{}.{}", cc.major, cc.minor)),
        power_limit_watts: device
            .enforced_power_limit()
            .or_else(|_| device.power_management_limit())
            .ok()
            .map(milliwatts_to_watts),
        mig: mig_info(device),
        nvlink_peers,
    }
}

fn mig_info(device: &Device<'_>) -> Option<MigInfo> {
    let mode = device.mig_mode().ok()?;
    let enabled = mode.current == 1;
    let mut instances = Vec::new();
    if enabled {
        let slots = device.mig_device_count().unwrap_or(0);
        for slot in 0..slots {
            let Ok(mig) = device.mig_device_by_index(slot) else {
                continue; // an empty slot
            };
            let name = mig.name().unwrap_or_default();
            instances.push(MigInstance {
                // "NVIDIA A100-SXM4-40GB MIG 3g.20gb" → "3g.20gb"
                name: name
                    .rsplit_once("MIG ")
                    .map(|(_, profile)| profile.to_owned())
                    .unwrap_or(name),
                uuid: mig.uuid().ok(),
                memory_total_bytes: mig.memory_info().map(|m| m.total).unwrap_or(0),
            });
        }
    }
    Some(MigInfo {
        enabled,
        pending_enabled: mode.pending == 1,
        instances,
    })
}

/// Peers over active NVLink links, and whether a link leads to an NVSwitch.
///
/// A far end that is not one of the visible GPUs is either an NVSwitch or a GPU hidden from
/// us (a container given some of a machine's GPUs). GPUs joined by NVLink are the same model,
/// so a far end with this GPU's own PCI device id is a hidden GPU, not a switch.
/// (nvml-wrapper 0.13's `remote_device_type` always answers `Unknown`, so it cannot tell.)
fn nvlink_peers(
    device: &Device<'_>,
    bus_to_index: &HashMap<String, u32>,
    own: u32,
) -> (Vec<u32>, bool) {
    let own_device_id = device.pci_info().ok().map(|p| p.pci_device_id);
    let mut peers = Vec::new();
    let mut via_switch = false;
    for link in 0..MAX_NVLINK_LINKS {
        let wrapper = device.link_wrapper_for(link);
        match wrapper.is_active() {
            Ok(true) => {}
            Ok(false) => continue,
            // NotSupported (no NVLink on this card) or InvalidArg (no such link): stop.
            Err(_) => break,
        }
        let Ok(remote) = wrapper.remote_pci_info() else {
            continue;
        };
        match bus_to_index.get(&normalize_bus_id(&remote.bus_id)) {
            Some(&peer) if peer != own && !peers.contains(&peer) => peers.push(peer),
            Some(_) => {}
            None if Some(remote.pci_device_id) != own_device_id => via_switch = true,
            None => {} // a GPU hidden from this process
        }
    }
    peers.sort_unstable();
    (peers, via_switch)
}

/// NVML writes bus ids with 8 or 4 domain digits depending on the call; compare the tail.
fn normalize_bus_id(bus_id: &str) -> String {
    let lower = bus_id.to_ascii_lowercase();
    match lower.split_once(':') {
        Some((domain, rest)) => format!("{:0>4}:{rest}", domain.trim_start_matches('0')),
        None => lower,
    }
}

fn sample_device(device: &Device<'_>, index: u32) -> GpuSample {
    let utilization = device.utilization_rates().ok();
    let memory = device.memory_info().ok();
    let mut processes: Vec<GpuProcess> = Vec::new();
    let compute = device.running_compute_processes().unwrap_or_default();
    let graphics = device.running_graphics_processes().unwrap_or_default();
    for process in compute.into_iter().chain(graphics) {
        if processes.iter().any(|p| p.pid == process.pid) {
            continue;
        }
        processes.push(GpuProcess {
            pid: process.pid,
            name: process_name(process.pid),
            used_memory_bytes: match process.used_gpu_memory {
                UsedGpuMemory::Used(bytes) => Some(bytes),
                UsedGpuMemory::Unavailable => None,
            },
        });
    }
    GpuSample {
        index,
        utilization_gpu_percent: utilization.as_ref().map(|u| u.gpu),
        utilization_memory_percent: utilization.as_ref().map(|u| u.memory),
        memory_used_bytes: memory.as_ref().map(|m| m.used),
        memory_free_bytes: memory.as_ref().map(|m| m.free),
        temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
        power_draw_watts: device.power_usage().ok().map(milliwatts_to_watts),
        clock_sm_mhz: device.clock_info(Clock::SM).ok(),
        clock_memory_mhz: device.clock_info(Clock::Memory).ok(),
        fan_speed_percent: device.fan_speed(0).ok(),
        processes,
    }
}

fn milliwatts_to_watts(milliwatts: u32) -> f64 {
    f64::from(milliwatts) / 1000.0
}

/// The executable name of a process, from `/proc/<pid>/comm` (Linux); `None` elsewhere
/// or for processes in another PID namespace.
fn process_name(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|name| name.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_ids_compare_across_domain_widths() {
        assert_eq!(
            normalize_bus_id("00000000:07:00.0"),
            normalize_bus_id("0000:07:00.0")
        );
        assert_eq!(normalize_bus_id("00000000:07:00.0"), "0000:07:00.0");
    }

    #[test]
    fn sampling_without_a_driver_is_empty_and_retries_rarely() {
        let probe = NvmlProbe::new();
        let first = probe.sample();
        if probe.lock().is_some() {
            return; // this machine has a driver: the probe opened it
        }
        assert!(first.is_empty());
        // The failed open is remembered: the next samples do not try again.
        let failed_at = *probe.last_failed_open.lock().expect("lock");
        assert!(failed_at.is_some());
        assert!(probe.sample().is_empty());
        assert_eq!(*probe.last_failed_open.lock().expect("lock"), failed_at);
    }
}
