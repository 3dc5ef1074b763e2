//! One placement of a model evaluated: the GPUs (on one node, or the same GPUs on each of
//! several nodes with one pipeline stage each), the launch ([`Runtime`]), the memory per
//! GPU of each stage and the KV cache's layout; and the choice of
//! `--gpu-memory-utilization` when the user names none.

use crate::catalog::Architecture;
use crate::fit::placement::Slot;

use super::kv_layout::KvLayout;
use super::memory::{self, MemoryPerGpu, Runtime};
use super::pipeline::{self, StageShape};
use super::placement;
use super::vllm::{self, VllmVersion};
use super::{FitRequest, DEFAULT_GPU_MEMORY_UTILIZATION};

/// The most requests the fit lets vLLM batch (`--max-num-seqs`); the figures assume it
/// until the concurrency is known.
pub(super) const MAX_NUM_SEQS: u32 = 256;

/// Memory kept spare beyond everything the start needs, when choosing the utilization.
const SPARE_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// One pipeline stage of a placement (a placement on one node is one stage of every layer).
#[derive(Debug, Clone)]
pub(super) struct StageFit {
    pub shape: StageShape,
    /// The model as the stage sees it (its layers).
    pub arch: Architecture,
    /// Its weights, all its GPUs together.
    pub weight_bytes: u64,
    pub memory: MemoryPerGpu,
    pub layout: KvLayout,
}

/// One evaluated placement.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub tp: u32,
    /// Pipeline stages, one per node (1: one node).
    pub pp: u32,
    /// The GPUs used (on every node alike).
    pub gpus: Vec<u32>,
    pub nvlink: bool,
    pub gmu: f64,
    pub runtime: Runtime,
    /// Memory per GPU of the limiting stage (the only one on one node).
    pub memory: MemoryPerGpu,
    /// The limiting stage's KV cache.
    pub layout: KvLayout,
    pub max_context: u32,
    /// Free memory at start per GPU (index, bytes), as vLLM would find it.
    pub free_at_start: Vec<(u32, u64)>,
    pub stages: Vec<StageFit>,
    /// The stage whose cache holds the fewest tokens: vLLM gives every stage that many.
    pub limiting: usize,
    /// Whether the layers' split was given by hand.
    pub custom_partition: bool,
    /// The smallest GPU's total.
    total: u64,
}

impl Attempt {
    pub fn kv(&self) -> f64 {
        self.memory.kv_cache_bytes as f64
    }

    /// KV cache ÷ one request's KV at `context`, to two decimals (vLLM prints `{:.2f}x`).
    pub fn concurrency_at(&self, context: u32) -> f64 {
        self.layout.concurrency(self.kv(), context)
    }

    /// The least room left outside the budget after the KV cache, the CUDA graphs and the
    /// sampler's warm-up, over the GPUs and stages (negative: vLLM runs out of memory after
    /// the KV cache is allocated, or refuses to start when the budget itself is not free).
    pub fn headroom(&self) -> i64 {
        self.stages
            .iter()
            .flat_map(|stage| {
                self.free_at_start.iter().map(move |(_, free)| {
                    *free as i64
                        - stage.memory.budget_bytes as i64
                        - stage.memory.after_kv_bytes as i64
                })
            })
            .min()
            .unwrap_or(0)
    }

    /// Whether some GPU does not have the budget itself free (vLLM's first check).
    pub fn budget_not_free(&self) -> Option<(u32, u64)> {
        self.free_at_start
            .iter()
            .find(|(_, free)| *free < self.memory.budget_bytes)
            .copied()
    }

    /// Free memory each GPU needs at start: the budget, vLLM's own context, and what runs
    /// after the KV cache, on the stage that needs the most.
    pub fn required_free_bytes(&self) -> u64 {
        self.stages
            .iter()
            .map(|s| s.memory.budget_bytes + s.memory.after_kv_bytes)
            .max()
            .unwrap_or(0)
            + memory::pre_start_bytes(self.tp, self.nvlink)
    }

