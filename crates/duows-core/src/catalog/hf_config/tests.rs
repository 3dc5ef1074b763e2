//! Reading real configs (`fixtures/model-configs/`, copied byte for byte from the models'
//! published `config.json`): the numbers agree with the catalog where both describe the same
//! model, the checkpoint size comes from the files when they are there, and a config that
//! lacks a needed field names it.

use std::path::{Path, PathBuf};

use super::*;
use crate::catalog::{Catalog, Quantization};
use crate::fit::{self, FitConstants, FitRequest, KvLayout, Slot};
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/model-configs")
}

fn read(name: &str) -> ConfigModel {
    read_config_model(&fixtures().join(name)).expect(name)
}

fn slots(spec: &str) -> Vec<Slot> {
    let gpus = DescribedProbe::new(HardwareDescription::from_spec_or_file(spec).expect("spec"))
        .inventory()
        .expect("inventory")
        .gpus;
    Slot::from_gpus(&gpus, &|_| None)
}

fn fit_on(model: &Model, spec: &str) -> fit::FitResult {
    let slots = slots(spec);
    fit::fit(&FitRequest {
        model,
        variant: model.variant(None).expect("variant"),
        slots: &slots,
        context: Some(8192),
        concurrency: 1,
        tensor_parallel_size: None,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
    })
    .expect("fit")
}

#[test]
fn every_fixture_config_is_described() {
    let mut count = 0;
    for entry in std::fs::read_dir(fixtures()).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let own = read_config_model(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let arch = own.model.arch.as_ref().expect("arch");
        assert!(own.model.user_supplied && own.model.gitlab.is_empty());
        assert_eq!(own.model.family, Family::General);
        assert!(arch.layers > 0 && arch.kv_heads > 0 && arch.head_dim > 0 && arch.context > 0);
        assert!(own.model.variants[0].weight_bytes > 0, "{}", path.display());
        count += 1;
    }
    assert!(count >= 8, "{count} fixtures");
}

#[test]
fn the_shared_records_are_described_or_refused_by_field() {
    // The full set of recorded configs, where the repository sits beside the shared data.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/model-configs");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".json") || name.starts_with('_') {
            continue;
        }
        match read_config_model(&path) {
            Ok(own) => assert!(own.model.variants[0].weight_bytes > 0, "{name}"),
            Err(e) => assert!(e.field.is_some(), "{name}: {e}"),
        }
    }
}

/// The config's model and the catalog's agree on KV bytes per token and on weights (the
/// estimate within 1 % of the catalog's safetensors bytes).
fn agrees_with_catalog(file: &str, id: &str, kv_kib: u64) {
    let own = read(file);
    let catalog = Catalog::builtin().expect("catalog");
    let listed = catalog.model(id).expect("catalog model");
    let a = own.model.arch.as_ref().expect("arch");
    let b = listed.arch.as_ref().expect("arch");
    assert_eq!(
        (a.layers, a.heads, a.kv_heads, a.head_dim, a.vocab, a.context),
        (b.layers, b.heads, b.kv_heads, b.head_dim, b.vocab, b.context),
        "{file}"
    );
    assert_eq!(a.sliding_window, b.sliding_window, "{file}");
    assert_eq!(a.moe, b.moe, "{file}");
    assert_eq!(
        KvLayout::new(a, 1, 2, 8192).per_token,
        kv_kib << 10,
        "{file}"
    );
    let (mine, theirs) = (
        fit_on(&own.model, "1xH100-80GB"),
        fit_on(listed, "1xH100-80GB"),
    );
    assert_eq!(mine.kv_bytes_per_token, theirs.kv_bytes_per_token);
    let (w, c) = (mine.weight_bytes as f64, theirs.weight_bytes as f64);
    assert!((w - c).abs() / c < 0.01, "{file}: {w} vs {c}");
    assert_eq!(mine.quantization, theirs.quantization);
    assert_eq!(mine.fits, theirs.fits);
}

#[test]
fn llama_mixtral_and_gpt_oss_agree_with_the_catalog() {
    agrees_with_catalog(
        "meta-llama--Llama-3.1-8B-Instruct.json",
        "llama-3.1-8b-instruct",
        128,
    );
    agrees_with_catalog(
        "mistralai--Mixtral-8x7B-Instruct-v0.1.json",
        "mixtral-8x7b-instruct-v0.1",
        128,
    );
    agrees_with_catalog("openai--gpt-oss-20b.json", "gpt-oss-20b", 24);
}

#[test]
fn the_parameter_count_is_exact_for_llama() {
    let own = read("meta-llama--Llama-3.1-8B-Instruct.json");
    assert_eq!(own.model.arch.expect("arch").params, 8_030_261_248);
    assert_eq!(own.model.variants[0].weight_bytes, 16_060_522_496);
    assert!(!own.model.variants[0].verified, "estimated, not read");
    assert!(own
        .estimated
        .iter()
        .any(|e| e.contains("estimated from the parameters")));
}

