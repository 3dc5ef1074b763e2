//! What must hold before an engine starts, checked before anything runs: the engine is
//! installed (and new enough), the weights are present and complete, the GPUs are real,
//! the NVIDIA driver runs the vLLM build, the model fits, and the memory it needs is free
//! now.
//!
//! [`preflight`] is a pure function of [`PreflightFacts`] (gathered by the caller from the
//! installation, the models folder, the probe and the latest sample), so the launch-plan
//! preview and the start list exactly the same things. A memory check that fails can be
//! overridden by the user (the estimate may be wrong); nothing else can.

use super::install::{driver_verdict, newest_release, DriverFit};
use super::installed::Installation;
use super::plan::EngineKind;
use crate::fit::vllm::release_for;

#[path = "preflight_result.rs"]
mod result;

pub use result::{CheckItem, CheckOutcome, Preflight, PreflightCheck};

/// The weights a start would serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsFacts {
    /// A checked folder with everything the model needs.
    Present {
        /// The folder.
        folder: String,
    },
    /// No download and no folder given.
    Absent {
        /// The Hugging Face repository of the checkpoint.
        repo: String,
        /// The catalog id, for the command that downloads it.
        model: String,
    },
    /// A folder exists but is not complete or not the right checkpoint.
    Incomplete {
        /// The folder.
        folder: String,
        /// What is wrong with it.
        reason: String,
        /// The catalog id, for the command that downloads it.
        model: String,
    },
    /// A GGUF file given by path (checked when the request is read).
    File,
}

/// One GPU the plan uses and what is free on it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuMemoryFacts {
    /// NVML index.
    pub index: u32,
    /// Free bytes in the latest sample (`None`: not known).
    pub free_bytes: Option<u64>,
}

/// Everything [`preflight`] looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct PreflightFacts {
    /// Which engine.
    pub kind: EngineKind,
    /// What was found of it (`None`: not installed).
    pub installation: Option<Installation>,
    /// The oldest version the model needs (vLLM).
    pub min_version: Option<String>,
    /// The weights.
    pub weights: WeightsFacts,
    /// `Some(description)` when the server plans for a described machine instead of its own.
    pub described_hardware: Option<String>,
    /// GPUs NVML reports on this machine.
    pub real_gpus: usize,
    /// The NVIDIA driver's version (NVML's, or the description's when it gives one).
    pub driver_version: Option<String>,
    /// Whether the GPUs are needed (vLLM; llama.cpp with GPU layers).
    pub needs_gpu: bool,
    /// Whether the fit says the model fits (`None`: no fit, e.g. a GGUF file).
    pub fits: Option<bool>,
    /// Why it does not fit, when it does not: the fit's nearest fix.
    pub fit_fix: Option<String>,
    /// Free memory each GPU needs at start (vLLM refuses below `total × utilization`).
    pub required_free_bytes: u64,
    /// The GPUs the plan uses.
    pub gpus: Vec<GpuMemoryFacts>,
    /// The user accepts a failed memory check (the estimate may be wrong).
    pub override_memory: bool,
}

/// GiB with one decimal, for messages.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

fn check(item: CheckItem, outcome: CheckOutcome, message: String) -> PreflightCheck {
    PreflightCheck {
        item,
        outcome,
        message,
        fix: None,
        overridable: false,
    }
}

fn with_fix(mut check: PreflightCheck, fix: impl Into<String>) -> PreflightCheck {
    check.fix = Some(fix.into());
    check
}

/// Checks `facts`; the result lists every check, passed or not.
pub fn preflight(facts: &PreflightFacts) -> Preflight {
    let mut checks = vec![engine_check(facts), weights_check(facts)];
    if facts.needs_gpu {
        checks.push(hardware_check(facts));
    }
    checks.extend(driver_check(facts));
    if let Some(fits) = facts.fits {
        checks.push(fit_check(facts, fits));
    }
    if facts.needs_gpu && facts.described_hardware.is_none() && facts.real_gpus > 0 {
        checks.extend(memory_checks(facts));
    }
    Preflight { checks }
}

fn engine_check(facts: &PreflightFacts) -> PreflightCheck {
    let (name, install) = match facts.kind {
        EngineKind::Vllm => ("vLLM", "duows engine install vllm"),
        EngineKind::LlamaCpp => ("llama.cpp's server", "duows engine install llama-cpp"),
    };
    let fix = format!("install it on the Engines page or with `{install}`");
    let Some(found) = &facts.installation else {
        return with_fix(
            check(
                CheckItem::Engine,
                CheckOutcome::Fail,
                format!("{name} is not installed"),
            ),
            fix,
        );
    };
    if let Some(problem) = &found.problem {
        return with_fix(
            check(
                CheckItem::Engine,
                CheckOutcome::Fail,
                // The problem names the program when it comes from running it.
                if problem.starts_with(&found.program.display().to_string()) {
                    format!("{name}: {problem}")
                } else {
                    format!(
                        "{name} at {} does not run: {problem}",
                        found.program.display()
                    )
                },
            ),
            fix,
        );
    }
    let version = found.version.as_deref().unwrap_or("installed");
    match &facts.min_version {
        Some(minimum) if found.version.is_some() && !found.satisfies(minimum) => with_fix(
            check(
                CheckItem::Engine,
                CheckOutcome::Fail,
                format!("{name} {version} is older than {minimum}, which this model needs"),
            ),
            format!(
                "update it on the Engines page or with `{install}` (vLLM {}, the release for this model)",
                release_for(minimum).unwrap_or_else(newest_release)
            ),
        ),
        _ => check(
            CheckItem::Engine,
            CheckOutcome::Pass,
            format!("{name} {version} ({})", found.program.display()),
        ),
    }
}