    /// The same placement with `max_num_seqs` requests batched at most.
    pub fn with_max_num_seqs(&self, request: &FitRequest<'_>, seqs: u32) -> Self {
        let runtime = Runtime {
            max_num_seqs: seqs,
            capture_sizes: vllm::capture_sizes(vllm::default_max_capture_size(seqs)),
            ..self.runtime
        };
        let stages: Vec<StageFit> = self
            .stages
            .iter()
            .map(|stage| StageFit {
                memory: stage_memory(request, stage, self.total, self.gmu, &runtime),
                ..stage.clone()
            })
            .collect();
        let limiting = limiting_stage(&stages);
        let (memory, layout) = (stages[limiting].memory, stages[limiting].layout);
        Self {
            runtime,
            memory,
            max_context: layout.largest_context(memory.kv_cache_bytes as f64),
            stages,
            limiting,
            ..self.clone()
        }
    }
}

/// The stage whose cache holds the fewest tokens (vLLM gives every stage as many blocks as
/// the one with the fewest).
fn limiting_stage(stages: &[StageFit]) -> usize {
    let room = |s: &StageFit| {
        let per_token = (s.layout.per_token + s.layout.sliding_per_token).max(1);
        s.memory.kv_cache_bytes as f64 / per_token as f64
    };
    stages
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| room(a).total_cmp(&room(b)))
        .map_or(0, |(i, _)| i)
}

/// One stage's memory per GPU.
fn stage_memory(
    request: &FitRequest<'_>,
    stage: &StageFit,
    total: u64,
    gmu: f64,
    runtime: &Runtime,
) -> MemoryPerGpu {
    MemoryPerGpu::compute_stage(
        &stage.arch,
        stage.weight_bytes,
        total,
        gmu,
        runtime,
        &request.constants,
        stage.shape.head,
    )
}

/// The vLLM version whose arithmetic the fit uses: the one named, else the release the app
/// installs for the model (the newest for a model without serving facts).
pub fn planned_vllm(request: &FitRequest<'_>) -> VllmVersion {
    request.constants.vllm().unwrap_or_else(|| {
        request
            .model
            .serving
            .as_ref()
            .and_then(|s| vllm::release_for(&s.min_vllm))
            .unwrap_or(*vllm::INSTALLABLE.last().expect("releases"))
    })
}

/// Every valid placement, smallest first: on one node each valid tensor-parallel size with
/// its best GPUs; then, up to `nodes`, the same over 2, 3, … pipeline stages (one per node,
/// the layers split as vLLM splits them, or as `layer_partition` says: then only that).
/// `max_num_seqs`: the batch the figures assume (`None`: [`MAX_NUM_SEQS`]).
pub(super) fn attempts(
    request: &FitRequest<'_>,
    arch: &Architecture,
    max_num_seqs: Option<u32>,
    nodes: u32,
) -> Vec<Attempt> {
    let count = request.slots.len() as u32;
    let custom = request.constants.layer_partition.as_deref();
    let splits: Vec<Vec<u32>> = match custom {
        Some(partition) => vec![partition.to_vec()],
        None => (1..=nodes.clamp(1, arch.layers.max(1)))
            .map(|pp| pipeline::layer_partition(arch.layers, pp))
            .collect(),
    };
    let seqs = max_num_seqs.unwrap_or(MAX_NUM_SEQS);
    let mut out = Vec::new();
    for partition in &splits {
        for tp in placement::valid_tp_sizes(arch, count) {
            if request
                .tensor_parallel_size
                .is_some_and(|pinned| pinned != tp)
            {
                continue;
            }
            if let Some((set, nvlink)) = placement::choose(request.slots, tp) {
                out.push(evaluate(
                    request,
                    arch,
                    &set,
                    nvlink,
                    partition,
                    seqs,
                    custom.is_some(),
                ));
            }
        }
    }
    out
}

