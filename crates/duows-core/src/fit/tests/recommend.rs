//! Recommendations: the catalog ranked per Duo feature, CPU options and the GPU size needed
//! without a GPU.

use super::{code_completions_without_a_gpu, slots};
use crate::catalog::Catalog;
use crate::fit::*;

#[test]
fn recommendations_rank_per_feature() {
    let catalog = Catalog::builtin().expect("catalog");
    let slots = slots("1xA100-40GB");
    let rec = recommend(&RecommendRequest {
        catalog,
        slots: &slots,
        gitlab: Some("18.4".parse().expect("version")),
        feature: None,
        context: None,
        concurrency: 1,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
        system_memory_bytes: Some(32 << 30),
    })
    .expect("recommend");
    let by_id = |id: &str| rec.models.iter().find(|m| m.fit.model == id).expect(id);
    assert!(by_id("mistral-7b-instruct-v0.3").fit.fits);
    assert!(!by_id("mixtral-8x22b-instruct-v0.1").fit.fits);
    assert_eq!(
        by_id("mixtral-8x7b-instruct-v0.1").badge,
        Badge::FitsQuantized
    );
    let completion = rec
        .features
        .iter()
        .find(|f| f.feature == "code_completions")
        .expect("feature");
    assert!(!completion.ranked.is_empty());
    let scores: Vec<u8> = completion.ranked.iter().map(|r| r.rating.score()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked by rating: {scores:?}"
    );
    // Chat: Mistral 7B is rated "none" for chat and must not be recommended for it.
    let chat = rec
        .features
        .iter()
        .find(|f| f.feature == "duo_chat")
        .expect("chat");
    assert!(chat
        .ranked
        .iter()
        .all(|r| r.model != "mistral-7b-instruct-v0.3"));
    assert!(!rec.cloud.is_empty());
    // The model list: fitting first, and among those the best rated first.
    let fitting: Vec<u8> = rec
        .models
        .iter()
        .filter(|m| m.badge == Badge::Fits && m.listed)
        .map(|m| m.ratings.as_ref().map_or(0, |r| r.best().score()))
        .collect();
    assert!(
        fitting.windows(2).all(|w| w[0] >= w[1]),
        "best rated first: {fitting:?}"
    );
    let badges: Vec<Badge> = rec.models.iter().map(|m| m.badge).collect();
    assert!(
        badges.windows(2).all(|w| w[0] <= w[1]),
        "fitting first: {badges:?}"
    );
}

#[test]
fn no_gpu_gets_cpu_options_and_the_gpu_size_needed() {
    let rec = code_completions_without_a_gpu();
    assert!(rec.models.iter().all(|m| m.badge == Badge::DoesNotFit));
    let text = rec.advice.join(" ");
    assert!(text.contains("needs a GPU with at least"), "{text}");
    assert!(text.contains("llama.cpp"), "{text}");
    assert_eq!(rec.features.len(), 1);
    assert!(rec.features[0].message.is_some());
}
