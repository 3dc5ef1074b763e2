//! The numbers of a fit agree with vLLM's and with each other: concurrency as the fraction
//! vLLM reports, words that agree with the counts, one unit for memory.

use super::tests::{code_completions_without_a_gpu, fit_of, fit_tp};
use crate::catalog::Catalog;

#[test]
fn concurrency_is_the_fraction_vllm_reports() {
    // vLLM: "Maximum concurrency for 32,768 tokens per request: 10.xx" = KV tokens ÷ max_model_len.
    let result = fit_tp(
        "gpt-oss-120b",
        "1xH100-80GB",
        Some(32768),
        Some(0.95),
        Some(1),
    );
    let mem = result.memory.expect("memory");
    let exact = mem.kv_cache_bytes as f64 / result.kv_bytes_per_request as f64;
    assert!(
        (result.concurrency - exact).abs() < 0.01,
        "{} vs {exact}",
        result.concurrency
    );
    assert!(result.concurrency.fract() > 0.0, "{}", result.concurrency);
    assert_eq!(result.whole_requests(), exact.floor() as u32);
    assert_eq!(
        result.concurrency,
        (result.concurrency * 100.0).round() / 100.0,
        "two decimals, as vLLM prints it"
    );
}

#[test]
fn the_words_agree_with_the_counts() {
    let catalog = Catalog::builtin().expect("catalog");
    for (model, spec) in [
        ("codestral-22b-v0.1", "1xA100-80GB"),
        ("gpt-oss-120b", "1xH100-80GB"),
        ("mistral-7b-instruct-v0.3", "1xA100-40GB"),
    ] {
        assert!(catalog.model(model).is_some(), "{model}");
        for context in [Some(8192), Some(32768), None] {
            let result = fit_of(model, spec, context, None);
            let text = result.explanation.join(" ");
            assert!(!text.contains(" 1 requests"), "{text}");
            assert!(!text.contains(" 1 GPUs"), "{text}");
            if result.fits {
                let whole = result.whole_requests();
                let said = format!(
                    "{whole} {} of the full context {} at once",
                    if whole == 1 { "request" } else { "requests" },
                    if whole == 1 { "fits" } else { "fit" }
                );
                assert!(text.contains(&said), "{text}");
                let seqs = result.vllm.as_ref().expect("vllm").max_num_seqs;
                if seqs > whole {
                    assert!(text.contains(&format!("--max-num-seqs {seqs}")), "{text}");
                }
            }
        }
    }
}

#[test]
fn without_a_gpu_the_size_needed_is_one_number_in_gib() {
    let rec = code_completions_without_a_gpu();
    let text = rec.advice.join(" ");
    let smallest = rec
        .models
        .iter()
        .filter(|m| m.listed)
        .map(|m| m.min_gpu_memory_gib)
        .fold(f64::INFINITY, f64::min);
    assert!(
        text.contains(&format!("at least {smallest:.1} GiB of memory")),
        "{text}"
    );
    assert!(!text.contains(" GB"), "one unit: {text}");
}