#[test]
fn latent_attention_hybrids_and_nested_text_configs() {
    let r1 = read("deepseek-ai--DeepSeek-R1.json");
    let arch = r1.model.arch.as_ref().expect("arch");
    // MLA: 61 layers × 576 values × 2 bytes, the same on every GPU.
    assert_eq!(KvLayout::new(arch, 1, 2, 8192).per_token, 61 * 576 * 2);
    assert_eq!(KvLayout::new(arch, 8, 2, 8192).per_token, 61 * 576 * 2);
    assert_eq!(r1.model.variants[0].quantization, Quantization::Fp8);
    assert_eq!(arch.context, 163_840);
    // Qwen3.6: 10 full-attention layers of 2 KV heads × 256 dims (model-configs-2026 §8: 20 KiB).
    let qwen = read("RedHatAI--Qwen3.6-35B-A3B-NVFP4.json");
    let arch = qwen.model.arch.as_ref().expect("arch");
    assert_eq!(KvLayout::new(arch, 1, 2, 8192).per_token, 20 << 10);
    assert!(qwen.read.iter().any(|r| r.contains("text_config")));
    let vl = read("Qwen--Qwen3-VL-30B-A3B-Instruct-FP8.json");
    assert_eq!(vl.model.arch.as_ref().expect("arch").layers, 48);
    // Qwen2.5 declares a window but does not use it.
    let qwen25 = read("Qwen--Qwen2.5-7B-Instruct.json");
    assert_eq!(
        qwen25.model.arch.as_ref().expect("arch").sliding_window,
        None
    );
    assert_eq!(
        qwen25.model.hf_repo.as_deref(),
        Some("Qwen/Qwen2.5-7B-Instruct")
    );
}

fn llama_config() -> String {
    std::fs::read_to_string(fixtures().join("meta-llama--Llama-3.1-8B-Instruct.json"))
        .expect("fixture")
}

#[test]
fn the_size_comes_from_the_index_then_the_files() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("config.json"), llama_config()).expect("w");
    std::fs::write(
        dir.path().join("model-00001-of-00002.safetensors"),
        vec![0u8; 700],
    )
    .expect("w");
    std::fs::write(
        dir.path().join("model-00002-of-00002.safetensors"),
        vec![0u8; 300],
    )
    .expect("w");
    let own = read_config_model(dir.path()).expect("folder");
    assert_eq!(own.model.variants[0].weight_bytes, 1000);
    assert!(own.model.variants[0].verified);
    assert!(own.read.iter().any(|r| r.contains("2 .safetensors files")));
    std::fs::write(
        dir.path().join("model.safetensors.index.json"),
        r#"{"metadata":{"total_size":16060522496},"weight_map":{}}"#,
    )
    .expect("w");
    let own = read_config_model(&dir.path().join("config.json")).expect("file");
    assert_eq!(own.model.variants[0].weight_bytes, 16_060_522_496);
    assert!(own.read.iter().any(|r| r.contains("metadata.total_size")));
}

#[test]
fn a_hub_cache_folder_names_the_repository() {
    let dir = tempfile::tempdir().expect("dir");
    let repo = dir.path().join("models--acme--Widget-7B");
    let snapshot = repo.join("snapshots").join("abc123");
    std::fs::create_dir_all(&snapshot).expect("dirs");
    std::fs::create_dir_all(repo.join("refs")).expect("refs");
    std::fs::write(repo.join("refs").join("main"), "abc123\n").expect("w");
    std::fs::write(snapshot.join("config.json"), llama_config()).expect("w");
    for path in [repo.as_path(), snapshot.as_path()] {
        let own = read_config_model(path).expect("cache");
        assert_eq!(own.model.hf_repo.as_deref(), Some("acme/Widget-7B"));
        assert_eq!(own.model.id, "widget-7b");
    }
}

#[test]
fn errors_name_the_file_or_the_field() {
    let dir = tempfile::tempdir().expect("dir");
    let err = read_config_model(&dir.path().join("nope.json")).expect_err("missing");
    assert!(
        err.field.is_none() && err.reason.contains("does not exist"),
        "{err}"
    );
    let err = read_config_model(dir.path()).expect_err("no config");
    assert!(err.reason.contains("no config.json"), "{err}");
    let bad = dir.path().join("config.json");
    std::fs::write(&bad, "{ not json").expect("w");
    let err = read_config_model(&bad).expect_err("invalid");
    assert!(err.reason.contains("not valid JSON"), "{err}");
    let mut config: serde_json::Value = serde_json::from_str(&llama_config()).expect("json");
    config
        .as_object_mut()
        .expect("object")
        .remove("num_hidden_layers");
    std::fs::write(&bad, config.to_string()).expect("w");
    let err = read_config_model(&bad).expect_err("no layers");
    assert_eq!(err.field.as_deref(), Some("num_hidden_layers"));
    assert!(
        err.to_string().contains("`num_hidden_layers` is missing"),
        "{err}"
    );
    config["num_hidden_layers"] = 32.into();
    config["quantization_config"] = serde_json::json!({"quant_method": "bitsandbytes"});
    std::fs::write(&bad, config.to_string()).expect("w");
    let err = read_config_model(&bad).expect_err("bnb");
    assert_eq!(
        err.field.as_deref(),
        Some("quantization_config.quant_method")
    );
}

#[test]
fn the_fit_says_what_was_read_and_warns_about_gitlab() {
    let own = read("meta-llama--Llama-3.1-8B-Instruct.json");
    let slots = slots("1xH100-80GB");
    let request = FitRequest {
        model: &own.model,
        variant: own.model.variant(None).expect("variant"),
        slots: &slots,
        context: None,
        concurrency: 1,
        tensor_parallel_size: None,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
    };
    let result = fit::fit_config_model(&own, &request).expect("fit");
    assert!(result.fits);
    assert!(result.explanation[0].contains("not from the catalog"));
    assert!(result
        .explanation
        .iter()
        .any(|e| e.starts_with("Estimated: Checkpoint size")));
    assert!(
        result.warnings[0].contains("GENERAL family"),
        "{:?}",
        result.warnings
    );
}
