//! The classifier against whole start-up logs as vLLM and llama.cpp print them.

use super::*;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn classify_text(text: &str) -> Failure {
    classify(&lines(text), "exit status: 1")
}

/// Each fixture (a real start-up's shape, noise included) and the failure it shows.
const FIXTURES: &[(&str, &str, FailureKind)] = &[
    (
        "vllm-no-gpu",
        include_str!("fixtures/vllm-no-gpu.log"),
        FailureKind::GpuNotUsable,
    ),
    (
        "vllm-context-too-long",
        include_str!("fixtures/vllm-context-too-long.log"),
        FailureKind::ContextTooLong {
            largest: Some(35808),
        },
    ),
    (
        "vllm-context-above-model",
        include_str!("fixtures/vllm-context-above-model.log"),
        FailureKind::ContextAboveModelLimit {
            largest: Some(32768),
        },
    ),
    (
        "vllm-free-memory",
        include_str!("fixtures/vllm-free-memory.log"),
        FailureKind::FreeMemoryBelowUtilization,
    ),
    (
        "vllm-sampler-oom",
        include_str!("fixtures/vllm-sampler-oom.log"),
        FailureKind::OutOfMemory,
    ),
    (
        "vllm-weights-oom",
        include_str!("fixtures/vllm-weights-oom.log"),
        FailureKind::OutOfMemory,
    ),
    (
        "vllm-no-cache-memory",
        include_str!("fixtures/vllm-no-cache-memory.log"),
        FailureKind::NoCacheMemory,
    ),
    (
        "vllm-unsupported-architecture",
        include_str!("fixtures/vllm-unsupported-architecture.log"),
        FailureKind::UnsupportedArchitecture,
    ),
    (
        "vllm-gated-repo",
        include_str!("fixtures/vllm-gated-repo.log"),
        FailureKind::ModelAccessDenied,
    ),
    (
        "vllm-repo-not-found",
        include_str!("fixtures/vllm-repo-not-found.log"),
        FailureKind::ModelNotFound,
    ),
    (
        "vllm-missing-config",
        include_str!("fixtures/vllm-missing-config.log"),
        FailureKind::ModelFileUnreadable,
    ),
    (
        "vllm-port-in-use",
        include_str!("fixtures/vllm-port-in-use.log"),
        FailureKind::PortInUse,
    ),
    (
        "vllm-tokenizer",
        include_str!("fixtures/vllm-tokenizer.log"),
        FailureKind::WrongTokenizerMode,
    ),
    (
        "vllm-unknown-crash",
        include_str!("fixtures/vllm-unknown-crash.log"),
        FailureKind::Exited,
    ),
    (
        "llama-server-bad-gguf",
        include_str!("fixtures/llama-server-bad-gguf.log"),
        FailureKind::ModelFileUnreadable,
    ),
    (
        "llama-server-unknown-architecture",
        include_str!("fixtures/llama-server-unknown-architecture.log"),
        FailureKind::UnsupportedArchitecture,
    ),
    (
        "llama-server-port-in-use",
        include_str!("fixtures/llama-server-port-in-use.log"),
        FailureKind::PortInUse,
    ),
    (
        "llama-server-cuda-oom",
        include_str!("fixtures/llama-server-cuda-oom.log"),
        FailureKind::OutOfMemory,
    ),
    (
        "llama-cpp-python-missing-file",
        include_str!("fixtures/llama-cpp-python-missing-file.log"),
        FailureKind::ModelFileUnreadable,
    ),
    (
        "llama-cpp-python-port-in-use",
        include_str!("fixtures/llama-cpp-python-port-in-use.log"),
        FailureKind::PortInUse,
    ),
    (
        "llama-cpp-python-cpu-fallback-killed",
        include_str!("fixtures/llama-cpp-python-cpu-fallback-killed.log"),
        FailureKind::GpuNotUsable,
    ),
];

