//! The wizard's read-only system check: the driver, whether CUDA really initialises, each
//! GPU's free memory counting other programs, free disk where the models go, memory, and
//! whether the package index and the model hub answer. Pure judgements over facts the
//! server gathers; each line says what was found and, when it is not a pass, what to do.

use serde::{Deserialize, Serialize};

use crate::doctor::{driver_line, CheckStatus, DoctorLine};
use crate::hardware::{CudaInit, HardwareReport, HardwareSource};

const GIB: f64 = (1u64 << 30) as f64;

/// Whether a server on the network answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reach {
    /// It answered, in this many milliseconds.
    Answered {
        /// Round trip.
        ms: u64,
        /// The address asked.
        url: String,
    },
    /// It did not.
    Failed {
        /// Why.
        reason: String,
        /// The address asked.
        url: String,
    },
}

/// What the server found, for [`system_check`].
#[derive(Debug, Clone)]
pub struct SystemCheckFacts<'a> {
    /// The hardware report (driver, GPUs, memory, the models folder's disk).
    pub report: &'a HardwareReport,
    /// Used memory per GPU index now, all programs counted (from the latest sample).
    pub used_bytes: Vec<(u32, u64)>,
    /// CUDA's answer (none for described hardware).
    pub cuda: Option<CudaInit>,
    /// The bytes the chosen or recommended model downloads, when known.
    pub download_bytes: Option<u64>,
    /// The Python package index.
    pub package_index: Reach,
    /// The model hub.
    pub model_hub: Reach,
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB)
}

/// The check's lines, in the order a person fixes them.
pub fn system_check(facts: &SystemCheckFacts<'_>) -> Vec<DoctorLine> {
    let report = facts.report;
    let mut lines = vec![driver_line(report)];
    lines.push(cuda_line(facts));
    lines.extend(gpu_lines(facts));
    lines.push(disk_line(facts));
    lines.push(memory_line(report));
    lines.push(reach_line(
        "network",
        "Package index",
        &facts.package_index,
        "Installing an engine downloads it from there: check the network or the proxy, or set PIP_INDEX_URL to a mirror.",
    ));
    lines.push(reach_line(
        "network",
        "Model hub",
        &facts.model_hub,
        "Downloading weights needs it: check the network or the proxy, set HF_ENDPOINT to a mirror, or use weights already on this machine.",
    ));
    lines
}

fn cuda_line(facts: &SystemCheckFacts<'_>) -> DoctorLine {
    let line = |status, detail: String, fix: Option<&str>| {
        DoctorLine::new("cuda", "CUDA", status, detail, fix.map(str::to_owned))
    };
    if matches!(facts.report.source, HardwareSource::Description { .. }) {
        return line(
            CheckStatus::Skip,
            "described hardware: CUDA is checked on the machine itself".into(),
            None,
        );
    }
    let gpus = facts.report.gpus.len();
    match &facts.cuda {
        None => line(CheckStatus::Skip, "not checked".into(), None),
        Some(CudaInit::Initialised {
            devices,
            driver_cuda,
        }) if *devices as usize == gpus => line(
            CheckStatus::Pass,
            format!("CUDA {driver_cuda} initialises and sees {devices} GPU(s)"),
            None,
        ),
        Some(CudaInit::Initialised {
            devices,
            driver_cuda,
        }) => line(
            CheckStatus::Warn,
            format!("CUDA {driver_cuda} initialises but sees {devices} GPU(s) where the driver lists {gpus}"),
            Some("Check CUDA_VISIBLE_DEVICES and the container's device files (/dev/nvidia*)."),
        ),
        Some(CudaInit::NoLibrary { reason }) if gpus == 0 => line(
            CheckStatus::Skip,
            format!("no NVIDIA GPU, so no CUDA ({reason})"),
            None,
        ),
        Some(CudaInit::NoLibrary { reason }) => line(
            CheckStatus::Fail,
            format!("the driver lists GPUs, but its CUDA library does not load: {reason}"),
            Some("Install the driver's CUDA library (the `libcuda1` or `nvidia-driver-libs` package), or make it visible in the container."),
        ),
        Some(CudaInit::Failed { code, meaning }) => line(
            CheckStatus::Fail,
            format!("CUDA does not initialise: {meaning}"),
            Some(&format!("Engines cannot use the GPUs until cuInit succeeds (error {code}).")),
        ),
    }
}

