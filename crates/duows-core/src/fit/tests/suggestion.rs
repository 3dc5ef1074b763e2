//! What does not fit gets the nearest ways to make it fit: more or bigger GPUs, a shorter
//! context, a quantized checkpoint that agrees with the recommendation's.

use super::{fit_of, slots};
use crate::catalog::Catalog;
use crate::fit::*;

#[test]
fn a_laptop_gets_suggestions_not_an_empty_answer() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/hardware/laptop-rtx3060-6gb.json"
    );
    let result = fit_of("mistral-7b-instruct-v0.3", path, None, None);
    assert!(!result.fits);
    let kinds: Vec<&str> = result.suggestions.iter().map(|s| s.kind.as_str()).collect();
    assert!(
        kinds.contains(&"more_gpus") || kinds.contains(&"bigger_gpu"),
        "{kinds:?}"
    );
}

#[test]
fn shorter_context_and_quantized_suggestions() {
    // Llama 3.1 70B on one A100 80 GB: bf16 weights (131 GiB) do not fit; AWQ does.
    let result = fit_of("llama-3.1-70b-instruct", "1xA100-80GB", None, None);
    assert!(!result.fits);
    let quantized = result
        .suggestions
        .iter()
        .find(|s| s.kind == "quantized_variant")
        .expect("quantized");
    assert!(quantized.variant.is_some());
    // GPT-OSS 120B at its full 131K context on one H100: 16 requests do not fit; a shorter
    // context does (each request also holds its sliding layers' window and prefill chunk).
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("gpt-oss-120b").expect("model");
    let slots = slots("1xH100-80GB");
    let result = fit(&FitRequest {
        model,
        variant: model.variant(None).expect("variant"),
        slots: &slots,
        context: Some(131072),
        concurrency: 16,
        tensor_parallel_size: None,
        gpu_memory_utilization: Some(0.95),
        constants: FitConstants::default(),
    })
    .expect("fit");
    assert!(!result.fits);
    let shorter = result
        .suggestions
        .iter()
        .find(|s| s.kind == "shorter_context")
        .expect("shorter");
    assert!(
        shorter.context.is_some_and(|c| (8192..131072).contains(&c)),
        "{shorter:?}"
    );
}

#[test]
fn the_quantized_answer_and_the_suggestion_agree() {
    let catalog = Catalog::builtin().expect("catalog");
    let slots = slots("1xA100-40GB");
    let rec = recommend(&RecommendRequest {
        catalog,
        slots: &slots,
        gitlab: None,
        feature: None,
        context: None,
        concurrency: 1,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
        system_memory_bytes: None,
    })
    .expect("recommend");
    let mixtral = rec
        .models
        .iter()
        .find(|m| m.fit.model == "mixtral-8x7b-instruct-v0.1")
        .expect("model");
    let quantized = mixtral
        .quantized
        .as_ref()
        .expect("a quantized checkpoint fits");
    let suggested = mixtral
        .fit
        .suggestions
        .iter()
        .find(|s| s.kind == "quantized_variant")
        .expect("suggested");
    assert_eq!(
        suggested.variant.as_deref(),
        Some(quantized.variant.as_str())
    );
    assert!(
        mixtral.fit.vllm.is_none(),
        "no vLLM settings for what does not fit"
    );
    assert!(quantized.vllm.is_some());
}
