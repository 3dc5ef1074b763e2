//! The one-step fix for a failed start, where the failure says exactly what would work:
//! the same start with one setting changed ("lower the context to 24,576 and retry").
//!
//! Failures whose log names the numbers get one: vLLM's "estimated maximum model length is
//! N", the model's own `max_position_embeddings`, and the free memory it found at start-up.
//! A start that ran out of memory for its weights gets the catalog's smaller checkpoint of
//! the same model that the fit says fits ("use the AWQ checkpoint"), chosen by the caller,
//! who knows the machine ([`smaller_checkpoint`]). Everything else keeps its fix in words.

use serde::{Deserialize, Serialize};

use super::classify::{Failure, FailureKind};
use super::launch::LaunchRequest;
use crate::catalog::{Model, Variant};
use crate::fit::words::thousands;

/// A change that makes a failed start likely to work, with the words for its button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Remedy {
    /// What the button says, e.g. "Lower the context to 24,576 tokens and retry".
    pub label: String,
    /// The one setting it changes.
    pub change: RemedyChange,
}

/// The setting a [`Remedy`] changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "set", rename_all = "snake_case")]
pub enum RemedyChange {
    /// The context length, in tokens.
    Context {
        /// The new context length.
        tokens: u32,
    },
    /// vLLM's `--gpu-memory-utilization`, in whole percent.
    GpuMemoryShare {
        /// The new share of each GPU's memory.
        percent: u32,
    },
    /// Another checkpoint of the same catalog model, with smaller weights.
    Checkpoint {
        /// The catalog's name of the checkpoint (`awq-int4`, `fp8`, …).
        variant: String,
        /// Its Hugging Face repository, where its weights come from.
        repo: String,
        /// Bytes still to download before it can start (0 when complete on disk).
        download_bytes: u64,
    },
}

impl RemedyChange {
    /// The launch request with this change made.
    pub fn apply(&self, request: &mut LaunchRequest) {
        match self {
            Self::Context { tokens } => request.context = Some(*tokens),
            Self::GpuMemoryShare { percent } => {
                request.gpu_memory_utilization = Some(f64::from(*percent) / 100.0);
            }
            Self::Checkpoint { variant, .. } => {
                request.variant = Some(variant.clone());
                // The folder named before held the other checkpoint.
                request.model_dir = None;
            }
        }
    }
}

/// Whether a failure is one a checkpoint with smaller weights can cure: out of memory, or
/// weights that leave no room for the KV cache.
pub fn wants_smaller_weights(failure: &Failure) -> bool {
    matches!(
        failure.kind,
        FailureKind::OutOfMemory | FailureKind::NoCacheMemory
    )
}

/// The smaller checkpoint to offer after a start of `current` ran out of memory: of
/// `model`'s checkpoints with at least a tenth less weight, the largest (closest to the
/// original) that `fits` says fits this machine with the same start's parameters.
/// `download_bytes` says what each still needs from the hub.
pub fn smaller_checkpoint(
    model: &Model,
    current: &Variant,
    fits: impl Fn(&Variant) -> bool,
    download_bytes: impl Fn(&Variant) -> u64,
) -> Option<Remedy> {
    let chosen = model
        .variants
        .iter()
        .filter(|v| v.name != current.name && v.weight_bytes * 10 <= current.weight_bytes * 9)
        .filter(|v| fits(v))
        // The first of equally large ones: the catalog lists the better-supported first.
        .min_by_key(|v| std::cmp::Reverse(v.weight_bytes))?;
    let missing = download_bytes(chosen);
    let on_disk = if missing == 0 {
        "on disk".to_owned()
    } else {
        // Downloads are counted in GB everywhere, as the hub and the download panel do.
        format!("{:.1} GB to download", missing as f64 / 1e9)
    };
    Some(Remedy {
        label: format!(
            "Use the {} checkpoint ({on_disk}) and retry",
            chosen.quantization
        ),
        change: RemedyChange::Checkpoint {
            variant: chosen.name.clone(),
            repo: chosen.repo.clone(),
            download_bytes: missing,
        },
    })
}

/// The shortest context worth offering: below it the model is of little use to Duo.
const SHORTEST_CONTEXT: u32 = 2_048;
/// The smallest memory share worth offering.
const SMALLEST_SHARE: u32 = 10;

