//! The one-step fix for a failed start, where the failure says exactly what would work:
//! the same start with one setting changed ("lower the context to 24,576 and retry").
//!
//! Only failures whose log names the numbers get one: vLLM's "estimated maximum model
//! length is N", the model's own `max_position_embeddings`, and the free memory it found
//! at start-up. Everything else keeps its one-line fix in words.

use serde::{Deserialize, Serialize};

use super::classify::{Failure, FailureKind};
use super::launch::LaunchRequest;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
}

impl RemedyChange {
    /// The launch request with this change made.
    pub fn apply(self, request: &mut LaunchRequest) {
        match self {
            Self::Context { tokens } => request.context = Some(tokens),
            Self::GpuMemoryShare { percent } => {
                request.gpu_memory_utilization = Some(f64::from(percent) / 100.0);
            }
        }
    }
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
