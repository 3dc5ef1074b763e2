//! The nearest ways to make a model fit that does not: a shorter context, a smaller
//! checkpoint, more GPUs of the same kind, one bigger GPU, or more nodes like this one,
//! each with the fit it would get.

use crate::catalog::Architecture;
use crate::hardware::KNOWN_GPUS;

use super::attempt::{planned_vllm, Attempt, MAX_NUM_SEQS};
use super::kv_layout::KvLayout;
use super::memory::{self, MemoryPerGpu, Runtime, GIB};
use super::placement::{self, Slot};
use super::vllm;
use super::words::{gib, plural, thousands};
use super::{fit_inner, FitRequest, FitResult, Suggestion, MIN_USEFUL_CONTEXT};

/// The nearest ways to make it fit, nearest first.
pub(super) fn suggestions(
    request: &FitRequest<'_>,
    arch: &Architecture,
    result: &FitResult,
    desired: u32,
    nodes: u32,
    attempt: Option<&Attempt>,
) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let wanted = request.concurrency.max(1);
    if let Some(mem) = result.memory.filter(|m| m.kv_cache_bytes > 0) {
        let tp = result.tensor_parallel_size;
        // Across nodes the limiting stage's cache (its own layers) decides.
        let layout = match attempt.filter(|a| a.pp > 1) {
            Some(attempt) => attempt.layout,
            None => KvLayout::new(
                arch,
                tp,
                request.constants.kv_element_bytes(),
                mem.max_num_batched_tokens,
            ),
        };
        let each = layout.largest_context(mem.kv_cache_bytes as f64 / f64::from(wanted));
        if each >= MIN_USEFUL_CONTEXT.min(desired) && each < desired {
            out.push(Suggestion {
                kind: "shorter_context".into(),
                message: format!(
                    "Use a context of {} tokens (--max-model-len {each}), the longest at which {} fit.",
                    thousands(each),
                    plural(wanted, "request", "requests")
                ),
                context: Some(each),
                variant: None,
                gpus: None,
                nodes: None,
            });
        }
    }
    if let Some(fit) = best_smaller_variant_on(request, nodes) {
        let variant = request
            .model
            .variant(Some(&fit.variant))
            .unwrap_or(request.variant);
        out.push(Suggestion {
            kind: "quantized_variant".into(),
            message: format!(
                "Use the {} checkpoint ({}, {}): it fits on {} with {} at {} tokens.",
                variant.name,
                variant.repo,
                gib(variant.weight_bytes as f64),
                plural(fit.tensor_parallel_size, "GPU", "GPUs"),
                plural(fit.whole_requests(), "request", "requests"),
                thousands(fit.max_model_len)
            ),
            context: None,
            variant: Some(variant.name.clone()),
            gpus: None,
            nodes: None,
        });
    }
    let largest = request.slots.iter().max_by_key(|s| s.memory_bytes);
    if let Some(base) = largest.filter(|s| !s.mig) {
        let have = request.slots.len() as u32;
        for n in placement::valid_tp_sizes(arch, 64)
            .into_iter()
            .filter(|&n| n > have)
        {
            if let Some(fit) = fit_on(request, n, base.memory_bytes) {
                out.push(Suggestion {
                    kind: "more_gpus".into(),
                    message: format!(
                        "Use {n} GPUs of {} each (you have {have}): {} fit at {} tokens.",
                        gib(base.memory_bytes as f64),
                        plural(fit.whole_requests(), "request", "requests"),
                        thousands(fit.max_model_len)
                    ),
                    context: None,
                    variant: None,
                    gpus: Some(spec_for(n, base.memory_bytes)),
                    nodes: None,
                });
                break;
            }
        }
    }
    let floor = largest.map_or(0, |s| s.memory_bytes);
    let mut bigger: Vec<_> = KNOWN_GPUS
        .iter()
        .filter(|g| (g.memory_mib << 20) > floor)
        .collect();
    bigger.sort_by_key(|g| g.memory_mib);
    if let Some((gpu, fit)) = bigger
        .into_iter()
        .find_map(|g| fit_on(request, 1, g.memory_mib << 20).map(|f| (g, f)))
    {
        let at_least =
            (required_single_gpu(request, arch, desired) as f64 / GIB * 10.0).ceil() / 10.0;
        out.push(Suggestion {
            kind: "bigger_gpu".into(),
            message: format!(
                "Or one GPU with at least {:.1} GiB of memory, such as 1× {} ({} usable): {} at {} tokens.",
                at_least,
                gpu.spec,
                gib((gpu.memory_mib << 20) as f64),
                plural(fit.whole_requests(), "request", "requests"),
                thousands(fit.max_model_len)
            ),
            context: None,
            variant: None,
            gpus: Some(format!("1x{}", gpu.spec)),
            nodes: None,
        });
    }
    if let Some(suggestion) = more_nodes(request, nodes) {
        out.push(suggestion);
    }
    out
}

/// The most nodes a suggestion proposes.
const MOST_SUGGESTED_NODES: u32 = 8;

