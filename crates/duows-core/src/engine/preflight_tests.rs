use std::path::PathBuf;

use super::*;

const GIB: u64 = 1 << 30;

fn installed(version: &str) -> Installation {
    Installation {
        program: PathBuf::from("/data/venvs/vllm/bin/vllm"),
        source: "app environment".into(),
        version: Some(version.into()),
        problem: None,
    }
}

/// vLLM on one real 80 GiB GPU with the weights downloaded: everything holds.
fn ready_facts() -> PreflightFacts {
    PreflightFacts {
        kind: EngineKind::Vllm,
        installation: Some(installed("0.18.1")),
        min_version: Some("0.10.0".into()),
        weights: WeightsFacts::Present {
            folder: "/models/snap".into(),
        },
        described_hardware: None,
        real_gpus: 1,
        driver_version: Some("575.57.08".into()),
        needs_gpu: true,
        fits: Some(true),
        fit_fix: None,
        required_free_bytes: 76 * GIB,
        gpus: vec![GpuMemoryFacts {
            index: 0,
            free_bytes: Some(79 * GIB),
        }],
        override_memory: false,
    }
}

fn outcome(result: &Preflight, item: CheckItem) -> CheckOutcome {
    result
        .checks
        .iter()
        .find(|c| c.item == item)
        .unwrap_or_else(|| panic!("{item:?} checked"))
        .outcome
}

#[test]
fn everything_in_place_passes_every_check() {
    let result = preflight(&ready_facts());
    assert!(result.passed(), "{result:?}");
    assert_eq!(result.checks.len(), 6);
    assert!(result.refusal().is_none());
}

#[test]
fn a_described_machine_without_the_engine_or_weights_gets_each_reason() {
    let facts = PreflightFacts {
        installation: None,
        weights: WeightsFacts::Absent {
            repo: "mistralai/Mistral-7B-Instruct-v0.3".into(),
            model: "mistral-7b-instruct-v0.3".into(),
        },
        described_hardware: Some("1xA100-40GB".into()),
        real_gpus: 0,
        gpus: vec![],
        ..ready_facts()
    };
    let result = preflight(&facts);
    assert!(!result.passed());
    for item in [CheckItem::Engine, CheckItem::Weights, CheckItem::Hardware] {
        assert_eq!(outcome(&result, item), CheckOutcome::Fail, "{item:?}");
    }
    let refusal = result.refusal().expect("refused");
    assert!(refusal.contains("vLLM is not installed"), "{refusal}");
    assert!(refusal.contains("duows engine install vllm"), "{refusal}");
    assert!(refusal.contains("not downloaded"), "{refusal}");
    assert!(
        refusal.contains("duows engine download --model mistral-7b-instruct-v0.3"),
        "{refusal}"
    );
    assert!(
        refusal.contains("the hardware is described (1xA100-40GB)"),
        "{refusal}"
    );
    assert!(
        !result
            .checks
            .iter()
            .any(|c| c.item == CheckItem::FreeMemory),
        "no free-memory check on a description"
    );
}

#[test]
fn vllm_needs_a_gpu_and_llama_cpp_only_warns() {
    let no_gpu = PreflightFacts {
        real_gpus: 0,
        gpus: vec![],
        ..ready_facts()
    };
    assert_eq!(
        outcome(&preflight(&no_gpu), CheckItem::Hardware),
        CheckOutcome::Fail
    );
    let llama = PreflightFacts {
        kind: EngineKind::LlamaCpp,
        weights: WeightsFacts::File,
        min_version: None,
        fits: None,
        ..no_gpu
    };
    let result = preflight(&llama);
    assert_eq!(outcome(&result, CheckItem::Hardware), CheckOutcome::Warn);
    assert!(result.passed());
}

#[test]
fn an_old_or_broken_engine_is_refused_with_the_update() {
    let old = PreflightFacts {
        installation: Some(installed("0.8.5")),
        min_version: Some("0.10.1".into()),
        ..ready_facts()
    };
    let result = preflight(&old);
    let refusal = result.refusal().expect("refused");
    assert!(refusal.contains("0.8.5 is older than 0.10.1"), "{refusal}");
    let broken = PreflightFacts {
        installation: Some(Installation {
            version: None,
            problem: Some("ImportError: libcudart.so.12".into()),
            ..installed("0")
        }),
        ..ready_facts()
    };
    let refusal = preflight(&broken).refusal().expect("refused");
    assert!(refusal.contains("does not run: ImportError"), "{refusal}");
    // A problem that already names the program (from running it) is not wrapped again.
    let missing = PreflightFacts {
        installation: Some(Installation {
            version: None,
            problem: Some(
                "/data/venvs/vllm/bin/vllm does not run: No such file or directory (os error 2)"
                    .into(),
            ),
            ..installed("0")
        }),
        ..ready_facts()
    };
    let refusal = preflight(&missing).refusal().expect("refused");
    assert!(
        refusal.contains("vLLM: /data/venvs/vllm/bin/vllm does not run: No such file"),
        "{refusal}"
    );
    assert_eq!(refusal.matches("does not run").count(), 1, "{refusal}");
}

