//! Every number of a fit in plain words, and the warnings that go with it.

use crate::catalog::Architecture;

use super::attempt::Attempt;
use super::explain_pipeline;
use super::kv_layout::kv_heads_per_gpu;
use super::memory;
use super::placement;
use super::words::{gib, plural, thousands};
use super::{FitRequest, FitResult};

/// Fills `explanation` and `warnings`.
pub(super) fn describe(
    result: &mut FitResult,
    request: &FitRequest<'_>,
    arch: &Architecture,
    attempt: Option<&Attempt>,
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
        if let Some(split) = &result.pipeline {
            format!(
                ", split over {} GPUs: {} on each of {} nodes",
                split.tensor_parallel_size * split.pipeline_parallel_size,
                split.tensor_parallel_size,
                split.nodes
            )
        } else if result.tensor_parallel_size > 1 {
            format!(", split over {} GPUs", result.tensor_parallel_size)
        } else {
            String::new()
        }
    ));
    if variant.quantization == crate::catalog::Quantization::Mxfp4 {
        say.push(format!(
            "vLLM lays the MXFP4 experts out again for its kernels: the {} of files take {} on the GPUs. Sizing tables that count the files (GitLab's GPT-OSS table does) expect room for more requests than vLLM finds.",
            gib(variant.weight_bytes as f64),
            gib(memory::loaded_weight_bytes(variant.weight_bytes, variant.quantization) as f64),
        ));
    }
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
    // Across nodes, the limiting stage's GPUs are the ones described below.
    let stage = attempt.filter(|a| a.pp > 1).map(|a| &a.stages[a.limiting]);
    let samples = stage.is_none_or(|s| s.shape.head);
    if let (Some(split), Some(attempt)) = (&result.pipeline, attempt) {
        say.extend(explain_pipeline::split_words(
            split, arch, attempt, result, &gpu_list,
        ));
    } else if tp == 1 {
        say.push(format!(
            "Runs on one GPU (GPU {gpu_list}); tensor parallelism 1."
        ));
    } else {
        say.push(
        format!(
            "Tensor parallelism {tp} over GPUs {gpu_list}{}: the {} attention heads and the vocabulary ({} tokens, padded to {}) divide evenly by {tp}.",
            if result.nvlink { ", joined by NVLink" } else { ", over PCIe" },
            arch.heads,
            thousands(arch.vocab),
            thousands(placement::padded_vocab(arch)),
        ));
    }
    let version = &result.vllm_version;
    say.push(format!(
        "Each GPU has {} in total as CUDA reports it; vLLM {version} takes {:.2} of it (--gpu-memory-utilization): a budget of {}, which must be free when it starts.",
        gib(mem.total_bytes as f64),
        result.gpu_memory_utilization,
        gib(mem.budget_bytes as f64),
    ));
    let activation_words = if samples {
        format!(
            "the profiling run's logits for {} × {} vocabulary, and {} batched tokens × {} hidden",
            plural(mem.max_num_seqs, "request", "requests"),
            thousands(arch.vocab),
            thousands(mem.max_num_batched_tokens),
            thousands(arch.hidden),
        )
    } else {
        format!(
            "{} batched tokens × {} hidden; only the last stage computes logits",
            thousands(mem.max_num_batched_tokens),
            thousands(arch.hidden),
        )
    };
    say.push(format!(
        "{} inside the budget: weights {}, {} outside PyTorch ({}), an activation peak of {} ({activation_words}){}.",
        stage.map_or_else(|| "Per GPU".to_owned(), |s| format!("Per GPU of stage {}", s.shape.index + 1)),
        gib(mem.weights_bytes as f64),
        gib(mem.non_torch_bytes as f64),
        match (tp, result.nvlink) {
            (1, _) => "the CUDA context and libraries on one GPU",
            (_, true) => "with NCCL and custom all-reduce buffers over NVLink",
            (_, false) => "with NCCL buffers over PCIe",
        },
        gib(mem.activations_bytes as f64),
        if mem.cuda_graphs_in_budget {
            format!(", and {} of CUDA graphs, which vLLM 0.20 and later estimate and take out of the budget", gib(mem.cuda_graphs_bytes as f64))
        } else {
            String::new()
        },
    ));
    if samples {
        say.push(format!(
            "Outside the budget, after the KV cache is allocated, vLLM {}warms up the sampler ({}): {} in all must still be free then.",
            if mem.cuda_graphs_in_budget {
                String::new()
            } else {
                format!("captures its CUDA graphs ({}) and ", gib(mem.cuda_graphs_bytes as f64))
            },
            gib(f64::from(mem.max_num_seqs) * f64::from(arch.vocab) * 4.0),
            gib(mem.after_kv_bytes as f64),
        ));
    } else if !mem.cuda_graphs_in_budget {
        say.push(format!(
            "Outside the budget, after the KV cache is allocated, vLLM captures its CUDA graphs ({}): that much must still be free then (the sampler warms up on the last stage only).",
            gib(mem.cuda_graphs_bytes as f64),
        ));
    }
    let per_token = kv_words(
        stage.map_or(arch, |s| &s.arch),
        result,
        c.kv_element_bytes(),
    );
    if mem.kv_cache_bytes <= 0 {
        say.push(format!(
            "Weights and overhead exceed the budget by {}: no room is left for the KV cache (vLLM: \"No available memory for the cache blocks\").",
            gib(-(mem.kv_cache_bytes as f64)),
        ));
    } else {
        say.push(format!(
            "That leaves {} for the KV cache, at {per_token}.",
            gib(mem.kv_cache_bytes as f64)
        ));
    }
    if let Some(attempt) = attempt.filter(|a| a.headroom() < 0) {
        match attempt.budget_not_free() {
            Some((index, free)) => say.push(format!(
                "GPU {index} would have only {} free when vLLM starts, less than the budget: vLLM refuses to start (\"Free memory on device … is less than desired GPU memory utilization\").",
                gib(free as f64)
            )),
            None => say.push(format!(
                "After the KV cache, {} is short outside the budget: vLLM would start, allocate the cache, then run out of memory. Lower --gpu-memory-utilization.",
                gib(-(attempt.headroom() as f64))
            )),
        }
    }
    say.push("Each term is an estimate within about 0.3–0.5 GiB of what vLLM measures; the same start can differ by 2 % from one run to the next.".into());
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
    let known_free = request.slots.iter().filter(|s| s.free_bytes.is_some());
    for slot in known_free.filter(|s| result.gpus.contains(&s.index)) {
        let free = slot.free_bytes.unwrap_or(0);
        if free < result.required_free_bytes {
            warn.push(format!(
                "GPU {} has {} free, less than the {} this start needs (the budget, vLLM's own context and what runs after the KV cache): stop the programs using it, or lower --gpu-memory-utilization.",
                slot.index,
                gib(free as f64),
                gib(result.required_free_bytes as f64)
            ));
        }
    }
    if tp > 1 && !result.nvlink {
        warn.push("These GPUs are not all joined by NVLink: tensor parallelism over PCIe works but is slower.".into());
    }
    if let Some(split) = &result.pipeline {
        warn.extend(explain_pipeline::warnings(split));
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

/// The KV cache per token in words, by kind of layer.
fn kv_words(arch: &Architecture, result: &FitResult, kv_bytes: u32) -> String {
    let tp = result.tensor_parallel_size.max(1);
    let sliding = arch.sliding_window.map_or(0, |w| w.layers);
    let linear = arch.linear_attention.map_or(0, |l| l.layers);
    let full = arch.layers.saturating_sub(sliding + linear);
    let per_token = result.kv_bytes_per_token as f64 / 1024.0;
    let mut words = match arch.mla {
        Some(mla) => format!(
            "{per_token:.1} KiB per token: {full} layers of latent attention keep one latent of {} values (kv_lora_rank {} + rope {}) per token{}, the same on every GPU",
            mla.kv_lora_rank + mla.rope_dim,
            mla.kv_lora_rank,
            mla.rope_dim,
            arch.indexer.map_or(String::new(), |i| format!(
                " plus the sparse-attention indexer's FP8 key of {} dims",
                i.head_dim
            )),
        ),
        None => format!(
            "{per_token:.0} KiB per token ({full} layers × {} KV heads × {} dims × 2 for key and value × {kv_bytes} bytes)",
            kv_heads_per_gpu(arch.kv_heads, tp),
            arch.head_dim,
        ),
    };
    if let Some(w) = arch.sliding_window.filter(|w| w.layers > 0) {
        words.push_str(&format!(
            "; the {} sliding-window layers ({} KV heads × {} dims) hold at most the window of {} tokens plus one prefill chunk",
            w.layers,
            kv_heads_per_gpu(w.kv_heads.unwrap_or(arch.kv_heads), tp),
            w.head_dim.unwrap_or(arch.head_dim),
            thousands(w.tokens),
        ));
    }
    if let Some(l) = arch.linear_attention.filter(|l| l.layers > 0) {
        words.push_str(&format!(
            "; the {} linear-attention layers keep a constant state of {} per request",
            l.layers,
            gib((u64::from(l.layers) * l.state_bytes.div_ceil(u64::from(tp))) as f64)
        ));
    }
    words
}
