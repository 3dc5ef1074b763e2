//! The system check's judgements: each trap named with its fix, a healthy machine passing.

use super::*;
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription, SystemInfo};

const GIB_BYTES: u64 = 1 << 30;

/// A report of `spec` as if detected on this machine, with `free` GiB on the models' disk.
fn detected(spec: &str, free_gib: u64) -> HardwareReport {
    let probe = DescribedProbe::new(HardwareDescription::from_spec_or_file(spec).expect("spec"));
    let mut system = SystemInfo::for_tests();
    system.memory_total_bytes = 64 * GIB_BYTES;
    system.memory_available_bytes = 60 * GIB_BYTES;
    system.models_dir_free_bytes = Some(free_gib * GIB_BYTES);
    let mut report = HardwareReport::build(probe.inventory(), system);
    report.source = HardwareSource::Nvml;
    report
}

fn answered() -> Reach {
    Reach::Answered {
        ms: 40,
        url: "https://pypi.org/simple/".into(),
    }
}

fn facts(report: &HardwareReport) -> SystemCheckFacts<'_> {
    SystemCheckFacts {
        report,
        used_bytes: vec![(0, GIB_BYTES / 2)],
        cuda: Some(CudaInit::Initialised {
            devices: 1,
            driver_cuda: "12.8".into(),
        }),
        download_bytes: Some(15 * GIB_BYTES),
        package_index: answered(),
        model_hub: answered(),
    }
}

fn line<'a>(lines: &'a [DoctorLine], title: &str) -> &'a DoctorLine {
    lines
        .iter()
        .find(|l| l.title == title)
        .unwrap_or_else(|| panic!("{title} in {lines:?}"))
}

#[test]
fn a_healthy_machine_passes_every_line() {
    let report = detected("1xL4", 500);
    let lines = system_check(&facts(&report));
    // The driver's line is the doctor's (tested there); it warns about a described report.
    for l in lines.iter().filter(|l| l.area != "driver") {
        assert_eq!(l.status, CheckStatus::Pass, "{l:?}");
    }
    assert!(line(&lines, "GPU 0").detail.contains("GiB free of"));
    assert!(line(&lines, "CUDA").detail.contains("12.8"));
}

#[test]
fn cuda_that_refuses_is_a_failure_with_its_meaning() {
    let report = detected("1xL4", 500);
    let mut facts = facts(&report);
    facts.cuda = Some(CudaInit::Failed {
        code: 803,
        meaning: crate::hardware::cuda_error_meaning(803),
    });
    let lines = system_check(&facts);
    let cuda = line(&lines, "CUDA");
    assert_eq!(cuda.status, CheckStatus::Fail);
    assert!(cuda.detail.contains("reboot"), "{}", cuda.detail);
    facts.cuda = Some(CudaInit::Initialised {
        devices: 0,
        driver_cuda: "12.8".into(),
    });
    assert_eq!(
        line(&system_check(&facts), "CUDA").status,
        CheckStatus::Warn
    );
}

#[test]
fn memory_held_by_other_programs_is_counted_and_named() {
    let report = detected("1xL4", 500);
    let mut facts = facts(&report);
    facts.used_bytes = vec![(0, 10 * GIB_BYTES)];
    let gpu = system_check(&facts)
        .into_iter()
        .find(|l| l.title == "GPU 0")
        .expect("gpu line");
    assert_eq!(gpu.status, CheckStatus::Warn);
    assert!(
        gpu.detail.contains("10.0 GiB used by programs"),
        "{}",
        gpu.detail
    );
    assert!(gpu.fix.is_some());
}

#[test]
fn a_disk_too_small_for_the_download_says_how_much_is_missing() {
    let report = detected("1xL4", 10);
    let lines = system_check(&facts(&report));
    let disk = line(&lines, "Disk");
    assert_eq!(disk.status, CheckStatus::Fail);
    assert!(disk.detail.contains("5.0 GiB short"), "{}", disk.detail);
}

#[test]
fn an_unreachable_hub_is_a_warning_with_the_way_around() {
    let report = detected("1xL4", 500);
    let mut facts = facts(&report);
    facts.model_hub = Reach::Failed {
        reason: "connection refused".into(),
        url: "https://huggingface.co".into(),
    };
    let lines = system_check(&facts);
    let hub = line(&lines, "Model hub");
    assert_eq!(hub.status, CheckStatus::Warn);
    assert!(hub
        .fix
        .as_deref()
        .unwrap_or_default()
        .contains("HF_ENDPOINT"));
}

#[test]
fn no_gpu_points_to_the_cpu_path_and_described_hardware_skips_cuda() {
    let mut report = detected("1xL4", 500);
    report.gpus.clear();
    let mut no_gpu = facts(&report);
    no_gpu.cuda = Some(CudaInit::NoLibrary {
        reason: "libcuda.so.1: cannot open shared object file".into(),
    });
    let lines = system_check(&no_gpu);
    assert!(line(&lines, "GPUs").detail.contains("llama.cpp"));
    assert_eq!(line(&lines, "CUDA").status, CheckStatus::Skip);
    let mut described = detected("1xL4", 500);
    described.source = HardwareSource::Description {
        label: "1× L4".into(),
        spec: None,
    };
    assert_eq!(
        line(&system_check(&facts(&described)), "CUDA").status,
        CheckStatus::Skip
    );
}