fn weights_check(facts: &PreflightFacts) -> PreflightCheck {
    match &facts.weights {
        WeightsFacts::Present { folder } => check(
            CheckItem::Weights,
            CheckOutcome::Pass,
            format!("weights complete in {folder}"),
        ),
        WeightsFacts::File => check(
            CheckItem::Weights,
            CheckOutcome::Pass,
            "the model file is there".into(),
        ),
        WeightsFacts::Absent { repo, model } => with_fix(
            check(
                CheckItem::Weights,
                CheckOutcome::Fail,
                format!("the weights of {repo} are not downloaded"),
            ),
            format!(
                "download them on the Engines page or with `duows engine download --model {model}`, or name a folder that has them"
            ),
        ),
        WeightsFacts::Incomplete {
            folder,
            reason,
            model,
        } => with_fix(
            check(
                CheckItem::Weights,
                CheckOutcome::Fail,
                format!("the weights in {folder} are incomplete: {reason}"),
            ),
            format!(
                "download them again (it resumes) with `duows engine download --model {model}`"
            ),
        ),
    }
}

fn hardware_check(facts: &PreflightFacts) -> PreflightCheck {
    // Without real GPUs llama.cpp falls back to this machine's CPU; vLLM cannot start at all.
    let outcome = match facts.kind {
        EngineKind::LlamaCpp => CheckOutcome::Warn,
        EngineKind::Vllm => CheckOutcome::Fail,
    };
    if let Some(description) = &facts.described_hardware {
        return with_fix(
            check(
                CheckItem::Hardware,
                outcome,
                format!(
                    "the hardware is described ({description}), not detected: a description is for planning, engines start only on real GPUs"
                ),
            ),
            "start it on the machine with the GPUs, from `duows serve` without --gpus (or the app without DUOWS_GPUS)",
        );
    }
    if facts.real_gpus == 0 {
        return with_fix(
            check(
                CheckItem::Hardware,
                outcome,
                "no usable NVIDIA GPU: the driver and NVML report none".into(),
            ),
            match facts.kind {
                EngineKind::LlamaCpp => "it will run on the CPU; set 0 GPU layers to say so",
                EngineKind::Vllm => {
                    "install the NVIDIA driver (see the Hardware page), or serve a GGUF file with llama.cpp on the CPU"
                }
            },
        );
    }
    check(
        CheckItem::Hardware,
        CheckOutcome::Pass,
        format!(
            "{} NVIDIA GPU{} on this machine",
            facts.real_gpus,
            if facts.real_gpus == 1 { "" } else { "s" }
        ),
    )
}

/// vLLM only, where a driver is known or real GPUs are: the installed release (else the one
/// the model would get) against the driver (`install::driver_verdict`).
fn driver_check(facts: &PreflightFacts) -> Option<PreflightCheck> {
    let real = facts.described_hardware.is_none() && facts.real_gpus > 0;
    if facts.kind != EngineKind::Vllm || !(real || facts.driver_version.is_some()) {
        return None;
    }
    let installed = facts
        .installation
        .as_ref()
        .and_then(|i| i.version.as_deref());
    let release = match installed {
        Some(version) => version.parse().ok(),
        None => facts.min_version.as_deref().and_then(release_for),
    };
    let verdict = driver_verdict(release, facts.driver_version.as_deref());
    let outcome = match verdict.fit {
        DriverFit::Ok => CheckOutcome::Pass,
        DriverFit::MinorVersionCompatibility | DriverFit::Unknown => CheckOutcome::Warn,
        DriverFit::TooOld => CheckOutcome::Fail,
    };
    let mut driver = check(CheckItem::Driver, outcome, verdict.message);
    driver.fix = verdict.fix;
    Some(driver)
}

fn memory_outcome(facts: &PreflightFacts) -> CheckOutcome {
    if facts.override_memory {
        CheckOutcome::Warn
    } else {
        CheckOutcome::Fail
    }
}

fn fit_check(facts: &PreflightFacts, fits: bool) -> PreflightCheck {
    if fits {
        return check(
            CheckItem::Fit,
            CheckOutcome::Pass,
            "the model fits at the chosen context".into(),
        );
    }
    let mut failed = check(
        CheckItem::Fit,
        memory_outcome(facts),
        "by the memory estimate the model does not fit at the chosen context".into(),
    );
    failed.overridable = true;
    with_fix(
        failed,
        facts
            .fit_fix
            .clone()
            .unwrap_or_else(|| "choose a shorter context or a smaller checkpoint".into()),
    )
}

fn memory_checks(facts: &PreflightFacts) -> Vec<PreflightCheck> {
    facts
        .gpus
        .iter()
        .map(|gpu| {
            let index = gpu.index;
            let need = facts.required_free_bytes;
            match gpu.free_bytes {
                None => check(
                    CheckItem::FreeMemory,
                    CheckOutcome::Warn,
                    format!("free memory of GPU {index} is not known yet"),
                ),
                Some(free) if free >= need => check(
                    CheckItem::FreeMemory,
                    CheckOutcome::Pass,
                    format!("GPU {index}: {} free, {} needed", gib(free), gib(need)),
                ),
                Some(free) => {
                    let mut short = check(
                        CheckItem::FreeMemory,
                        memory_outcome(facts),
                        format!(
                            "GPU {index} has {} free, the plan needs {} ({} short): other programs hold the rest",
                            gib(free),
                            gib(need),
                            gib(need - free)
                        ),
                    );
                    short.overridable = true;
                    with_fix(
                        short,
                        "stop what uses it (the Hardware page lists the processes), or lower the GPU memory utilization",
                    )
                }
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "preflight_tests.rs"]
mod tests;