#[test]
fn incomplete_weights_are_refused_with_a_resume() {
    let facts = PreflightFacts {
        weights: WeightsFacts::Incomplete {
            folder: "/models/snap".into(),
            reason: "model-00002-of-00003.safetensors is missing".into(),
            model: "codestral-22b".into(),
        },
        ..ready_facts()
    };
    let refusal = preflight(&facts).refusal().expect("refused");
    assert!(refusal.contains("incomplete: model-00002"), "{refusal}");
    assert!(refusal.contains("it resumes"), "{refusal}");
}

#[test]
fn memory_short_now_is_refused_unless_overridden() {
    let busy = PreflightFacts {
        gpus: vec![GpuMemoryFacts {
            index: 0,
            free_bytes: Some(40 * GIB),
        }],
        ..ready_facts()
    };
    let result = preflight(&busy);
    let short = result
        .checks
        .iter()
        .find(|c| c.item == CheckItem::FreeMemory)
        .expect("checked");
    assert_eq!(short.outcome, CheckOutcome::Fail);
    assert!(short.overridable);
    assert!(
        short.message.contains("40.0 GiB free") && short.message.contains("36.0 GiB short"),
        "{}",
        short.message
    );
    let overridden = PreflightFacts {
        override_memory: true,
        ..busy
    };
    let result = preflight(&overridden);
    assert!(result.passed());
    assert_eq!(outcome(&result, CheckItem::FreeMemory), CheckOutcome::Warn);
}

#[test]
fn a_model_that_does_not_fit_needs_the_override_but_a_missing_engine_does_not_yield() {
    let facts = PreflightFacts {
        fits: Some(false),
        fit_fix: Some("lower the context to 24,576".into()),
        ..ready_facts()
    };
    let refusal = preflight(&facts).refusal().expect("refused");
    assert!(refusal.contains("lower the context to 24,576"), "{refusal}");
    let overridden = PreflightFacts {
        override_memory: true,
        installation: None,
        ..facts
    };
    let result = preflight(&overridden);
    assert_eq!(outcome(&result, CheckItem::Fit), CheckOutcome::Warn);
    assert!(!result.passed(), "the override covers memory only");
}

#[test]
fn an_installed_vllm_older_than_gemma_4_or_minimax_needs_is_refused_with_the_release() {
    let gemma = PreflightFacts {
        installation: Some(installed("0.18.1")),
        min_version: Some("0.19.1".into()),
        ..ready_facts()
    };
    let result = preflight(&gemma);
    assert_eq!(outcome(&result, CheckItem::Engine), CheckOutcome::Fail);
    let refusal = result.refusal().expect("refused");
    assert!(refusal.contains("0.18.1 is older than 0.19.1"), "{refusal}");
    assert!(
        refusal.contains("vLLM 0.19.1, the release for this model"),
        "{refusal}"
    );
    let minimax = PreflightFacts {
        installation: Some(installed("0.19.1")),
        min_version: Some("0.20.0".into()),
        ..ready_facts()
    };
    let refusal = preflight(&minimax).refusal().expect("refused");
    assert!(refusal.contains("0.19.1 is older than 0.20.0"), "{refusal}");
    assert!(refusal.contains("vLLM 0.20.2"), "{refusal}");
    let new_enough = PreflightFacts {
        installation: Some(installed("0.20.2")),
        ..minimax
    };
    assert!(preflight(&new_enough).passed());
}

#[test]
fn the_driver_runs_cuda_12_9_warns_through_compatibility_or_refuses_below_cuda_12() {
    let driver = |version: Option<&str>| {
        let facts = PreflightFacts {
            driver_version: version.map(Into::into),
            ..ready_facts()
        };
        let result = preflight(&facts);
        let check = result
            .checks
            .iter()
            .find(|c| c.item == CheckItem::Driver)
            .cloned()
            .expect("driver checked");
        (check, result.passed())
    };
    let (ok, passed) = driver(Some("575.57.08"));
    assert_eq!(ok.outcome, CheckOutcome::Pass);
    assert!(
        passed && ok.message.contains("vLLM 0.18.1"),
        "{}",
        ok.message
    );
    let (compat, passed) = driver(Some("550.54.15"));
    assert_eq!(compat.outcome, CheckOutcome::Warn);
    assert!(passed, "minor-version compatibility may start");
    assert_eq!(
        compat.fix.as_deref(),
        Some("update the NVIDIA driver to 575.51.03 or newer")
    );
    let (old, passed) = driver(Some("470.223.02"));
    assert_eq!(old.outcome, CheckOutcome::Fail);
    assert!(
        !passed && old.message.contains("CUDA 12"),
        "{}",
        old.message
    );
    let (unknown, _) = driver(None);
    assert_eq!(unknown.outcome, CheckOutcome::Warn);
    // A described machine without a driver version gets no driver check; llama.cpp none.
    let described = PreflightFacts {
        described_hardware: Some("8xH200-141GB".into()),
        real_gpus: 0,
        driver_version: None,
        ..ready_facts()
    };
    let described = preflight(&described);
    assert!(!described.checks.iter().any(|c| c.item == CheckItem::Driver));
    let llama = PreflightFacts {
        kind: EngineKind::LlamaCpp,
        driver_version: Some("470.223.02".into()),
        ..ready_facts()
    };
    let llama = preflight(&llama);
    assert!(!llama.checks.iter().any(|c| c.item == CheckItem::Driver));
}
