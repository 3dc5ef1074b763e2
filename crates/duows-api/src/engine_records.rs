//! What the API keeps about each engine it started, beside the supervisor's status: the
//! start's parameters (for a retry), the smaller checkpoint to offer if it runs out of
//! memory, and a start that waits for a download. Only the wait still on may make that
//! start; a stop, a removal or another start ends it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use duows_core::engine::{EngineState, Remedy, Supervisor};

use crate::calls::EngineParams;
use crate::ApiState;

/// What the API keeps about an engine it started.
#[derive(Debug, Clone, Default)]
pub(crate) struct EngineRecord {
    /// The parameters of its latest start, for a retry.
    pub params: EngineParams,
    /// The smaller checkpoint to offer if that start runs out of memory (chosen at the
    /// start, from the fit on this machine).
    pub smaller_checkpoint: Option<Remedy>,
    /// A start with other parameters that waits for a download first.
    pub pending: Option<PendingStart>,
    /// What went wrong on the way to that start (the download stopped, the start was
    /// refused), shown as the fix of the failure it followed.
    pub problem: Option<Problem>,
}

/// A start that waits for a download: only the waiter holding `id` may make it.
#[derive(Debug, Clone)]
pub(crate) struct PendingStart {
    /// Which wait this is.
    pub id: u64,
    /// The download job.
    pub job: String,
    /// Whether this wait started the job (not joined one already running): only then does
    /// ending the wait cancel it.
    pub owns_job: bool,
}

/// Words for the failure an engine is in, said after it.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// The failure they belong to (its status's `since_ms`): a later failure has its own.
    pub failure_since_ms: u64,
    /// The words.
    pub text: String,
}

impl ApiState {
    /// Every engine's record, locked: held across a check and a start that must not be
    /// split (never across an await). Taken before the supervisor's own lock, never after.
    pub(crate) fn engine_records(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, EngineRecord>> {
        self.inner
            .engine_records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The parameters `name` was started with.
    pub(crate) fn engine_params(&self, name: &str) -> Option<EngineParams> {
        self.engine_records().get(name).map(|r| r.params.clone())
    }

    /// Everything kept about engine `name`.
    pub(crate) fn engine_record(&self, name: &str) -> Option<EngineRecord> {
        self.engine_records().get(name).cloned()
    }

    /// Makes `name` wait for download `job` before it starts (with the parameters its
    /// waiter holds); the wait's id. `None` when the engine is unknown, runs (checked with
    /// `supervisor` under the records' lock), or already waits.
    pub(crate) fn begin_pending(
        &self,
        supervisor: &Supervisor,
        name: &str,
        job: String,
        owns_job: bool,
    ) -> Option<u64> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let mut records = self.engine_records();
        let record = records.get_mut(name).filter(|r| r.pending.is_none())?;
        let ended = supervisor.statuses().iter().any(|s| {
            s.name == name && matches!(s.state, EngineState::Failed | EngineState::Stopped)
        });
        if !ended {
            return None;
        }
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        record.pending = Some(PendingStart { id, job, owns_job });
        record.problem = None;
        Some(id)
    }

    /// Whether wait `id` of `name` is still on.
    pub(crate) fn pending_is(&self, name: &str, id: u64) -> bool {
        self.engine_records()
            .get(name)
            .and_then(|r| r.pending.as_ref())
            .is_some_and(|p| p.id == id)
    }

    /// Ends wait `id` of `name`, if it is still on, with `problem` for the failure the
    /// engine is in.
    pub(crate) fn end_pending(&self, name: &str, id: u64, problem: Option<Problem>) {
        if let Some(record) = self.engine_records().get_mut(name) {
            if record.pending.as_ref().is_some_and(|p| p.id == id) {
                record.pending = None;
                record.problem = problem;
            }
        }
    }

    /// Ends whatever wait `name` is in (a stop); the wait that was on.
    pub(crate) fn take_pending(&self, name: &str) -> Option<PendingStart> {
        self.engine_records().get_mut(name)?.pending.take()
    }

    /// Forgets a removed engine; the wait it was in, if any (in the same step, so no wait
    /// begun meanwhile is lost).
    pub(crate) fn forget_engine(&self, name: &str) -> Option<PendingStart> {
        self.engine_records().remove(name)?.pending
    }
}
