//! Bad input to a fit or a recommendation is refused with the field at fault.

use super::slots;
use crate::catalog::Catalog;
use crate::fit::*;

#[test]
fn bad_input_names_the_field() {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("gpt-oss-20b").expect("model");
    let slots = slots("1xL4");
    let base = FitRequest {
        model,
        variant: model.variant(None).expect("variant"),
        slots: &slots,
        context: Some(200_000),
        concurrency: 1,
        tensor_parallel_size: None,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
    };
    assert_eq!(fit(&base).expect_err("too long").field, "context");
    let gmu = FitRequest {
        context: None,
        gpu_memory_utilization: Some(1.5),
        ..base.clone()
    };
    assert_eq!(fit(&gmu).expect_err("gmu").field, "gpu_memory_utilization");
    let constants = FitConstants {
        kv_bytes: 3,
        ..FitConstants::default()
    };
    let c = FitRequest {
        context: None,
        constants,
        ..base.clone()
    };
    assert_eq!(fit(&c).expect_err("constants").field, "kv_bytes");
    let tp = FitRequest {
        context: None,
        tensor_parallel_size: Some(2),
        ..base.clone()
    };
    assert_eq!(fit(&tp).expect_err("one GPU").field, "tensor_parallel_size");
    let cloud = catalog.model("gpt-4o").expect("cloud");
    let v = crate::catalog::Variant {
        name: "x".into(),
        quantization: crate::catalog::Quantization::Bf16,
        repo: "x".into(),
        weight_bytes: 1,
        verified: false,
        source: String::new(),
        max_tensor_parallel_size: None,
    };
    let c = FitRequest {
        model: cloud,
        variant: &v,
        context: None,
        ..base
    };
    assert_eq!(fit(&c).expect_err("cloud").field, "model");
}

#[test]
fn recommend_refuses_a_context_no_model_has() {
    let catalog = Catalog::builtin().expect("catalog");
    let request = RecommendRequest {
        catalog,
        slots: &[],
        gitlab: None,
        feature: None,
        context: Some(999_999),
        concurrency: 1,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
        system_memory_bytes: None,
    };
    let error = recommend(&request).expect_err("too long");
    assert_eq!(error.field, "context");
    assert!(error.reason.contains("262144"), "{}", error.reason);
    let error = recommend(&RecommendRequest {
        context: Some(8),
        ..request
    })
    .expect_err("too short");
    assert_eq!(error.field, "context");
}

#[test]
fn a_checkpoint_limits_its_tensor_parallel_size() {
    // MiniMax-M2.7's FP8 blocks of 128 cannot divide its 1536-wide experts 8 ways.
    let chosen = super::fit_of("minimax-m2.7", "8xH100-80GB", Some(32768), None);
    assert!(
        chosen.fits && chosen.tensor_parallel_size <= 4,
        "{}",
        chosen.tensor_parallel_size
    );
    let catalog = crate::catalog::Catalog::builtin().expect("catalog");
    let model = catalog.model("minimax-m2.7").expect("model");
    let slots = super::slots("8xH100-80GB");
    let error = fit(&FitRequest {
        model,
        variant: model.variant(Some("fp8")).expect("fp8"),
        slots: &slots,
        context: Some(32768),
        concurrency: 1,
        tensor_parallel_size: Some(8),
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
    })
    .expect_err("8 GPUs refused");
    assert_eq!(error.field, "tensor_parallel_size");
    assert!(error.reason.contains("at most 4"), "{error}");
}
