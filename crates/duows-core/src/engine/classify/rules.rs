//! The log fragments that name an engine failure, most specific cause first.
//!
//! The fragments are the engines' own wording: vLLM (V1 engine, 0.18 and later, with the
//! older spellings it still prints in places), Hugging Face's hub and transformers errors
//! that vLLM passes through, llama.cpp's `llama-server`, and llama-cpp-python's server.
//!
//! Invariant: a rule lower in the table never hides a cause higher up. That is why the
//! wrappers vLLM prints after the real error ("EngineCore failed to start.", "Engine core
//! initialization failed. See root cause above.", "Invalid repository ID or local
//! directory specified") are either absent or at the bottom, and why no fragment is so
//! general that it matches the noise of a normal start-up: the configuration dump
//! (`tokenizer_mode=auto`), the memory banner ("Free memory on device … Desired GPU memory
//! utilization is …"), an import warning for an optional module, or a system error text
//! such as "No such file or directory" (which a missing `libcuda.so.1` prints too).

use super::FailureKind;

/// Log fragments that identify a failure, and the failure they mean (given the line).
pub(super) type Rule = (&'static [&'static str], fn(&str) -> FailureKind);

/// The rules, in the order they are tried; each one looks at every line, newest first.
pub(super) const RULES: &[Rule] = &[
    // vLLM's own memory checks name the cause and the numbers.
    (&["less than desired GPU memory utilization"], |_| {
        FailureKind::FreeMemoryBelowUtilization
    }),
    (
        &[
            "stimated maximum model length is",
            "larger than the maximum number of tokens that can be stored in KV cache",
            "max seq len (",
        ],
        |line| FailureKind::ContextTooLong {
            largest: number_after(line, "stimated maximum model length is").or_else(|| {
                number_after(
                    line,
                    "maximum number of tokens that can be stored in KV cache (",
                )
            }),
        },
    ),
    (&["is greater than the derived max_model_len"], |line| {
        FailureKind::ContextAboveModelLimit {
            largest: number_after(line, "max_position_embeddings="),
        }
    }),
    (&["No available memory for the cache blocks"], |_| {
        FailureKind::NoCacheMemory
    }),
    (
        &[
            "CUDA out of memory",
            "OutOfMemoryError",
            "CUDA error: out of memory",
            "cudaMalloc failed: out of memory",
            "failed to allocate CUDA",
            "unable to allocate CUDA",
        ],
        |_| FailureKind::OutOfMemory,
    ),
    // No usable NVIDIA GPU: the driver library is absent, no device, or a mismatch.
    (
        &[
            "Failed to infer device type",
            "Device string must not be empty",
            "libcuda.so.1: cannot open shared object file",
            "No CUDA GPUs are available",
            "Found no NVIDIA driver on your system",
            "CUDA driver version is insufficient",
            "NVIDIA driver on your system is too old",
            "no kernel image is available",
            "cudaErrorNoDevice",
            "CUDA-capable device(s) is/are busy or unavailable",
        ],
        |_| FailureKind::GpuNotUsable,
    ),
    // Hugging Face: the repository is gated, private or does not exist.
    (
        &[
            "Cannot access gated repo",
            "GatedRepoError",
            "You are trying to access a gated repo",
        ],
        |_| FailureKind::ModelAccessDenied,
    ),
    (
        &[
            "Repository Not Found for url",
            "is not a local folder and is not a valid model identifier",
        ],
        |_| FailureKind::ModelNotFound,
    ),
    (
        &[
            "are not supported for now",
            "is not supported for now",
            "does not recognize this architecture",
            "unknown model architecture",
            "Unrecognized model in",
        ],
        |_| FailureKind::UnsupportedArchitecture,
    ),
    (
        &[
            "Can't load tokenizer",
            "data did not match any variant of untagged enum",
            "tokenizer.model.v3",
            "MistralTokenizer",
        ],
        |_| FailureKind::WrongTokenizerMode,
    ),
    (
        &[
            "Address already in use",
            "address already in use",
            "Errno 98",
            "couldn't bind HTTP server socket",
        ],
        |_| FailureKind::PortInUse,
    ),
    (
        &[
            "does not appear to have a file named",
            "Model path does not exist",
            "Failed to load model from file",
            "gguf_init_from_file",
            "error loading model",
            "failed to load model",
            "exiting due to model loading error",
            "invalid magic",
        ],
        |_| FailureKind::ModelFileUnreadable,
    ),
    // vLLM's wrapper around any failure to read the model's configuration.
    (
        &["Invalid repository ID or local directory specified"],
        |_| FailureKind::ModelNotFound,
    ),
    (
        &[
            "command not found",
            "No module named 'vllm'",
            "No module named vllm",
            "No module named 'llama_cpp'",
            "No module named llama_cpp",
        ],
        |_| FailureKind::ExecutableMissing,
    ),
    // llama.cpp warns and falls back to the CPU; only a cause when nothing else shows.
    (
        &[
            "ggml_cuda_init: failed to initialize CUDA",
            "no usable GPU found",
        ],
        |_| FailureKind::GpuNotUsable,
    ),
];

/// Lines that only say that a failure happened somewhere above them.
pub(super) const WRAPPERS: &[&str] = &[
    "Engine core initialization failed",
    "EngineCore failed to start",
    "EngineCore encountered a fatal error",
];

/// The first whole number after `marker` in `line`.
fn number_after(line: &str, marker: &str) -> Option<u32> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
