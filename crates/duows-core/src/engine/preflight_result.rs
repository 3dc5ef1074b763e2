//! What a start's pre-start checks say: each check's subject, outcome, message and fix, and
//! the whole list with its refusal. The checks themselves are in `preflight.rs`.

use serde::{Deserialize, Serialize};

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckItem {
    /// The engine program.
    Engine,
    /// The model's weights.
    Weights,
    /// Real GPUs, not a description.
    Hardware,
    /// The NVIDIA driver runs the vLLM build.
    Driver,
    /// The memory estimate: does the model fit at all.
    Fit,
    /// Free GPU memory now.
    FreeMemory,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Holds.
    Pass,
    /// Does not hold, but the start may go ahead (overridden, or not needed).
    Warn,
    /// Does not hold: the start is refused.
    Fail,
}

/// One check with its outcome, in words, and the next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PreflightCheck {
    /// What it is about.
    pub item: CheckItem,
    /// How it came out.
    pub outcome: CheckOutcome,
    /// What was found.
    pub message: String,
    /// What to do, when it does not hold.
    pub fix: Option<String>,
    /// Whether the user may start anyway (memory estimates only).
    pub overridable: bool,
}

/// Every check of one start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct Preflight {
    /// The checks, in the order a person fixes them.
    pub checks: Vec<PreflightCheck>,
}

impl Preflight {
    /// The checks that refuse the start.
    pub fn failures(&self) -> impl Iterator<Item = &PreflightCheck> {
        self.checks
            .iter()
            .filter(|c| c.outcome == CheckOutcome::Fail)
    }

    /// Whether the start may go ahead.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The failures in one message: "cannot start: A (fix); B (fix)".
    pub fn refusal(&self) -> Option<String> {
        let reasons: Vec<String> = self
            .failures()
            .map(|c| match &c.fix {
                Some(fix) => format!("{} ({fix})", c.message),
                None => c.message.clone(),
            })
            .collect();
        (!reasons.is_empty()).then(|| format!("cannot start the engine: {}", reasons.join("; ")))
    }
}
