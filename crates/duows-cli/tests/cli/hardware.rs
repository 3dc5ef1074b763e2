//! `duows hardware` of a spec, a fixture and the real machine; a bad spec; version and help.

use serde_json::Value;

use crate::common::{duows, fixture, home, stdout};

#[test]
fn hardware_json_of_a_spec() {
    let home = home();
    let out = duows(&home, &["hardware", "--gpus", "2xA100-80GB", "--json"]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let gpus = report["gpus"].as_array().expect("gpus");
    assert_eq!(gpus.len(), 2);
    for gpu in gpus {
        let gb = gpu["memory_total_bytes"].as_f64().expect("bytes") / 1e9;
        assert!((80.0..90.0).contains(&gb), "{gb} GB");
        assert!(gpu["name"].as_str().expect("name").contains("A100"));
    }
}

#[test]
fn hardware_json_of_every_fixture_matches_its_file() {
    for (file, count) in [
        ("rtx4090-24gb.json", 1),
        ("l4-24gb.json", 1),
        ("a100-40gb.json", 1),
        ("2xa100-80gb-nvlink.json", 2),
        ("8xh100-80gb.json", 8),
        ("laptop-rtx3060-6gb.json", 1),
        ("a100-40gb-mig.json", 1),
    ] {
        let out = duows(&home(), &["hardware", "--json", "--gpus", &fixture(file)]);
        assert!(out.status.success(), "{file}");
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(
            report["gpus"].as_array().expect("gpus").len(),
            count,
            "{file}"
        );
        assert_eq!(report["driver"]["status"], "described");
    }
}

#[test]
fn hardware_table_of_a_fixture() {
    let out = duows(
        &home(),
        &["hardware", "--gpus", &fixture("8xh100-80gb.json")],
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("GPU  NAME"), "{text}");
    assert_eq!(text.matches("NVIDIA H100 80GB HBM3").count(), 8, "{text}");
    assert!(text.contains("79.1 GiB"));
    assert!(
        text.contains("0,1,2,3,4,5,6"),
        "NVLink peers of GPU 7: {text}"
    );
    assert!(text.contains("System") && text.contains("CPU"));
}

#[test]
fn hardware_without_a_driver_says_so_and_succeeds() {
    let home = home();
    let out = duows(&home, &["hardware"]);
    assert!(out.status.success(), "exit 0 without a driver");
    let json = duows(&home, &["hardware", "--json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    if report["driver"]["status"] == "ok" {
        // A machine with an NVIDIA driver: the real probe answered.
        assert!(report["driver"]["driver_version"].is_string());
        return;
    }
    assert_eq!(report["driver"]["status"], "not_found");
    assert!(
        stdout(&out).contains("No NVIDIA driver found"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("What to do: Install the NVIDIA driver"));
    assert!(report["gpus"].as_array().expect("gpus").is_empty());
    assert!(
        report["system"]["memory_total_bytes"]
            .as_u64()
            .expect("ram")
            > 0
    );
    assert!(
        !home.path().join("settings.json").exists(),
        "reading writes nothing"
    );
}

#[test]
fn a_bad_spec_is_a_clear_error() {
    let out = duows(&home(), &["hardware", "--gpus", "3xFOO"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--gpus") && err.contains("unknown GPU model `FOO`"),
        "{err}"
    );
    let out = duows(&home(), &["hardware", "--gpus", "/nonexistent/box.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the hardware description"));
}

#[test]
fn version_and_help() {
    let out = duows(&home(), &["--version"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("duows {}", env!("CARGO_PKG_VERSION"))
    );
    let out = duows(&home(), &["--help"]);
    let help = stdout(&out);
    assert!(
        help.contains("Examples:") && help.contains("duows serve"),
        "{help}"
    );
    let out = duows(&home(), &["serve", "--help"]);
    assert!(stdout(&out).contains("--gpus <SPEC|FILE>"));
}
