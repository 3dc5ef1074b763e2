//! The restart rule: after a failure, give up or start again after a backoff.
//!
//! A start that fails for a known reason (out of memory, wrong flags, missing program)
//! before the engine was ever ready fails the same way again, so it is not retried. Any
//! other failure (an unexplained exit, a hang, a crash after serving) is restarted after
//! `base × 2^(n−1)` (capped), up to `max_restarts` times.

use std::time::Duration;

use super::status::SupervisionPolicy;
use crate::engine::classify::FailureKind;

/// What the supervisor does after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NextStep {
    /// Stop for good: the engine is `failed`.
    Fail,
    /// Back off this long, then start again.
    RestartAfter(Duration),
}

/// The step after a failure of `kind`; `was_ready` tells whether the engine had served,
/// `restarts` how many restarts came before this failure.
pub(super) fn next_step(
    kind: &FailureKind,
    was_ready: bool,
    restarts: u32,
    policy: &SupervisionPolicy,
) -> NextStep {
    // A start that fails for a known reason fails the same way again.
    let permanent = !was_ready && *kind != FailureKind::Exited;
    if permanent || restarts >= policy.max_restarts {
        NextStep::Fail
    } else {
        NextStep::RestartAfter(policy.backoff(restarts + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::EngineKind;

    fn secs(n: u64) -> NextStep {
        NextStep::RestartAfter(Duration::from_secs(n))
    }

    #[test]
    fn the_restart_table() {
        use FailureKind::*;
        let policy = SupervisionPolicy::for_engine(EngineKind::Vllm);
        assert_eq!(policy.max_restarts, 5);
        let table: &[(FailureKind, bool, u32, NextStep)] = &[
            // A known reason before the first ready: retrying cannot help.
            (OutOfMemory, false, 0, NextStep::Fail),
            (ExecutableMissing, false, 0, NextStep::Fail),
            (PortInUse, false, 3, NextStep::Fail),
            (
                ContextTooLong {
                    largest: Some(4096),
                },
                false,
                0,
                NextStep::Fail,
            ),
            // An unexplained exit or a start timeout before ready is retried.
            (Exited, false, 0, secs(10)),
            (Exited, false, 1, secs(20)),
            // Anything after the engine served is retried, whatever the reason.
            (OutOfMemory, true, 0, secs(10)),
            (Exited, true, 2, secs(40)),
            (Exited, true, 4, secs(160)),
            // Up to max_restarts, then it fails.
            (Exited, true, 5, NextStep::Fail),
            (Exited, false, 5, NextStep::Fail),
            (OutOfMemory, true, 6, NextStep::Fail),
        ];
        for (kind, was_ready, restarts, expected) in table {
            assert_eq!(
                next_step(kind, *was_ready, *restarts, &policy),
                *expected,
                "{kind:?}, was_ready {was_ready}, after {restarts} restarts"
            );
        }
    }

    #[test]
    fn the_backoff_is_capped() {
        let policy = SupervisionPolicy {
            max_restarts: 20,
            ..SupervisionPolicy::for_engine(EngineKind::LlamaCpp)
        };
        assert_eq!(
            next_step(&FailureKind::Exited, true, 10, &policy),
            secs(300)
        );
    }

    #[test]
    fn no_restarts_allowed_means_the_first_failure_is_final() {
        let policy = SupervisionPolicy {
            max_restarts: 0,
            ..SupervisionPolicy::for_engine(EngineKind::LlamaCpp)
        };
        assert_eq!(
            next_step(&FailureKind::Exited, true, 0, &policy),
            NextStep::Fail
        );
    }
}
