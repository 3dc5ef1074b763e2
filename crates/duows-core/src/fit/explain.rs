//! Every number of a fit in plain words, the warnings that go with it, and the nearest
//! ways to make a model fit that does not.

use crate::catalog::Architecture;
use crate::hardware::KNOWN_GPUS;

use super::memory::{self, GIB};
use super::placement::{self, Slot};
use super::{fit_inner, FitRequest, FitResult, Suggestion, MIN_USEFUL_CONTEXT};

fn gib(bytes: impl Into<f64>) -> String {
    format!("{:.1} GiB", bytes.into() / GIB)
}

fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Fills `explanation` and `warnings`.
pub(super) fn describe(
    result: &mut FitResult,
    request: &FitRequest<'_>,
    arch: &Architecture,
    free: Option<&Vec<(u32, Option<u64>)>>,
    desired: u32,
    explicit: bool,
) {
    let variant = request.variant;
    let c = &request.constants;
    let mut say = Vec::new();
    say.push(format!(
        "Weights: {} ({} checkpoint {}{}).",
        gib(variant.weight_bytes as f64),
        variant.quantization,
        variant.repo,
        if result.tensor_parallel_size > 1 {
            format!(", split over {} GPUs", result.tensor_parallel_size)
        } else {
            String::new()
        }
    ));
    if let Some(moe) = arch.moe {
        say.push(format!(
            "All {} experts per layer stay in memory; {} are active per token, which affects speed, not memory.",
            moe.experts, moe.active
        ));
    }
    let Some(mem) = result.memory else {
        say.push("There is no GPU to run it on.".into());
        result.explanation = say;
        return;
    };
    let tp = result.tensor_parallel_size;
    let gpu_list = result
        .gpus
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    say.push(if tp == 1 {
        format!("Runs on one GPU (GPU {gpu_list}); tensor parallelism 1.")
    } else {
        format!(
            "Tensor parallelism {tp} over GPUs {gpu_list}{}: the {} attention heads and the vocabulary ({} tokens, padded to {}) divide evenly by {tp}.",
            if result.nvlink { ", joined by NVLink" } else { ", over PCIe" },
            arch.heads,
            thousands(arch.vocab),
            thousands(placement::padded_vocab(arch)),
        )
    });
    say.push(format!(
        "Each GPU has {} usable; vLLM takes {:.2} of it (--gpu-memory-utilization): a budget of {}, which must be free when it starts.",
        gib(mem.total_bytes as f64),
        result.gpu_memory_utilization,
        gib(mem.budget_bytes as f64),
    ));
    say.push(format!(
        "Per GPU: weights {}, runtime overhead {} ({} outside PyTorch, {} activation peak for {} batched tokens × {} hidden, {} CUDA graphs).",
        gib(mem.weights_bytes as f64),
        gib(mem.overhead_bytes() as f64),
        gib(mem.non_torch_bytes as f64),
        gib(mem.activations_bytes as f64),
        thousands(c.max_num_batched_tokens),
        thousands(arch.hidden),
        gib(mem.cuda_graphs_bytes as f64),
    ));
    let sliding = arch.sliding_window.map_or(0, |w| w.layers);
    let per_token = format!(
        "{:.0} KiB per token ({} layers × {} KV heads × {} dims × 2 for key and value × {} bytes)",
        result.kv_bytes_per_token as f64 / 1024.0,
        arch.layers - sliding,
        memory::kv_heads_per_gpu(arch, tp),
        arch.head_dim,
        c.kv_bytes,
    );
    if mem.kv_cache_bytes <= 0 {
        say.push(format!(
            "Weights and overhead exceed the budget by {}: no room is left for the KV cache.",
            gib(-(mem.kv_cache_bytes as f64)),
        ));
    } else {
        let window = arch
            .sliding_window
            .map(|w| {
                format!(
                    "; the {} sliding-window layers keep at most {} tokens each",
                    w.layers, w.tokens
                )
            })
            .unwrap_or_default();
        say.push(format!(
            "That leaves {} for the KV cache, at {per_token}{window}.",
            gib(mem.kv_cache_bytes as f64)
        ));
    }
    if result.fits {
        if !explicit && result.max_model_len < desired {
            say.push(format!(
                "The default context of {} tokens does not fit; {} is the longest that does.",
                thousands(desired),
                thousands(result.max_model_len)
            ));
        }
        let whole = result.whole_requests();
        say.push(format!(
            "At a context of {} tokens a request holds {}: the KV cache holds {:.2}× that, so {} of the full context {} at once.",
            thousands(result.max_model_len),
            gib(result.kv_bytes_per_request as f64),
            result.concurrency,
            plural(whole, "request", "requests"),
            if whole == 1 { "fits" } else { "fit" },
        ));
        let max_num_seqs = result.vllm.as_ref().map_or(1, |v| v.max_num_seqs);
        if max_num_seqs > whole {
            say.push(format!(
                "--max-num-seqs {max_num_seqs} lets vLLM run up to {max_num_seqs} shorter requests together; they share the same KV cache."
            ));
        }
    } else {
        say.push(format!(
            "It does not fit: {} at a context of {} tokens {} not fit in what is left.",
            plural(request.concurrency.max(1), "request", "requests"),
            thousands(desired),
            if request.concurrency.max(1) == 1 {
                "does"
            } else {
                "do"
            },
        ));
    }
    say.push(format!(
        "The longest context one request can use here is {} tokens (the model's native context is {}).",
        thousands(result.max_context),
        thousands(arch.context)
    ));
    result.explanation = say;

    let mut warn = Vec::new();
    for (index, free) in free.into_iter().flatten() {
        if let Some(free) = free {
            if *free < mem.budget_bytes {
                warn.push(format!(
                    "GPU {index} has {} free, less than the {} vLLM needs at start: stop the programs using it, or lower --gpu-memory-utilization.",
                    gib(*free as f64),
                    gib(mem.budget_bytes as f64)
                ));
            }
        }
    }
    if tp > 1 && !result.nvlink {
        warn.push("These GPUs are not all joined by NVLink: tensor parallelism over PCIe works but is slower.".into());
    }
    if !arch.verified {
        warn.push(format!(
            "{}'s architecture numbers could not be checked against its own config.json: {}.",
            result.name, arch.source
        ));
    }
    if !variant.verified {
        warn.push(format!(
            "The size of the {} checkpoint is computed, not read from the repository.",
            variant.name
        ));
    }
    result.warnings = warn;
}

