//! The GPUs a model is placed on: every shipped hardware fixture gets a consistent answer, a
//! MIG instance is one small GPU, and memory already in use lowers the utilization.

use super::{fit_of, slots};
use crate::catalog::Catalog;
use crate::fit::*;

#[test]
fn every_fixture_gets_an_answer_for_every_model() {
    let catalog = Catalog::builtin().expect("catalog");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/hardware");
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let slots = slots(path.to_str().expect("utf-8 path"));
        for model in catalog.models.iter().filter(|m| m.self_hostable()) {
            for variant in &model.variants {
                let result = fit(&FitRequest {
                    model,
                    variant,
                    slots: &slots,
                    context: None,
                    concurrency: 1,
                    tensor_parallel_size: None,
                    gpu_memory_utilization: None,
                    constants: FitConstants::default(),
                })
                .expect("fit");
                let name = format!("{} {} on {}", model.id, variant.name, path.display());
                assert!(!result.explanation.is_empty(), "{name}");
                if result.fits {
                    assert!(
                        result.concurrency >= 1.0 && result.max_model_len >= MIN_USEFUL_CONTEXT,
                        "{name}"
                    );
                    let mem = result.memory.expect("memory");
                    assert!(
                        mem.weights_bytes + mem.overhead_bytes() < mem.budget_bytes,
                        "{name}"
                    );
                    assert!(result.suggestions.is_empty(), "{name}");
                } else {
                    assert_eq!(
                        result.concurrency == 0.0,
                        result.max_model_len == 0,
                        "{name}"
                    );
                }
            }
        }
    }
}

#[test]
fn mig_instances_are_single_small_gpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/hardware/a100-40gb-mig.json"
    );
    let result = fit_of("mistral-7b-instruct-v0.3", path, None, None);
    // One 3g.20gb instance (19.5 GiB): 13.5 GiB of weights plus overhead leave a short context.
    assert_eq!(result.tensor_parallel_size, 1);
    assert!(result.memory.expect("memory").total_bytes < 20 << 30);
}

#[test]
fn free_memory_lowers_the_automatic_utilization_and_warns_when_set() {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("mistral-7b-instruct-v0.3").expect("model");
    let mut slots = slots("1xRTX4090");
    slots[0].free_bytes = Some(20 << 30); // a display and a browser hold 3.6 GiB
    let request = FitRequest {
        model,
        variant: model.variant(None).expect("variant"),
        slots: &slots,
        context: Some(8192),
        concurrency: 1,
        tensor_parallel_size: None,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
    };
    let auto = fit(&request).expect("fit");
    assert!(
        auto.gpu_memory_utilization < 0.85,
        "{}",
        auto.gpu_memory_utilization
    );
    assert!(auto.required_free_bytes <= 20 << 30);
    assert!(
        auto.warnings.iter().all(|w| !w.contains("free")),
        "{:?}",
        auto.warnings
    );
    let fixed = fit(&FitRequest {
        gpu_memory_utilization: Some(0.95),
        ..request
    })
    .expect("fit");
    assert!(
        fixed.warnings.iter().any(|w| w.contains("free")),
        "{:?}",
        fixed.warnings
    );
}