#[test]
fn every_fixture_is_classified_by_its_root_cause() {
    let wrong: Vec<String> = FIXTURES
        .iter()
        .filter_map(|(name, text, want)| {
            let got = classify_text(text);
            (got.kind != *want).then(|| {
                format!(
                    "{name}: got {:?} ({}), want {want:?}",
                    got.kind, got.evidence
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_evidence_is_the_line_that_names_the_cause() {
    let no_gpu = classify_text(include_str!("fixtures/vllm-no-gpu.log"));
    assert!(
        no_gpu.evidence.contains("Failed to infer device type"),
        "{}",
        no_gpu.evidence
    );
    assert!(
        no_gpu.fix.contains("No usable NVIDIA GPU"),
        "{}",
        no_gpu.fix
    );
    assert!(!no_gpu.fix.contains("download"), "{}", no_gpu.fix);

    let context = classify_text(include_str!("fixtures/vllm-context-too-long.log"));
    assert!(
        context.fix.contains("--max-model-len 35808"),
        "{}",
        context.fix
    );

    let gated = classify_text(include_str!("fixtures/vllm-gated-repo.log"));
    assert!(
        gated.evidence.contains("Cannot access gated repo"),
        "{}",
        gated.evidence
    );
    assert!(gated.fix.contains("HF_TOKEN"), "{}", gated.fix);
}

#[test]
fn a_wrapper_line_is_never_the_evidence() {
    let crash = classify_text(include_str!("fixtures/vllm-unknown-crash.log"));
    assert_eq!(crash.kind, FailureKind::Exited);
    assert!(
        crash
            .evidence
            .ends_with("RuntimeError: CUDA error: an illegal memory access was encountered"),
        "{}",
        crash.evidence
    );
    let only_wrapper = classify_text(
        "(APIServer pid=1) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}",
    );
    assert_eq!(only_wrapper.evidence, "exit status: 1");
}

#[test]
fn start_up_noise_alone_is_no_cause() {
    // A configuration dump, the memory banner of a good start and an optional import warning.
    let noise = "\
(EngineCore_DP0 pid=1) INFO [core.py:77] Initializing a V1 LLM engine (v0.18.0) with config: model='m', tokenizer_mode=auto, max_seq_len=8192
(EngineCore_DP0 pid=1) INFO [gpu_worker.py:391] Free memory on device (78.61/79.19 GiB) on startup. Desired GPU memory utilization is (0.9, 71.27 GiB).
WARNING [_custom_ops.py:20] Failed to import from vllm._C with ModuleNotFoundError(\"No module named 'vllm._C'\")
INFO [__init__.py:241] No platform detected, vLLM is running on UnspecifiedPlatform";
    assert_eq!(classify_text(noise).kind, FailureKind::Exited);
}

#[test]
fn a_silent_cpu_fallback_is_noticed() {
    let cpu = lines(
        "load_tensors: layer   0 assigned to device CPU, is_swa = 0\n\
         load_tensors: layer   1 assigned to device CPU, is_swa = 0",
    );
    assert!(cpu_fallback_warning(2, &cpu).is_some());
    assert!(cpu_fallback_warning(0, &cpu).is_none(), "CPU was asked for");
    let gpu = lines(
        "load_tensors: layer   0 assigned to device CPU, is_swa = 0\n\
         load_tensors: layer   1 assigned to device CUDA0, is_swa = 0",
    );
    assert!(cpu_fallback_warning(2, &gpu).is_none());
    assert!(
        cpu_fallback_warning(9, &lines("load_tensors: offloaded 0/33 layers to GPU")).is_some()
    );
    assert!(
        cpu_fallback_warning(9, &lines("load_tensors: offloaded 33/33 layers to GPU")).is_none()
    );
}

#[test]
fn unknown_failures_keep_the_exit_status() {
    let failure = classify(&["all fine".into()], "killed by signal 9");
    assert_eq!(failure.kind, FailureKind::Exited);
    assert_eq!(failure.evidence, "killed by signal 9");
    assert!(!failure.fix.is_empty());
}

#[test]
fn the_older_spellings_still_count() {
    assert_eq!(
        classify_text("ValueError: The model's max seq len (131072) is larger than the maximum number of tokens that can be stored in KV cache (34480). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.").kind,
        FailureKind::ContextTooLong { largest: Some(34480) }
    );
    assert_eq!(
        classify_text("RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx").kind,
        FailureKind::GpuNotUsable
    );
}