/// The nearest ways to make it fit, nearest first.
pub(super) fn suggestions(
    request: &FitRequest<'_>,
    arch: &Architecture,
    result: &FitResult,
    desired: u32,
) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let wanted = request.concurrency.max(1);
    if let Some(mem) = result.memory.filter(|m| m.kv_cache_bytes > 0) {
        let tp = result.tensor_parallel_size;
        let each = memory::largest_context(
            arch,
            tp,
            request.constants.kv_bytes,
            mem.kv_cache_bytes as f64 / f64::from(wanted),
        );
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
            });
        }
    }
    if let Some(fit) = super::best_smaller_variant(request) {
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
        });
    }
    out
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
    fit_inner(&attempt, false)
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
/// default) utilization.
pub(super) fn required_single_gpu(
    request: &FitRequest<'_>,
    arch: &Architecture,
    desired: u32,
) -> u64 {
    let c = &request.constants;
    let gmu = request
        .gpu_memory_utilization
        .unwrap_or(super::DEFAULT_GPU_MEMORY_UTILIZATION);
    let kv = memory::kv_bytes_per_request(arch, 1, c.kv_bytes, desired) as f64
        * f64::from(request.concurrency.max(1));
    let need = request.variant.weight_bytes as f64
        + (c.non_torch_gib + c.cuda_graphs_gib) * GIB
        + c.activation_bytes(arch)
        + kv;
    (need / gmu).ceil() as u64
}
