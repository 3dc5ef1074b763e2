//! A fit's input checked before anything is computed: each error names the field at fault
//! and, where there is one, the values that would do.

use crate::catalog::Architecture;

use super::{pipeline, placement, FitError, FitRequest, MAX_NODES};

pub(super) fn check<'a>(
    request: &FitRequest<'a>,
    nodes: u32,
) -> Result<&'a Architecture, FitError> {
    let arch = request.model.arch.as_ref().ok_or_else(|| FitError {
        field: "model",
        reason: format!(
            "{} is a cloud model: it cannot run on this machine",
            request.model.name
        ),
    })?;
    if let Some(context) = request.context {
        if !(16..=arch.context).contains(&context) {
            return Err(FitError {
                field: "context",
                reason: format!(
                    "must be between 16 and {} ({}'s native context)",
                    arch.context, request.model.name
                ),
            });
        }
    }
    if let Some(gmu) = request.gpu_memory_utilization {
        if !(gmu.is_finite() && gmu > 0.0 && gmu <= 1.0) {
            return Err(FitError {
                field: "gpu_memory_utilization",
                reason: "must be above 0 and at most 1".into(),
            });
        }
    }
    if let Some(tp) = request.tensor_parallel_size {
        let valid = placement::valid_tp_sizes(arch, request.slots.len() as u32);
        if !valid.contains(&tp) {
            return Err(FitError {
                field: "tensor_parallel_size",
                reason: format!(
                    "{tp} is not possible here: it must divide {}'s {} attention heads and its padded vocabulary, and be at most the number of GPUs ({}); possible: {:?}",
                    request.model.name,
                    arch.heads,
                    request.slots.len(),
                    valid
                ),
            });
        }
    }
    if let (Some(tp), Some(most)) = (
        request.tensor_parallel_size,
        request.variant.max_tensor_parallel_size,
    ) {
        if tp > most {
            return Err(FitError {
                field: "tensor_parallel_size",
                reason: format!(
                    "{tp} is not possible for the {} checkpoint: its quantization blocks allow at most {most} GPUs",
                    request.variant.name
                ),
            });
        }
    }
    if !(1..=MAX_NODES).contains(&nodes) {
        return Err(FitError {
            field: "nodes",
            reason: format!("must be between 1 and {MAX_NODES}"),
        });
    }
    if let Some(partition) = &request.constants.layer_partition {
        pipeline::check_partition(partition, arch.layers).map_err(|reason| FitError {
            field: "layer_partition",
            reason,
        })?;
        if partition.len() as u32 > nodes {
            return Err(FitError {
                field: "layer_partition",
                reason: format!(
                    "names {} pipeline stages, one per node, but the plan has {nodes} node{}: give --nodes {} or fewer stages",
                    partition.len(),
                    if nodes == 1 { "" } else { "s" },
                    partition.len()
                ),
            });
        }
    }
    if !(1..=4096).contains(&request.concurrency) {
        return Err(FitError {
            field: "concurrency",
            reason: "must be between 1 and 4096".into(),
        });
    }
    request
        .constants
        .validate()
        .map_err(|(field, reason)| FitError {
            field,
            reason: reason.into(),
        })?;
    Ok(arch)
}
