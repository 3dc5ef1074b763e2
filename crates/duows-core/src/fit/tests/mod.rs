//! The fit engine's tests, by what they check, and what they share: GPUs from a spec or a
//! fixture file, and a fit of a catalog model on them. (The numbers' agreement with vLLM is
//! checked in `number_tests`.)

use super::*;
use crate::catalog::Catalog;
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription};

mod gitlab;
mod input;
mod nodes;
mod placement;
mod recommend;
mod suggestion;

/// The GPUs a spec (`2xA100-80GB`) or a hardware description file describes.
/// The recommendation for code completions on a machine without a GPU and 24 GiB of memory.
pub(super) fn code_completions_without_a_gpu() -> Recommendation {
    recommend(&RecommendRequest {
        catalog: Catalog::builtin().expect("catalog"),
        slots: &[],
        gitlab: None,
        feature: Some("code_completions"),
        context: None,
        concurrency: 1,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
        system_memory_bytes: Some(24 << 30),
    })
    .expect("recommend")
}

pub(super) fn slots(spec: &str) -> Vec<Slot> {
    let description = HardwareDescription::from_spec_or_file(spec).expect("spec");
    let gpus = DescribedProbe::new(description)
        .inventory()
        .expect("inventory")
        .gpus;
    Slot::from_gpus(&gpus, &|_| None)
}

/// The fit of a catalog model's default checkpoint, concurrency 1, tensor parallelism chosen.
pub(super) fn fit_of(model: &str, spec: &str, context: Option<u32>, gmu: Option<f64>) -> FitResult {
    fit_tp(model, spec, context, gmu, None)
}

/// As [`fit_of`], with the tensor-parallel size fixed when `tp` is given.
pub(super) fn fit_tp(
    model: &str,
    spec: &str,
    context: Option<u32>,
    gmu: Option<f64>,
    tp: Option<u32>,
) -> FitResult {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model(model).expect("model");
    let slots = slots(spec);
    fit(&FitRequest {
        model,
        variant: model.variant(None).expect("variant"),
        slots: &slots,
        context,
        concurrency: 1,
        tensor_parallel_size: tp,
        gpu_memory_utilization: gmu,
        constants: FitConstants::default(),
    })
    .expect("fit")
}
