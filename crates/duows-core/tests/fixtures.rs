//! The shipped hardware fixtures load, validate, and say what they claim to.

use std::path::PathBuf;

use duows_core::hardware::{
    DescribedProbe, DriverStatus, GpuProbe, HardwareDescription, HardwareReport, SystemFacts,
};

fn fixture(name: &str) -> HardwareReport {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/hardware")
        .join(name);
    let description =
        HardwareDescription::from_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let probe = DescribedProbe::new(description);
    let system = SystemFacts::new().info(&std::env::temp_dir());
    HardwareReport::build(probe.inventory(), system)
}

fn samples(name: &str) -> Vec<duows_core::hardware::GpuSample> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/hardware")
        .join(name);
    DescribedProbe::new(HardwareDescription::from_file(&path).expect("fixture")).sample()
}

#[test]
fn every_fixture_validates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/hardware");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("fixtures folder") {
        let path = entry.expect("entry").path();
        HardwareDescription::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
    }
    assert!(count >= 7, "{count} fixtures");
}

#[test]
fn single_cards() {
    for (file, name, gib) in [
        ("rtx4090-24gb.json", "RTX 4090", 23.58),
        ("l4-24gb.json", "L4", 22.03),
        ("a100-40gb.json", "A100-SXM4-40GB", 39.40),
    ] {
        let report = fixture(file);
        assert_eq!(report.driver.status, DriverStatus::Described);
        assert_eq!(report.gpus.len(), 1, "{file}");
        assert!(
            report.gpus[0].name.contains(name),
            "{file}: {}",
            report.gpus[0].name
        );
        assert!(
            (report.gpus[0].memory_total_gib - gib).abs() < 0.01,
            "{file}"
        );
    }
}

#[test]
fn two_a100_joined_by_nvlink() {
    let report = fixture("2xa100-80gb-nvlink.json");
    assert_eq!(report.gpus.len(), 2);
    assert_eq!(report.gpus[0].nvlink_peers, vec![1]);
    assert_eq!(report.gpus[1].nvlink_peers, vec![0]);
    assert!(report.gpus.iter().all(|g| g.memory_total_gib > 79.0));
}

#[test]
fn eight_h100_all_to_all() {
    let report = fixture("8xh100-80gb.json");
    assert_eq!(report.gpus.len(), 8);
    assert!(report.gpus.iter().all(|g| g.nvlink_peers.len() == 7));
    assert_eq!(report.driver.cuda_driver_version.as_deref(), Some("12.6"));
}

#[test]
fn laptop_card_reports_no_metrics() {
    let report = fixture("laptop-rtx3060-6gb.json");
    assert_eq!(report.gpus[0].power_limit_watts, None);
    let sample = &samples("laptop-rtx3060-6gb.json")[0];
    assert_eq!(sample.utilization_gpu_percent, None);
    assert_eq!(sample.memory_used_bytes, None);
    assert_eq!(sample.temperature_c, None);
    assert_eq!(sample.power_draw_watts, None);
    assert_eq!(sample.fan_speed_percent, None);
}

#[test]
fn mig_partitioned_a100() {
    let report = fixture("a100-40gb-mig.json");
    let mig = report.gpus[0].mig.as_ref().expect("MIG info");
    assert!(mig.enabled);
    assert_eq!(mig.instances.len(), 2);
    assert!(mig.instances.iter().all(|i| i.name == "3g.20gb"));
    // Utilisation is not reported per GPU in MIG mode.
    assert_eq!(
        samples("a100-40gb-mig.json")[0].utilization_gpu_percent,
        None
    );
}

#[test]
fn old_driver_warns() {
    let report = fixture("old-driver-t4.json");
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].code, "driver_too_old");
}
