//! The catalog rules, each broken on purpose in a copy of the shipped catalog.

use super::super::Catalog;

fn with(replace: &str, by: &str) -> String {
    let text = include_str!("../../../../catalog/catalog.toml");
    assert!(text.contains(replace), "fixture text `{replace}` not found");
    text.replacen(replace, by, 1)
}

#[test]
fn broken_entries_are_named() {
    let cases = [
        (
            "heads = 32, kv_heads = 8",
            "heads = 32, kv_heads = 7",
            "arch.kv_heads",
        ),
        ("id = \"gpt-oss-120b\"", "id = \"gpt-oss-121b\"", "id"),
        (
            "replacement = \"mistral-small-3.2-24b-instruct-2506\"",
            "replacement = \"nope\"",
            "deprecation.replacement",
        ),
        (
            "weight_bytes = 14_496_047_104",
            "weight_bytes = 4_496_047_104",
            "weight_bytes",
        ),
        (
            "{ from = \"18.0\", until = \"18.9\", completion = \"largely\"",
            "{ from = \"17.9\", until = \"18.9\", completion = \"largely\"",
            "gitlab",
        ),
    ];
    for (replace, by, field) in cases {
        let err = Catalog::parse(&with(replace, by))
            .expect_err(by)
            .to_string();
        assert!(err.contains(field), "{by}: {err}");
    }
    let err = Catalog::parse(&with("schema = 1", "schema = 1\ncolour = 2")).expect_err("unknown");
    assert!(err.to_string().contains("colour"));
}

#[test]
fn the_2026_attention_kinds_and_serving_rules_are_checked() {
    let cases = [
        (
            "mla = { kv_lora_rank = 512, rope_dim = 64 }, indexer",
            "indexer",
            "model glm-5.1: arch.indexer",
        ),
        (
            "mla = { kv_lora_rank = 512",
            "mla = { kv_lora_rank = 0",
            "model glm-5.1: arch.mla",
        ),
        (
            "linear_attention = { layers = 30,",
            "linear_attention = { layers = 41,",
            "41 linear + 0 sliding layers are more than the 40 layers",
        ),
        (
            "state_bytes = 2_146_304",
            "state_bytes = 0",
            "model qwen3.6-35b-a3b: arch.linear_attention",
        ),
        (
            "sliding_window = { tokens = 1024, layers = 50, kv_heads = 16",
            "sliding_window = { tokens = 1024, layers = 50, kv_heads = 5",
            "model gemma-4-31b-it: arch.sliding_window.kv_heads",
        ),
        (
            r#"family = "GENERAL"
family_note = "GitLab's table lists it as \"GLM\""#,
            r#"family = "GENERAL"
# family_note = "GitLab's table lists it as \"GLM\""#,
            "model glm-5.1: family_note",
        ),
        (
            r#"min_vllm = "0.20.0""#,
            r#"min_vllm = "0.21.0""#,
            "model minimax-m2.7: serving.min_vllm: 0.21.0 is newer than every vLLM release this app installs (0.18.1, 0.19.1, 0.20.2)",
        ),
        (
            r#"every_checkpoint_flags = ["--reasoning-parser", "qwen3""#,
            r#"every_checkpoint_flags = ["--max-model-len", "8192", "--reasoning-parser", "qwen3""#,
            "--max-model-len is set by the app",
        ),
    ];
    for (replace, by, expected) in cases {
        let err = Catalog::parse(&with(replace, by))
            .expect_err(by)
            .to_string();
        assert!(err.contains(expected), "{by}: {err}");
    }
}
