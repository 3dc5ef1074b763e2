//! Launch plans for every catalog model against the command lines GitLab documents.

use super::*;
use crate::catalog::Catalog;
use crate::fit::{fit, FitConstants, FitRequest, Slot};
use crate::hardware::{DescribedProbe, GpuProbe, HardwareDescription};

const KEY: &str = "k3y-that-must-never-show";

fn options(model_dir: Option<&str>) -> PlanOptions {
    PlanOptions {
        program: PathBuf::from("vllm"),
        model_dir: model_dir.map(PathBuf::from),
        hf_home: PathBuf::from("/data/models"),
        served_name: None,
        port: 8001,
        run_dir: PathBuf::from("/data/engines/x"),
        api_key: Secret::new(KEY),
    }
}

fn plan_for(id: &str, spec: &str, model_dir: Option<&str>) -> LaunchPlan {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model(id).expect("model");
    let variant = model.variant(None).expect("variant");
    let gpus = DescribedProbe::new(HardwareDescription::from_spec(spec).expect("spec"))
        .inventory()
        .expect("inventory")
        .gpus;
    let slots = Slot::from_gpus(&gpus, &|_| None);
    let fit = fit(&FitRequest {
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
    vllm_plan(model, variant, &fit, &options(model_dir)).expect("plan")
}

/// The words after `--max-num-seqs N`: the model-specific part.
fn tail(plan: &LaunchPlan) -> Vec<String> {
    let at = plan
        .args
        .iter()
        .position(|a| a == "--max-num-seqs")
        .expect("sizing flags");
    plan.args[at + 2..].to_vec()
}

#[test]
fn mistral_7b_gets_gitlabs_flags_and_the_key_stays_hidden() {
    let plan = plan_for(
        "mistral-7b-instruct-v0.3",
        "1xA100-40GB",
        Some("/m/Mistral-7B-Instruct-v0.3"),
    );
    assert_eq!(
        &plan.args[..8],
        [
            "serve",
            "/m/Mistral-7B-Instruct-v0.3",
            "--host",
            "127.0.0.1",
            "--port",
            "8001",
            "--served-model-name",
            "mistral-7b-instruct-v0.3"
        ]
    );
    assert_eq!(
        tail(&plan),
        [
            "--tokenizer_mode",
            "mistral",
            "--load_format",
            "mistral",
            "--config_format",
            "mistral",
            "--tokenizer",
            "/m/Mistral-7B-Instruct-v0.3"
        ]
    );
    let line = plan.command_line();
    assert!(line.contains("VLLM_API_KEY=<hidden>"), "{line}");
    assert!(line.contains("CUDA_VISIBLE_DEVICES=0"), "{line}");
    assert!(
        line.contains(
            "--tensor-parallel-size 1 --gpu-memory-utilization 0.95 --max-model-len 32768"
        ),
        "{line}"
    );
    assert!(!line.contains(KEY));
    assert!(plan.args.iter().all(|a| !a.contains(KEY)), "never in argv");
    assert!(!format!("{plan:?}").contains(KEY), "never in Debug");
    assert!(
        !serde_json::to_string(&plan).expect("json").contains(KEY),
        "never in JSON"
    );
    assert!(
        plan.env_pairs()
            .iter()
            .any(|(n, v)| n == "VLLM_API_KEY" && v == KEY),
        "the child gets it"
    );
    assert!(plan
        .env_pairs()
        .iter()
        .any(|(n, v)| n == "HF_HUB_OFFLINE" && v == "1"));
}

#[test]
fn mixtral_8x7b_copies_the_v3_tokenizer_first() {
    let plan = plan_for(
        "mixtral-8x7b-instruct-v0.1",
        "4xA100-80GB",
        Some("/m/Mixtral-8x7B-Instruct-v0.1"),
    );
    assert_eq!(
        tail(&plan),
        [
            "--tokenizer_mode",
            "mistral",
            "--load_format",
            "safetensors",
            "--tokenizer",
            "/m/Mixtral-8x7B-Instruct-v0.1"
        ]
    );
    assert_eq!(
        plan.prepare,
        vec![PrepareStep::Copy {
            from: PathBuf::from("/m/Mixtral-8x7B-Instruct-v0.1/tokenizer.model"),
            to: PathBuf::from("/m/Mixtral-8x7B-Instruct-v0.1/tokenizer.model.v3"),
        }]
    );
    assert!(
        plan.command_line().contains("CUDA_VISIBLE_DEVICES=0,1"),
        "{}",
        plan.command_line()
    );
}

#[test]
fn mistral_7b_v0_2_gets_the_chat_template() {
    let plan = plan_for("mistral-7b-instruct-v0.2", "1xL40S", None);
    assert_eq!(
        tail(&plan),
        ["--chat-template", "/data/engines/x/mistral-instruct.jinja"]
    );
    let PrepareStep::Write { contents, .. } = &plan.prepare[0] else {
        panic!("a template to write")
    };
    assert!(contents.contains("[INST]") && contents.contains("bos_token"));
}

#[test]
fn every_catalog_model_gets_exactly_its_documented_flags() {
    let catalog = Catalog::builtin().expect("catalog");
    for model in catalog.models.iter().filter(|m| m.self_hostable()) {
        // GLM-5.1's own BF16 checkpoint (1.5 TB) needs more than eight H200s.
        let spec = if model.id == "glm-5.1" {
            "16xH200-141GB"
        } else {
            "8xH200-141GB"
        };
        let plan = plan_for(&model.id, spec, None);
        let serving = model.serving.as_ref().expect("serving");
        let mut expected = serving.flags.clone();
        if serving.tokenizer_is_model_dir {
            expected.extend([
                "--tokenizer".to_owned(),
                model.hf_repo.clone().expect("repo"),
            ]);
        }
        expected.extend(serving.every_checkpoint_flags.iter().cloned());
        if let Some(template) = &serving.chat_template {
            expected.extend([
                "--chat-template".to_owned(),
                format!("/data/engines/x/{template}.jinja"),
            ]);
        }
        assert_eq!(tail(&plan), expected, "{}", model.id);
        assert_eq!(
            plan.args[1],
            model.hf_repo.clone().expect("repo"),
            "{}",
            model.id
        );
        assert!(
            plan.args.windows(2).any(|w| w == ["--host", "127.0.0.1"]),
            "{}",
            model.id
        );
        for flag in [
            "--tensor-parallel-size",
            "--gpu-memory-utilization",
            "--max-model-len",
            "--max-num-seqs",
        ] {
            assert_eq!(
                plan.args.iter().filter(|a| *a == flag).count(),
                1,
                "{} {flag}",
                model.id
            );
        }
        assert!(!plan.command_line().contains(KEY), "{}", model.id);
    }
}

#[test]
fn a_quantized_checkpoint_does_not_get_the_mistral_format_flags() {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("mixtral-8x7b-instruct-v0.1").expect("model");
    let variant = model.variant(Some("awq-int4")).expect("variant");
    let gpus = DescribedProbe::new(HardwareDescription::from_spec("1xA100-40GB").expect("spec"))
        .inventory()
        .expect("inventory")
        .gpus;
    let slots = Slot::from_gpus(&gpus, &|_| None);
    let fit = fit(&FitRequest {
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
    let plan = vllm_plan(model, variant, &fit, &options(None)).expect("plan");
    assert_eq!(
        plan.args[1],
        "hugging-quants/Mixtral-8x7B-Instruct-v0.1-AWQ-INT4"
    );
    assert!(tail(&plan).is_empty(), "{:?}", tail(&plan));
    assert!(plan.prepare.is_empty());
}

#[test]
fn a_quantized_checkpoint_keeps_the_parsers_its_model_needs() {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("gemma-4-31b-it").expect("model");
    let variant = model.variant(Some("fp8")).expect("variant");
    let gpus = DescribedProbe::new(HardwareDescription::from_spec("1xH100-80GB").expect("spec"))
        .inventory()
        .expect("inventory")
        .gpus;
    let slots = Slot::from_gpus(&gpus, &|_| None);
    let fit = fit(&FitRequest {
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
    let plan = vllm_plan(model, variant, &fit, &options(None)).expect("plan");
    assert_eq!(plan.args[1], "RedHatAI/gemma-4-31B-it-FP8-dynamic");
    assert_eq!(
        tail(&plan),
        [
            "--enable-auto-tool-choice",
            "--tool-call-parser",
            "gemma4",
            "--reasoning-parser",
            "gemma4"
        ]
    );
}

#[test]
fn no_plan_for_what_does_not_fit_or_a_bad_name() {
    let catalog = Catalog::builtin().expect("catalog");
    let model = catalog.model("gpt-oss-120b").expect("model");
    let variant = model.variant(None).expect("variant");
    let fit = fit(&FitRequest {
        model,
        variant,
        slots: &[],
        context: None,
        concurrency: 1,
        tensor_parallel_size: None,
        gpu_memory_utilization: None,
        constants: FitConstants::default(),
    })
    .expect("fit");
    assert_eq!(
        vllm_plan(model, variant, &fit, &options(None))
            .expect_err("no fit")
            .field,
        "model"
    );
    let mut named = options(None);
    named.served_name = Some("bad name; rm -rf".into());
    let llama = LlamaCppOptions {
        python: PathBuf::from("/venv/bin/python"),
        gguf: PathBuf::from("/m/tiny.gguf"),
        context: 256,
        gpu_layers: 0,
    };
    assert_eq!(
        llama_cpp_plan(&llama, &named).expect_err("bad name").field,
        "name"
    );
}

#[test]
fn llama_cpp_plan_keeps_its_key_in_the_environment() {
    let llama = LlamaCppOptions {
        python: PathBuf::from("/venv/bin/python"),
        gguf: PathBuf::from("/m/Tiny Model.gguf"),
        context: 256,
        gpu_layers: 0,
    };
    let plan = llama_cpp_plan(&llama, &options(None)).expect("plan");
    assert_eq!(plan.served_name, "tiny-model");
    let line = plan.command_line();
    assert!(
        line.starts_with(
            "API_KEY=<hidden> /venv/bin/python -m llama_cpp.server --model '/m/Tiny Model.gguf'"
        ),
        "{line}"
    );
    assert!(!line.contains(KEY) && plan.args.iter().all(|a| !a.contains(KEY)));
    assert_eq!(plan.base_url(), "http://127.0.0.1:8001/v1");
}

#[test]
fn a_vllm_plan_carries_the_memory_the_fit_planned_on_each_gpu_it_uses() {
    let plan = plan_for("mistral-7b-instruct-v0.3", "2xA100-80GB", None);
    let planned = plan.planned_memory.clone().expect("planned memory");
    assert_eq!(planned.gpus, vec![0], "a 7B model takes one GPU");
    let total = 80u64 << 30;
    assert!(
        planned.bytes_per_gpu > total / 2 && planned.bytes_per_gpu < total,
        "vLLM's budget is most of the GPU: {}",
        planned.bytes_per_gpu
    );
    assert!(
        plan.command_line().contains("--gpu-memory-utilization"),
        "the budget is the one the flags ask for"
    );
}
