//! Hardware descriptions: specs parse into the GPUs they name, bad specs say what is wrong, and
//! JSON descriptions name the field at fault.

use super::*;
use crate::hardware::GpuProbe;

fn gpus(spec: &str) -> Vec<GpuInfo> {
    let probe = DescribedProbe::new(HardwareDescription::from_spec(spec).expect(spec));
    probe.inventory().expect("inventory").gpus
}

#[test]
fn specs_from_the_issue_parse() {
    let a100 = gpus("2xA100-80GB");
    assert_eq!(a100.len(), 2);
    assert!(a100
        .iter()
        .all(|g| (79.0..80.0).contains(&g.memory_total_gib)));
    assert_eq!(a100[0].nvlink_peers, vec![1]);
    assert_eq!(a100[1].nvlink_peers, vec![0]);
    assert_eq!(a100[0].compute_capability.as_deref(), Some("8.0"));

    let h100 = gpus("8xH100-80GB");
    assert_eq!(h100.len(), 8);
    assert_eq!(h100[3].nvlink_peers, vec![0, 1, 2, 4, 5, 6, 7]);

    let rtx = gpus("1xRTX4090");
    assert_eq!(rtx[0].name, "NVIDIA GeForce RTX 4090");
    assert!(rtx[0].nvlink_peers.is_empty());

    let l40s = gpus("2xL40S");
    assert_eq!(l40s.len(), 2);
    assert!(
        l40s.iter().all(|g| g.nvlink_peers.is_empty()),
        "PCIe boards have no NVLink"
    );
}

#[test]
fn mixed_specs_and_none() {
    let mixed = gpus("1xRTX4090 + 1xRTX3090");
    assert_eq!(mixed.len(), 2);
    assert_ne!(mixed[0].name, mixed[1].name);
    assert!(mixed[0].nvlink_peers.is_empty());
    assert!(gpus("none").is_empty());
    assert!(
        gpus("2×a100-40gb").len() == 2,
        "the multiplication sign works too"
    );
}

#[test]
fn bad_specs_say_what_is_wrong() {
    let err = |spec: &str| {
        HardwareDescription::from_spec(spec)
            .expect_err(spec)
            .to_string()
    };
    assert!(err("").contains("empty"));
    assert!(err("A100-80GB").contains("count"), "{}", err("A100-80GB"));
    assert!(err("0xA100-80GB").contains("at least 1"));
    assert!(err("twoxA100-80GB").contains("whole number"));
    assert!(err("3xFOO").contains("unknown GPU model `FOO`"));
    assert!(err("2xA100").contains("A100-40GB or A100-80GB"));
    assert!(err("65xL4").contains("at most 64"));
    assert!(
        err("4000000000xL4").contains("at most 64"),
        "checked before building"
    );
    assert!(err("40xL4+40xL4").contains("at most 64"));
    let e = HardwareDescription::from_spec("3xFOO").expect_err("bad");
    assert_eq!(e.field(), "spec");
}

#[test]
fn json_descriptions_name_the_field_at_fault() {
    let parse = |json: &str| {
        let d: HardwareDescription = serde_json::from_str(json).expect("json");
        d.validate().expect_err("invalid")
    };
    let e = parse(r#"{"version":1,"label":"x","gpus":[{"model":"L4"},{"name":"x"}]}"#);
    assert_eq!(e.field(), "gpus[1].memory_total_bytes");
    let e = parse(r#"{"version":1,"label":"x","gpus":[{"model":"L4","nvlink_peers":[0]}]}"#);
    assert_eq!(e.field(), "gpus[0].nvlink_peers");
    let e = parse(r#"{"version":2,"label":"x","gpus":[]}"#);
    assert_eq!(e.field(), "version");
    let e =
        parse(r#"{"version":1,"label":"x","gpus":[{"model":"L4","compute_capability":"eight"}]}"#);
    assert_eq!(e.field(), "gpus[0].compute_capability");
    let e = parse(
        r#"{"version":1,"label":"x","gpus":[{"model":"L4","sample":{"memory_used_bytes":99999999999999}}]}"#,
    );
    assert_eq!(e.field(), "gpus[0].sample.memory_used_bytes");
    let unknown = serde_json::from_str::<HardwareDescription>(
        r#"{"version":1,"label":"x","gpus":[{"model":"L4","colour":"green"}]}"#,
    );
    assert!(unknown
        .expect_err("unknown field")
        .to_string()
        .contains("colour"));
}