/// One placement: `set` on every node, the layers split by `partition`.
fn evaluate(
    request: &FitRequest<'_>,
    arch: &Architecture,
    set: &[&Slot],
    nvlink: bool,
    partition: &[u32],
    seqs: u32,
    custom_partition: bool,
) -> Attempt {
    let tp = set.len() as u32;
    let smallest = set.iter().min_by_key(|s| s.memory_bytes).copied();
    let total = smallest.map_or(0, |s| s.memory_bytes);
    let mnbt = request.constants.max_num_batched_tokens.unwrap_or_else(|| {
        vllm::server_defaults(total, smallest.map_or("", |s| s.name.as_str())).1
    });
    let runtime = Runtime {
        vllm: planned_vllm(request),
        tp,
        nvlink,
        max_num_seqs: seqs,
        max_num_batched_tokens: mnbt,
        capture_sizes: vllm::capture_sizes(vllm::default_max_capture_size(seqs)),
    };
    let pre_start = memory::pre_start_bytes(tp, nvlink);
    let free_at_start: Vec<(u32, u64)> = set
        .iter()
        .map(|s| {
            let free = s.free_bytes.unwrap_or(s.memory_bytes).min(s.memory_bytes);
            (s.index, free.saturating_sub(pre_start))
        })
        .collect();
    let weights =
        memory::loaded_weight_bytes(request.variant.weight_bytes, request.variant.quantization);
    let kv_bytes = request.constants.kv_element_bytes();
    // First at the default utilization, to learn what must fit outside the budget.
    let probe: Vec<StageFit> = pipeline::stage_shapes(partition)
        .into_iter()
        .map(|shape| {
            let stage_arch = pipeline::stage_arch(arch, &shape);
            let weight_bytes = pipeline::stage_weight_bytes(arch, weights, &shape);
            let memory = MemoryPerGpu::compute_stage(
                &stage_arch,
                weight_bytes,
                total,
                DEFAULT_GPU_MEMORY_UTILIZATION,
                &runtime,
                &request.constants,
                shape.head,
            );
            StageFit {
                shape,
                layout: KvLayout::new(&stage_arch, tp, kv_bytes, mnbt),
                arch: stage_arch,
                weight_bytes,
                memory,
            }
        })
        .collect();
    let after_kv = probe
        .iter()
        .map(|s| s.memory.after_kv_bytes)
        .max()
        .unwrap_or(0);
    let gmu = request
        .gpu_memory_utilization
        .unwrap_or_else(|| auto_utilization(&free_at_start, total, after_kv));
    let stages: Vec<StageFit> = probe
        .iter()
        .map(|s| StageFit {
            memory: stage_memory(request, s, total, gmu, &runtime),
            ..s.clone()
        })
        .collect();
    let limiting = limiting_stage(&stages);
    let (memory, layout) = (stages[limiting].memory, stages[limiting].layout);
    Attempt {
        tp,
        pp: partition.len() as u32,
        gpus: set.iter().map(|s| s.index).collect(),
        nvlink,
        gmu,
        runtime,
        memory,
        layout,
        max_context: layout.largest_context(memory.kv_cache_bytes as f64),
        free_at_start,
        stages,
        limiting,
        custom_partition,
        total,
    }
}

/// [`DEFAULT_GPU_MEMORY_UTILIZATION`], lowered in steps of 0.01 so that every GPU of the set
/// has the budget free at start and, outside it, room for what runs after the KV cache
/// (CUDA graphs up to vLLM 0.19, the sampler's warm-up) with 256 MiB to spare.
fn auto_utilization(free_at_start: &[(u32, u64)], total: u64, after_kv: u64) -> f64 {
    let reserve = after_kv as f64 + SPARE_BYTES;
    free_at_start
        .iter()
        .map(|(_, free)| ((*free as f64 - reserve) / total as f64 * 100.0).floor() / 100.0)
        .fold(DEFAULT_GPU_MEMORY_UTILIZATION, f64::min)
        .max(0.05)
}