fn gpu_lines(facts: &SystemCheckFacts<'_>) -> Vec<DoctorLine> {
    let report = facts.report;
    if report.gpus.is_empty() {
        return vec![DoctorLine::new(
            "gpu",
            "GPUs",
            CheckStatus::Warn,
            "no NVIDIA GPU: a model can still run on the CPU with llama.cpp (slow, but enough to try Duo out)",
            Some("Continue on the CPU path, or describe the machine you plan to buy to see what fits.".into()),
        )];
    }
    report
        .gpus
        .iter()
        .map(|gpu| {
            let title = format!("GPU {}", gpu.index);
            let total = gpu.memory_total_bytes;
            let used = facts
                .used_bytes
                .iter()
                .find(|(i, _)| *i == gpu.index)
                .map(|(_, used)| *used);
            match used {
                None => DoctorLine::new(
                    "gpu",
                    title,
                    CheckStatus::Pass,
                    format!("{}: {} in total", gpu.name, gib(total)),
                    None,
                ),
                Some(used) => {
                    let free = total.saturating_sub(used);
                    let busy = used as f64 > total as f64 * 0.10;
                    DoctorLine::new(
                        "gpu",
                        title,
                        if busy { CheckStatus::Warn } else { CheckStatus::Pass },
                        format!(
                            "{}: {} free of {} ({} used by programs already running)",
                            gpu.name,
                            gib(free),
                            gib(total),
                            gib(used)
                        ),
                        busy.then(|| "Other programs hold this GPU's memory: the fit counts only what is free; stop them (the Dashboard lists them) to fit larger models.".into()),
                    )
                }
            }
        })
        .collect()
}

fn disk_line(facts: &SystemCheckFacts<'_>) -> DoctorLine {
    let system = &facts.report.system;
    let folder = system.models_dir.display();
    let Some(free) = system.models_dir_free_bytes else {
        return DoctorLine::new(
            "disk",
            "Disk",
            CheckStatus::Warn,
            format!("the free space of {folder} could not be read"),
            Some("Check that the models folder exists and can be written.".into()),
        );
    };
    match facts.download_bytes {
        Some(needed) if needed > free => DoctorLine::new(
            "disk",
            "Disk",
            CheckStatus::Fail,
            format!(
                "{} free in {folder}, but the model needs {} ({} short)",
                gib(free),
                gib(needed),
                gib(needed - free)
            ),
            Some("Free space there, choose a smaller model, or set another models folder in the settings.".into()),
        ),
        Some(needed) => DoctorLine::new(
            "disk",
            "Disk",
            CheckStatus::Pass,
            format!("{} free in {folder}; the model needs {}", gib(free), gib(needed)),
            None,
        ),
        None => DoctorLine::new(
            "disk",
            "Disk",
            CheckStatus::Pass,
            format!("{} free in {folder}", gib(free)),
            None,
        ),
    }
}

fn memory_line(report: &HardwareReport) -> DoctorLine {
    let system = &report.system;
    let low = system.memory_total_bytes < 16 * (1 << 30);
    DoctorLine::new(
        "memory",
        "Memory",
        if low { CheckStatus::Warn } else { CheckStatus::Pass },
        format!(
            "{} available of {}",
            gib(system.memory_available_bytes),
            gib(system.memory_total_bytes)
        ),
        low.then(|| "Under 16 GiB: loading a model's weights may swap; close other programs or choose a small model.".into()),
    )
}

fn reach_line(area: &str, title: &str, reach: &Reach, fix: &str) -> DoctorLine {
    match reach {
        Reach::Answered { ms, url } => DoctorLine::new(
            area,
            title,
            CheckStatus::Pass,
            format!("{url} answered in {ms} ms"),
            None,
        ),
        Reach::Failed { reason, url } => DoctorLine::new(
            area,
            title,
            CheckStatus::Warn,
            format!("{url} did not answer: {reason}"),
            Some(fix.to_owned()),
        ),
    }
}

#[cfg(test)]
#[path = "system_check_tests.rs"]
mod tests;