/// The fewest nodes like this one (beyond `nodes`) that hold the model as pipeline stages.
fn more_nodes(request: &FitRequest<'_>, nodes: u32) -> Option<Suggestion> {
    if request.slots.is_empty() || request.slots.iter().any(|s| s.mig) {
        return None;
    }
    let (n, fit) = (nodes + 1..=MOST_SUGGESTED_NODES).find_map(|n| {
        fit_inner(request, n, false)
            .ok()
            .filter(|f| f.fits)
            .map(|f| (n, f))
    })?;
    let split = fit.pipeline.as_ref()?;
    let mut sizes: Vec<u64> = request.slots.iter().map(|s| s.memory_bytes).collect();
    sizes.dedup();
    let per_node = match sizes.as_slice() {
        [size] => spec_for(request.slots.len() as u32, *size),
        _ => format!("{} GPUs", request.slots.len()),
    };
    Some(Suggestion {
        kind: "more_nodes".into(),
        message: format!(
            "Use {n} machines like this one ({}): vLLM on a Ray cluster, tensor parallelism {} in each and the {} layers split {} across them; {} at {} tokens.",
            if nodes > 1 { format!("you plan for {nodes}") } else { "you have one".to_owned() },
            split.tensor_parallel_size,
            split.layer_partition.iter().sum::<u32>(),
            split
                .layer_partition
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" + "),
            plural(fit.whole_requests(), "request fits", "requests fit"),
            thousands(fit.max_model_len)
        ),
        context: None,
        variant: None,
        gpus: Some(per_node),
        nodes: Some(n),
    })
}

/// The fit on `n` identical, NVLink-joined GPUs of `memory_bytes` each, if it fits.
fn fit_on(request: &FitRequest<'_>, n: u32, memory_bytes: u64) -> Option<FitResult> {
    let slots: Vec<Slot> = (0..n)
        .map(|i| Slot {
            index: i,
            name: String::new(),
            memory_bytes,
            free_bytes: None,
            nvlink_peers: (0..n).filter(|&j| j != i).collect(),
            mig: false,
        })
        .collect();
    let attempt = FitRequest {
        slots: &slots,
        ..request.clone()
    };
    fit_inner(&attempt, 1, false)
        .ok()
        .filter(|f| f.fits && f.tensor_parallel_size == n)
}

/// A spec for `n` GPUs of this size: the known model of that memory, else a size.
fn spec_for(n: u32, memory_bytes: u64) -> String {
    KNOWN_GPUS
        .iter()
        .find(|g| g.memory_mib << 20 == memory_bytes)
        .map_or_else(
            || format!("{n}x{:.0}GB", memory_bytes as f64 / 1e9),
            |g| format!("{n}x{}", g.spec),
        )
}

/// Memory one GPU needs for the desired context and concurrency at the request's (or the
/// default) utilization, with room outside the budget for what runs after the KV cache.
pub(super) fn required_single_gpu(
    request: &FitRequest<'_>,
    arch: &Architecture,
    desired: u32,
) -> u64 {
    let c = &request.constants;
    let gmu = request
        .gpu_memory_utilization
        .unwrap_or(super::DEFAULT_GPU_MEMORY_UTILIZATION);
    let wanted = request.concurrency.max(1);
    let seqs = wanted.next_power_of_two().min(MAX_NUM_SEQS);
    let mnbt = c.max_num_batched_tokens.unwrap_or(8192);
    let runtime = Runtime {
        vllm: planned_vllm(request),
        tp: 1,
        nvlink: false,
        max_num_seqs: seqs,
        max_num_batched_tokens: mnbt,
        capture_sizes: vllm::capture_sizes(vllm::default_max_capture_size(seqs)),
    };
    // With no memory at all, the KV cache left is minus everything else in the budget.
    let weights =
        memory::loaded_weight_bytes(request.variant.weight_bytes, request.variant.quantization);
    let bare = MemoryPerGpu::compute(arch, weights, 0, gmu, &runtime, c);
    let layout = KvLayout::new(arch, 1, c.kv_element_bytes(), mnbt);
    let inside =
        -(bare.kv_cache_bytes as f64) + layout.per_request(desired) as f64 * f64::from(wanted);
    let outside = (bare.after_kv_bytes + memory::pre_start_bytes(1, false)) as f64;
    (inside / gmu).max(inside + outside).ceil() as u64
}

/// The best smaller checkpoint of the model that fits (most concurrent requests, then
/// longest context), when the requested one does not.
pub fn best_smaller_variant(request: &FitRequest<'_>) -> Option<FitResult> {
    best_smaller_variant_on(request, 1)
}

/// [`best_smaller_variant`] on `nodes` nodes.
pub(super) fn best_smaller_variant_on(request: &FitRequest<'_>, nodes: u32) -> Option<FitResult> {
    request
        .model
        .variants
        .iter()
        .filter(|v| v.weight_bytes < request.variant.weight_bytes)
        .filter_map(|variant| {
            fit_inner(
                &FitRequest {
                    variant,
                    ..request.clone()
                },
                nodes,
                false,
            )
            .ok()
        })
        .filter(|f| f.fits)
        .max_by_key(|f| (f.whole_requests(), f.max_model_len))
}