/// The remedy for `failure` of an engine started with `args`, if its log names one.
pub fn remedy_for(failure: &Failure, args: &[String]) -> Option<Remedy> {
    let context = context_in(args);
    match failure.kind {
        FailureKind::ContextTooLong { largest } => {
            let tokens = match largest {
                Some(largest) => round_context(largest),
                None => round_context(context? / 2),
            };
            (tokens >= SHORTEST_CONTEXT && context.is_none_or(|c| tokens < c)).then(|| Remedy {
                label: format!(
                    "Lower the context to {} tokens and retry",
                    thousands(tokens)
                ),
                change: RemedyChange::Context { tokens },
            })
        }
        FailureKind::ContextAboveModelLimit {
            largest: Some(limit),
        } => Some(Remedy {
            label: format!(
                "Use the model's own limit of {} tokens and retry",
                thousands(limit)
            ),
            change: RemedyChange::Context { tokens: limit },
        }),
        FailureKind::FreeMemoryBelowUtilization => {
            let (free, total) = free_memory_in(&failure.evidence)?;
            // Two points below what is free: other processes' memory moves a little.
            let percent = ((free / total * 100.0).floor() as u32).checked_sub(2)?;
            (percent >= SMALLEST_SHARE).then(|| Remedy {
                label: format!(
                    "Use {percent} % of the GPU's memory ({free:.1} GiB of {total:.1} GiB is free) and retry"
                ),
                change: RemedyChange::GpuMemoryShare { percent },
            })
        }
        _ => None,
    }
}

/// The context the engine was started with (`--max-model-len`, or llama.cpp's `--n_ctx`).
fn context_in(args: &[String]) -> Option<u32> {
    args.windows(2)
        .find(|pair| pair[0] == "--max-model-len" || pair[0] == "--n_ctx")
        .and_then(|pair| pair[1].parse().ok())
}

/// A context rounded down to a whole number of KiB-tokens (1,024), as people write them.
fn round_context(tokens: u32) -> u32 {
    if tokens >= 2 * 1024 {
        tokens / 1024 * 1024
    } else {
        tokens
    }
}

