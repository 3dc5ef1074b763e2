//! The machine around the GPUs: CPU, memory, OS, and free disk where models are stored.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, RefreshKind, System};

/// Static and slowly changing facts about this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SystemInfo {
    /// Host name.
    pub hostname: Option<String>,
    /// OS name, e.g. "Debian GNU/Linux".
    pub os_name: Option<String>,
    /// OS version, e.g. "12".
    pub os_version: Option<String>,
    /// Kernel version.
    pub kernel_version: Option<String>,
    /// CPU brand string.
    pub cpu_model: String,
    /// Physical cores.
    pub cpu_cores: Option<usize>,
    /// Hardware threads.
    pub cpu_threads: usize,
    /// Installed memory in bytes.
    pub memory_total_bytes: u64,
    /// Memory available to new programs, in bytes.
    pub memory_available_bytes: u64,
    /// Folder where model weights are stored.
    pub models_dir: PathBuf,
    /// Free bytes on the file system holding `models_dir`.
    pub models_dir_free_bytes: Option<u64>,
    /// Size of that file system.
    pub models_dir_total_bytes: Option<u64>,
}

#[cfg(test)]
impl SystemInfo {
    /// A small machine with fixed facts, for tests of what reads a report.
    pub(crate) fn for_tests() -> Self {
        Self {
            hostname: None,
            os_name: None,
            os_version: None,
            kernel_version: None,
            cpu_model: "test".into(),
            cpu_cores: Some(1),
            cpu_threads: 2,
            memory_total_bytes: 1,
            memory_available_bytes: 1,
            models_dir: PathBuf::from("/tmp"),
            models_dir_free_bytes: None,
            models_dir_total_bytes: None,
        }
    }
}

/// The system part of a live sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SystemLiveSample {
    /// Average CPU use across all threads since the previous sample, in percent.
    pub cpu_usage_percent: Option<f32>,
    /// Memory available to new programs, in bytes.
    pub memory_available_bytes: u64,
}

/// Reads system facts; keeps one `sysinfo::System` so CPU usage is measured between calls.
pub struct SystemFacts {
    system: Mutex<Option<System>>,
}

impl Default for SystemFacts {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemFacts {
    /// Prepares the readers (cheap: CPU list and memory only, no process table).
    pub fn new() -> Self {
        let refresh = RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing().with_usage())
            .with_memory(MemoryRefreshKind::nothing().with_ram());
        Self {
            system: Mutex::new(System::new_with_specifics(refresh).ok()),
        }
    }

    /// This machine's host name.
    pub fn hostname() -> Option<String> {
        System::host_name().ok()
    }

    /// Facts about this machine, with free disk for `models_dir`.
    pub fn info(&self, models_dir: &Path) -> SystemInfo {
        let mut guard = self.system.lock().unwrap_or_else(|p| p.into_inner());
        let (cpu_model, cpu_threads, memory_total, memory_available) = match guard.as_mut() {
            Some(system) => {
                system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
                (
                    system
                        .cpus()
                        .first()
                        .map(|cpu| cpu.brand().trim().to_owned())
                        .filter(|brand| !brand.is_empty())
                        .unwrap_or_else(|| "unknown CPU".to_owned()),
                    system.cpus().len(),
                    system.total_memory(),
                    system.available_memory(),
                )
            }
            None => ("unknown CPU".to_owned(), 0, 0, 0),
        };
        drop(guard);
        let (free, total) = disk_space(models_dir).unzip();
        SystemInfo {
            hostname: Self::hostname(),
            os_name: System::name().ok(),
            os_version: System::os_version().ok(),
            kernel_version: System::kernel_version().ok(),
            cpu_model,
            cpu_cores: System::physical_core_count().ok(),
            cpu_threads,
            memory_total_bytes: memory_total,
            memory_available_bytes: memory_available,
            models_dir: models_dir.to_path_buf(),
            models_dir_free_bytes: free,
            models_dir_total_bytes: total,
        }
    }

    /// CPU use since the last call and available memory: two small reads of /proc.
    pub fn live(&self) -> SystemLiveSample {
        let mut guard = self.system.lock().unwrap_or_else(|p| p.into_inner());
        let Some(system) = guard.as_mut() else {
            return SystemLiveSample::default();
        };
        system.refresh_cpu_specifics(CpuRefreshKind::nothing().with_usage());
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        SystemLiveSample {
            cpu_usage_percent: Some(system.global_cpu_usage()),
            memory_available_bytes: system.available_memory(),
        }
    }
}

/// Free bytes on the file system that holds `path` (or its nearest existing ancestor).
pub fn free_bytes(path: &Path) -> Option<u64> {
    disk_space(path).map(|(free, _)| free)
}

/// (free, total) bytes of the file system that holds `path` (or its nearest existing
/// ancestor, since the models folder may not exist yet).
fn disk_space(path: &Path) -> Option<(u64, u64)> {
    let existing = path
        .ancestors()
        .find(|p| p.exists())
        .and_then(|p| p.canonicalize().ok())?;
    let disks = Disks::new_with_refreshed_list().ok()?;
    disks
        .iter()
        .filter(|disk| existing.starts_with(disk.mount_point()))
        .max_by_key(|disk| disk.mount_point().as_os_str().len())
        .map(|disk| (disk.available_space(), disk.total_space()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let facts = SystemFacts::new();
        let dir = std::env::temp_dir().join("duows-not-yet-created/models");
        let info = facts.info(&dir);
        assert!(info.cpu_threads >= 1);
        assert!(info.memory_total_bytes > 0);
        assert!(info.memory_available_bytes <= info.memory_total_bytes);
        // A folder that does not exist yet is measured on its nearest existing ancestor.
        let free = info
            .models_dir_free_bytes
            .expect("free space of the temp folder");
        assert!(free <= info.models_dir_total_bytes.unwrap_or(0));
        let live = facts.live();
        assert!(live.memory_available_bytes > 0);
    }
}
