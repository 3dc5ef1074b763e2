//! What went wrong with an engine, from the lines it printed, with a one-line fix.

use serde::{Deserialize, Serialize};

/// A classified engine failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureKind {
    /// CUDA ran out of memory.
    OutOfMemory,
    /// `--max-model-len` is longer than the KV cache can hold.
    ContextTooLong {
        /// The longest context vLLM says would fit, when it says.
        largest: Option<u32>,
    },
    /// Free GPU memory is below `total × gpu_memory_utilization`.
    FreeMemoryBelowUtilization,
    /// No memory left for the KV cache at all.
    NoCacheMemory,
    /// This engine version does not know the model's architecture.
    UnsupportedArchitecture,
    /// The tokenizer could not be loaded (often a Mistral model without `--tokenizer_mode mistral`).
    WrongTokenizerMode,
    /// The port is taken.
    PortInUse,
    /// The engine program is not installed.
    ExecutableMissing,
    /// NVML sees the GPU but the engine cannot use it.
    GpuNotUsable,
    /// The model file is missing or damaged.
    ModelFileUnreadable,
    /// None of the above; see the log.
    Exited,
}

/// A failure with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What it is.
    #[serde(flatten)]
    pub kind: FailureKind,
    /// The line that told, or the exit status.
    pub evidence: String,
    /// What to do next, in one line.
    pub fix: String,
}

/// Log fragments that identify a failure, and the failure they mean (given the line).
type Rule = (&'static [&'static str], fn(&str) -> FailureKind);

/// For llama.cpp asked to offload `gpu_layers` layers: a warning when its log shows every
/// layer on the CPU. A build without CUDA, or a GPU library that failed to load, makes
/// llama.cpp fall back to the CPU silently, so this is checked once it is ready.
pub fn cpu_fallback_warning(gpu_layers: u32, lines: &[String]) -> Option<String> {
    if gpu_layers == 0 {
        return None;
    }
    let offloaded_none = lines.iter().any(|l| l.contains("offloaded 0/"));
    let devices: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split("assigned to device ").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or(""))
        .collect();
    let all_on_cpu = !devices.is_empty() && devices.iter().all(|d| *d == "CPU");
    (offloaded_none || all_on_cpu).then(|| {
        format!(
            "llama.cpp runs on the CPU: {gpu_layers} layers were to go to the GPU, but its log \
             shows none there (a build without CUDA, or the GPU library did not load). \
             Reinstall it with CUDA (CMAKE_ARGS=-DGGML_CUDA=on) or start it with 0 GPU layers."
        )
    })
}

/// Classifies the last lines an engine printed (oldest first) and its exit description.
pub fn classify(lines: &[String], exit: &str) -> Failure {
    // The most specific causes first: several may appear in one traceback.
    let rules: [Rule; 10] = [
        (
            &[
                "Free memory on device",
                "less than desired GPU memory utilization",
            ],
            |_| FailureKind::FreeMemoryBelowUtilization,
        ),
        (
            &[
                "estimated maximum model length is",
                "larger than the maximum number of tokens that can be stored in KV cache",
                "max seq len",
            ],
            |line| FailureKind::ContextTooLong {
                largest: number_after(line, "estimated maximum model length is"),
            },
        ),
        (&["No available memory for the cache blocks"], |_| {
            FailureKind::NoCacheMemory
        }),
        (
            &["CUDA out of memory", "OutOfMemoryError", "out of memory"],
            |_| FailureKind::OutOfMemory,
        ),
        (
            &[
                "No CUDA GPUs are available",
                "Found no NVIDIA driver",
                "CUDA driver version is insufficient",
                "no kernel image is available",
                "cudaErrorNoDevice",
                "NVIDIA driver on your system is too old",
            ],
            |_| FailureKind::GpuNotUsable,
        ),
        (
            &[
                "are not supported for now",
                "is not supported for now",
                "Unrecognized model",
                "model type",
                "does not recognize this architecture",
            ],
            |_| FailureKind::UnsupportedArchitecture,
        ),
        (
            &[
                "tokenizer_mode",
                "MistralTokenizer",
                "Can't load tokenizer",
                "tokenizer.model.v3",
                "Error loading tokenizer",
            ],
            |_| FailureKind::WrongTokenizerMode,
        ),
        (
            &[
                "Address already in use",
                "address already in use",
                "Errno 98",
            ],
            |_| FailureKind::PortInUse,
        ),
        (
            &[
                "Model path does not exist",
                "Failed to load model from file",
                "error loading model",
                "failed to load model",
                "No such file or directory",
                "invalid magic",
            ],
            |_| FailureKind::ModelFileUnreadable,
        ),
        (&["command not found", "No module named"], |_| {
            FailureKind::ExecutableMissing
        }),
    ];
    for (needles, kind) in rules {
        if let Some(line) = lines
            .iter()
            .rev()
            .find(|l| needles.iter().any(|n| l.contains(n)))
        {
            let kind = kind(line);
            return Failure {
                fix: fix_for(&kind),
                kind,
                evidence: line.trim().chars().take(400).collect(),
            };
        }
    }
    Failure {
        kind: FailureKind::Exited,
        evidence: exit.to_owned(),
        fix: fix_for(&FailureKind::Exited),
    }
}