/// `(free, total)` GiB from vLLM's "Free memory on device cuda:0 (10.52/23.57 GiB)".
fn free_memory_in(evidence: &str) -> Option<(f64, f64)> {
    let start = evidence.find("Free memory on device")?;
    let rest = &evidence[start..];
    let open = rest.find('(')?;
    let close = rest[open..].find(" GiB)")? + open;
    let (free, total) = rest[open + 1..close].split_once('/')?;
    let (free, total): (f64, f64) = (free.trim().parse().ok()?, total.trim().parse().ok()?);
    (total > 0.0 && free >= 0.0).then_some((free, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::classify::classify;

    fn classify_text(text: &str) -> Failure {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        classify(&lines, "exit status: 1")
    }

    fn args(context: u32) -> Vec<String> {
        ["serve", "m", "--max-model-len", &context.to_string()]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_context_too_long_for_the_cache_is_lowered_to_what_vllm_says_fits() {
        let failure = classify_text(include_str!("classify/fixtures/vllm-context-too-long.log"));
        let remedy = remedy_for(&failure, &args(131_072)).expect("a remedy");
        assert_eq!(remedy.change, RemedyChange::Context { tokens: 34_816 });
        assert_eq!(remedy.label, "Lower the context to 34,816 tokens and retry");
        let mut request = LaunchRequest::default();
        remedy.change.apply(&mut request);
        assert_eq!(request.context, Some(34_816));
    }

    #[test]
    fn without_vllms_figure_the_context_is_halved_but_never_below_a_useful_length() {
        let failure = Failure {
            kind: FailureKind::ContextTooLong { largest: None },
            evidence: String::new(),
            fix: String::new(),
        };
        let remedy = remedy_for(&failure, &args(32_768)).expect("a remedy");
        assert_eq!(remedy.change, RemedyChange::Context { tokens: 16_384 });
        assert_eq!(remedy_for(&failure, &args(3_000)), None);
        assert_eq!(
            remedy_for(&failure, &["serve".into()]),
            None,
            "no context known"
        );
    }

    #[test]
    fn a_context_above_the_models_limit_takes_the_limit() {
        let failure = classify_text(include_str!(
            "classify/fixtures/vllm-context-above-model.log"
        ));
        let remedy = remedy_for(&failure, &args(262_144)).expect("a remedy");
        assert_eq!(remedy.change, RemedyChange::Context { tokens: 32_768 });
    }

    #[test]
    fn too_little_free_memory_lowers_the_share_to_what_is_free() {
        let failure = classify_text(include_str!("classify/fixtures/vllm-free-memory.log"));
        let remedy = remedy_for(&failure, &args(32_768)).expect("a remedy");
        // 10.52 of 23.57 GiB free is 44.6 %: two points under, rounded down.
        assert_eq!(remedy.change, RemedyChange::GpuMemoryShare { percent: 42 });
        assert!(
            remedy.label.contains("10.5 GiB of 23.6 GiB is free"),
            "{}",
            remedy.label
        );
        let mut request = LaunchRequest::default();
        remedy.change.apply(&mut request);
        assert_eq!(request.gpu_memory_utilization, Some(0.42));
    }

    #[test]
    fn failures_without_numbers_get_no_remedy() {
        for fixture in [
            include_str!("classify/fixtures/vllm-weights-oom.log"),
            include_str!("classify/fixtures/vllm-gated-repo.log"),
            include_str!("classify/fixtures/vllm-unknown-crash.log"),
        ] {
            assert_eq!(remedy_for(&classify_text(fixture), &args(32_768)), None);
        }
    }

    fn catalog_model(id: &str) -> Model {
        let catalog = crate::catalog::Catalog::builtin().expect("the catalog");
        catalog.model(id).expect("in the catalog").clone()
    }

    #[test]
    fn out_of_memory_offers_the_largest_smaller_checkpoint_that_fits() {
        let model = catalog_model("llama-3.1-70b-instruct");
        let bf16 = model.variant(Some("bf16")).expect("bf16").clone();
        // FP8 (72.7 GB) does not fit, AWQ and GPTQ (39.8 GB) do: the first of the equal
        // largest is offered, with its download.
        let remedy = smaller_checkpoint(
            &model,
            &bf16,
            |v| v.weight_bytes < 50_000_000_000,
            |v| v.weight_bytes,
        )
        .expect("a remedy");
        assert_eq!(
            remedy.change,
            RemedyChange::Checkpoint {
                variant: "awq-int4".into(),
                repo: "hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4".into(),
                download_bytes: 39_800_000_000,
            }
        );
        assert_eq!(
            remedy.label,
            "Use the AWQ 4-bit checkpoint (39.8 GB to download) and retry"
        );
        let mut request = LaunchRequest {
            model_dir: Some("/models/llama-bf16".into()),
            ..LaunchRequest::default()
        };
        remedy.change.apply(&mut request);
        assert_eq!(request.variant.as_deref(), Some("awq-int4"));
        assert_eq!(
            request.model_dir, None,
            "the folder held the other checkpoint"
        );
        // Where FP8 fits too, it is the one offered (closer to the original); on disk, it
        // says so.
        let fp8 = smaller_checkpoint(&model, &bf16, |_| true, |_| 0).expect("a remedy");
        assert_eq!(fp8.label, "Use the FP8 checkpoint (on disk) and retry");
    }

    #[test]
    fn no_smaller_checkpoint_that_fits_offers_none() {
        let model = catalog_model("llama-3.1-70b-instruct");
        let awq = model.variant(Some("awq-int4")).expect("awq").clone();
        // GPTQ is the same size as AWQ: not smaller, so not offered.
        assert_eq!(smaller_checkpoint(&model, &awq, |_| true, |_| 0), None);
        let bf16 = model.variant(Some("bf16")).expect("bf16").clone();
        assert_eq!(smaller_checkpoint(&model, &bf16, |_| false, |_| 0), None);
        let one = catalog_model("llama-3.1-8b-instruct");
        let only = one.variants[0].clone();
        assert_eq!(smaller_checkpoint(&one, &only, |_| true, |_| 0), None);
    }

    #[test]
    fn only_memory_failures_ask_for_smaller_weights() {
        let oom = classify_text(include_str!("classify/fixtures/vllm-weights-oom.log"));
        assert!(wants_smaller_weights(&oom), "{:?}", oom.kind);
        let gated = classify_text(include_str!("classify/fixtures/vllm-gated-repo.log"));
        assert!(!wants_smaller_weights(&gated));
    }

    #[test]
    fn numbers_read_from_the_log() {
        assert_eq!(
            free_memory_in("Free memory on device cuda:0 (10.52/23.57 GiB) on startup"),
            Some((10.52, 23.57))
        );
        assert_eq!(free_memory_in("Free memory on device cuda:0 (n/a)"), None);
        assert_eq!(thousands(24_576), "24,576");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_048_576), "1,048,576");
        assert_eq!(round_context(35_808), 34_816);
    }
}
