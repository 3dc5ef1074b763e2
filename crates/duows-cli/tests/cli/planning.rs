//! Planning without running anything: `recommend`, `fit`, `catalog` and `engine plan`.

use serde_json::Value;

use crate::common::{duows, home, json_of, stdout};

fn model_in<'a>(rec: &'a Value, id: &str) -> &'a Value {
    rec["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["model"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

#[test]
fn recommend_on_one_a100_40gb() {
    let rec = json_of(&["recommend", "--gpus", "1xA100-40GB", "--json"]);
    let mistral = model_in(&rec, "mistral-7b-instruct-v0.3");
    assert_eq!(mistral["fits"], true);
    assert_eq!(mistral["tensor_parallel_size"], 1);
    assert_eq!(model_in(&rec, "mixtral-8x22b-instruct-v0.1")["fits"], false);
    let text = stdout(&duows(&home(), &["recommend", "--gpus", "1xA100-40GB"]));
    assert!(
        text.contains("Mistral 7B Instruct v0.3") && text.contains("Best per Duo feature"),
        "{text}"
    );
}

#[test]
fn recommend_on_eight_a100_80gb_fits_mixtral_8x22b() {
    let rec = json_of(&["recommend", "--gpus", "8xA100-80GB", "--json"]);
    let mixtral = model_in(&rec, "mixtral-8x22b-instruct-v0.1");
    assert_eq!(mixtral["fits"], true);
    assert!(mixtral["tensor_parallel_size"].as_u64().expect("tp") >= 4);
}

#[test]
fn fit_gpt_oss_120b_on_one_h100() {
    let fit = json_of(&[
        "fit",
        "--model",
        "gpt-oss-120b",
        "--gpus",
        "1xH100-80GB",
        "--context",
        "32768",
        "--max-num-seqs",
        "16",
        "--max-num-batched-tokens",
        "4096",
        "--json",
    ]);
    assert_eq!(fit["fits"], true);
    assert_eq!(fit["max_model_len"], 32768);
    assert_eq!(fit["vllm"]["max_num_seqs"], 16);
    // The fraction vLLM reports ("Maximum concurrency for 32,768 tokens per request: 8.xx"),
    // not rounded down. GitLab's table says about 10 for these settings; vLLM loads the MXFP4
    // weights 3.6 GiB larger than the files (see the fit's explanation).
    let concurrency = fit["concurrency"].as_f64().expect("concurrency");
    assert!(
        (7.5..9.0).contains(&concurrency) && concurrency.fract() != 0.0,
        "about 8, got {concurrency}"
    );
    assert_eq!(fit["vllm_version"], "0.18.1");
    let text = stdout(&duows(
        &home(),
        &[
            "fit",
            "--model",
            "openai/gpt-oss-120b",
            "--gpus",
            "1xH100-80GB",
        ],
    ));
    assert!(
        text.contains("--max-model-len 32768") && text.contains("KV cache"),
        "{text}"
    );
}

#[test]
fn fit_errors_name_the_flag() {
    let out = duows(
        &home(),
        &[
            "fit",
            "--model",
            "gpt-oss-20b",
            "--gpus",
            "1xL4",
            "--context",
            "999999",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--context:"));
    let out = duows(&home(), &["fit", "--model", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--model:"));
}

#[test]
fn recommend_without_a_gpu_says_what_is_needed() {
    let rec = json_of(&["recommend", "--gpus", "none", "--json"]);
    let advice = rec["advice"].as_array().expect("advice");
    assert!(advice.iter().any(|a| a
        .as_str()
        .is_some_and(|a| a.contains("needs a GPU with at least"))));
}

#[test]
fn without_a_gpu_the_table_and_the_advice_give_one_size() {
    let text = stdout(&duows(&home(), &["recommend", "--gpus", "none"]));
    let row = text
        .lines()
        .find(|l| l.starts_with("CodeGemma 2B"))
        .unwrap_or_else(|| panic!("no CodeGemma 2B row in {text}"));
    let needs = row
        .split("needs ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no size in {row}"));
    assert!(needs.ends_with(" GiB"), "{row}");
    assert!(
        text.contains(&format!(
            "CodeGemma 2B, needs a GPU with at least {needs} of memory"
        )),
        "the advice and the table disagree ({needs}): {text}"
    );
    assert!(!text.contains(" GB"), "one unit: {text}");
}

#[test]
fn fit_text_agrees_with_itself() {
    let text = stdout(&duows(
        &home(),
        &["fit", "--model", "codegemma-2b", "--gpus", "none"],
    ));
    assert_eq!(text.matches("To make it fit").count(), 1, "{text}");
    assert!(!text.contains(" GB"), "one unit: {text}");
    for (model, gpus) in [
        ("gpt-oss-120b", "1xH100-80GB"),
        ("mistral-7b-instruct-v0.3", "1xA100-40GB"),
    ] {
        let text = stdout(&duows(&home(), &["fit", "--model", model, "--gpus", gpus]));
        assert!(
            !text.contains(" 1 requests") && !text.contains(" 1 concurrent requests"),
            "{text}"
        );
        assert!(
            text.contains("× the full context; vLLM admits up to"),
            "{text}"
        );
    }
}

#[test]
fn catalog_lists_the_version_and_models() {
    let text = stdout(&duows(&home(), &["catalog"]));
    assert!(text.starts_with("Model catalog "), "{text}");
    assert!(text.contains("gpt-oss-120b") && text.contains("mistral-7b-instruct-v0.3"));
    let row = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} in {text}"))
            .to_owned()
    };
    assert!(text.lines().any(|l| l.contains("VLLM")), "{text}");
    assert!(row("gemma-4-31b-it").contains("0.19.1"), "{text}");
    assert!(row("minimax-m2.7").contains("0.20.2"), "{text}");
}

#[test]
fn fit_says_which_vllm_release_the_model_gets() {
    let text = stdout(&duows(
        &home(),
        &["fit", "--model", "gemma-4-31b-it", "--gpus", "1xH100-80GB"],
    ));
    assert!(
        text.contains("Installs vLLM 0.19.1 for it (it needs 0.19.1 or newer)"),
        "{text}"
    );
}

#[test]
fn engine_plan_prints_gitlabs_flags_with_the_key_hidden() {
    let out = duows(
        &home(),
        &[
            "engine",
            "plan",
            "--model",
            "mistral-7b-instruct-v0.3",
            "--gpus",
            "1xA100-40GB",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for expected in [
        "VLLM_API_KEY=<hidden>",
        "vllm serve mistralai/Mistral-7B-Instruct-v0.3",
        "--host 127.0.0.1",
        "--served-model-name mistral-7b-instruct-v0.3",
        "--tensor-parallel-size 1",
        "--tokenizer_mode mistral --load_format mistral --config_format mistral --tokenizer mistralai/Mistral-7B-Instruct-v0.3",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in {text}");
    }
    let plan = json_of(&[
        "engine",
        "plan",
        "--model",
        "mistral-7b-instruct-v0.3",
        "--gpus",
        "1xA100-40GB",
        "--json",
    ]);
    let key = plan["plan"]["api_key"].as_str().expect("key field");
    assert_eq!(key, "<hidden>");
    let env = plan["plan"]["env"].as_array().expect("env");
    assert!(env
        .iter()
        .any(|v| v["name"] == "VLLM_API_KEY" && v["value"] == "<hidden>"));
    assert!(plan["plan"]["args"]
        .as_array()
        .expect("args")
        .iter()
        .all(|a| a != "<hidden>"));
}

#[test]
fn engine_plan_uses_a_checked_local_folder_offline() {
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().join("Mistral-7B-Instruct-v0.3");
    std::fs::create_dir(&folder).expect("mkdir");
    let folder_arg = folder.display().to_string();
    let plan = |home: &tempfile::TempDir| {
        duows(
            home,
            &[
                "engine",
                "plan",
                "--model",
                "mistral-7b-instruct-v0.3",
                "--gpus",
                "1xA100-40GB",
                "--model-dir",
                &folder_arg,
            ],
        )
    };
    let home = home();
    let refused = plan(&home);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--model-dir:"),
        "names the flag"
    );
    std::fs::write(folder.join("config.json"), "{}").expect("config");
    std::fs::write(folder.join("tokenizer.json"), "{}").expect("tokenizer");
    // A sparse file of the catalog's exact size stands in for the weights.
    let weights = std::fs::File::create(folder.join("consolidated.safetensors")).expect("weights");
    weights.set_len(14_496_047_104).expect("sparse");
    let out = plan(&home);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("HF_HUB_OFFLINE=1"), "{text}");
    assert!(text.contains(&format!("vllm serve {folder_arg}")), "{text}");
    assert!(
        text.contains(&format!("--tokenizer {folder_arg}")),
        "{text}"
    );
}

#[test]
fn fit_a_model_from_its_config_json() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/model-configs/meta-llama--Llama-3.1-8B-Instruct.json"
    );
    let fit = json_of(&["fit", "--config", config, "--gpus", "1xH100-80GB", "--json"]);
    assert_eq!(fit["fits"], true);
    assert_eq!(fit["model"], "llama-3.1-8b-instruct");
    assert_eq!(fit["kv_bytes_per_token"], 128 << 10);
    assert_eq!(fit["weight_bytes"], 16_060_522_496u64);
    assert!(fit["warnings"][0]
        .as_str()
        .is_some_and(|w| w.contains("GENERAL family")));
    let text = stdout(&duows(
        &home(),
        &["fit", "--config", config, "--gpus", "1xH100-80GB"],
    ));
    assert!(
        text.contains("— fits") && text.contains("not from the catalog"),
        "{text}"
    );
    let both = duows(
        &home(),
        &["fit", "--config", config, "--model", "gpt-oss-20b"],
    );
    assert!(!both.status.success());
    let missing = duows(&home(), &["fit", "--config", "/nonexistent/config.json"]);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("--config") && err.contains("does not exist"),
        "{err}"
    );
}