/// The one-line fix for a kind.
pub fn fix_for(kind: &FailureKind) -> String {
    match kind {
        FailureKind::OutOfMemory => "CUDA ran out of memory: lower --max-model-len or --max-num-seqs, or use a quantized checkpoint or more GPUs.".into(),
        FailureKind::ContextTooLong { largest: Some(n) } => format!("The context is longer than the KV cache holds: start with --max-model-len {n} (vLLM's own estimate)."),
        FailureKind::ContextTooLong { largest: None } => "The context is longer than the KV cache holds: lower --max-model-len.".into(),
        FailureKind::FreeMemoryBelowUtilization => "Another program holds GPU memory: stop it (see the GPU's processes), or lower --gpu-memory-utilization.".into(),
        FailureKind::NoCacheMemory => "The weights leave no room for the KV cache: use a quantized checkpoint, more GPUs, or a higher --gpu-memory-utilization.".into(),
        FailureKind::UnsupportedArchitecture => "This engine version does not know the model: install the catalog's minimum vLLM version or newer.".into(),
        FailureKind::WrongTokenizerMode => "The tokenizer did not load: Mistral models need --tokenizer_mode mistral (and Mixtral a tokenizer.model.v3 copy).".into(),
        FailureKind::PortInUse => "The port is taken by another program: start again (a new free port is chosen) or stop that program.".into(),
        FailureKind::ExecutableMissing => "The engine is not installed: install it first (vLLM, or llama.cpp's server).".into(),
        FailureKind::GpuNotUsable => "The driver sees the GPU but the engine cannot use it: check the driver against the engine's CUDA build, CUDA_VISIBLE_DEVICES, and the container's GPU access.".into(),
        FailureKind::ModelFileUnreadable => "The model file is missing or damaged: download it again or pick another file.".into(),
        FailureKind::Exited => "The engine stopped: read the end of its log.".into(),
    }
}

fn number_after(line: &str, marker: &str) -> Option<u32> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_cpu_fallback_is_noticed() {
        let lines = |text: &[&str]| text.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
        let cpu = lines(&[
            "load_tensors: layer   0 assigned to device CPU, is_swa = 0",
            "load_tensors: layer   1 assigned to device CPU, is_swa = 0",
        ]);
        assert!(cpu_fallback_warning(2, &cpu).is_some());
        assert!(cpu_fallback_warning(0, &cpu).is_none(), "CPU was asked for");
        let gpu = lines(&[
            "load_tensors: layer   0 assigned to device CPU, is_swa = 0",
            "load_tensors: layer   1 assigned to device CUDA0, is_swa = 0",
        ]);
        assert!(cpu_fallback_warning(2, &gpu).is_none());
        assert!(
            cpu_fallback_warning(9, &lines(&["load_tensors: offloaded 0/33 layers to GPU"]))
                .is_some()
        );
        assert!(
            cpu_fallback_warning(9, &lines(&["load_tensors: offloaded 33/33 layers to GPU"]))
                .is_none()
        );
    }

    fn kind_of(line: &str) -> FailureKind {
        classify(&["INFO starting".into(), line.into()], "exit code 1").kind
    }

    #[test]
    fn vllm_start_up_errors() {
        assert_eq!(
            kind_of("ValueError: To serve at least one request with the models's max seq len (131072), (4.50 GiB KV cache is needed, which is larger than the available KV cache memory (1.20 GiB). Based on the available memory, the estimated maximum model length is 34928. Try increasing `gpu_memory_utilization` or decreasing `max_model_len`"),
            FailureKind::ContextTooLong { largest: Some(34928) }
        );
        assert_eq!(
            kind_of("ValueError: Free memory on device (20.1/23.6 GiB) on startup is less than desired GPU memory utilization (0.95, 22.4 GiB)."),
            FailureKind::FreeMemoryBelowUtilization
        );
        assert_eq!(
            kind_of("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"),
            FailureKind::OutOfMemory
        );
        assert_eq!(
            kind_of("ValueError: No available memory for the cache blocks."),
            FailureKind::NoCacheMemory
        );
        assert_eq!(
            kind_of("ValueError: Model architectures ['Foo'] are not supported for now."),
            FailureKind::UnsupportedArchitecture
        );
        assert_eq!(
            kind_of("RuntimeError: No CUDA GPUs are available"),
            FailureKind::GpuNotUsable
        );
        assert_eq!(
            kind_of("OSError: [Errno 98] Address already in use"),
            FailureKind::PortInUse
        );
        assert_eq!(
            kind_of("OSError: Can't load tokenizer for 'x'"),
            FailureKind::WrongTokenizerMode
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
    fn the_latest_line_wins() {
        let lines = vec!["CUDA out of memory".to_owned(), "ValueError: Free memory on device (1/2 GiB) on startup is less than desired GPU memory utilization".to_owned()];
        assert_eq!(
            classify(&lines, "").kind,
            FailureKind::FreeMemoryBelowUtilization
        );
    }
}
