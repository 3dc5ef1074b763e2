//! One placement of a model evaluated: the GPUs, the launch ([`Runtime`]), the memory per
//! GPU and the KV cache's layout; and the choice of `--gpu-memory-utilization` when the user
//! names none.

use crate::catalog::Architecture;

use super::kv_layout::KvLayout;
use super::memory::{self, MemoryPerGpu, Runtime};
use super::placement;
use super::vllm::{self, VllmVersion};
use super::{FitRequest, DEFAULT_GPU_MEMORY_UTILIZATION};

/// The most requests the fit lets vLLM batch (`--max-num-seqs`); the figures assume it
/// until the concurrency is known.
pub(super) const MAX_NUM_SEQS: u32 = 256;

/// Memory kept spare beyond everything the start needs, when choosing the utilization.
const SPARE_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// One evaluated placement.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub tp: u32,
    pub gpus: Vec<u32>,
    pub nvlink: bool,
    pub gmu: f64,
    pub runtime: Runtime,
    pub memory: MemoryPerGpu,
    pub layout: KvLayout,
    pub max_context: u32,
    /// Free memory at start per GPU (index, bytes), as vLLM would find it.
    pub free_at_start: Vec<(u32, u64)>,
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
    /// sampler's warm-up, over the GPUs (negative: vLLM runs out of memory after the KV
    /// cache is allocated, or refuses to start when the budget itself is not free).
    pub fn headroom(&self) -> i64 {
        self.free_at_start
            .iter()
            .map(|(_, free)| {
                *free as i64 - self.memory.budget_bytes as i64 - self.memory.after_kv_bytes as i64
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

    /// The same placement with `max_num_seqs` requests batched at most.
    pub fn with_max_num_seqs(
        &self,
        request: &FitRequest<'_>,
        arch: &Architecture,
        seqs: u32,
    ) -> Self {
        let runtime = Runtime {
            max_num_seqs: seqs,
            capture_sizes: vllm::capture_sizes(vllm::default_max_capture_size(seqs)),
            ..self.runtime
        };
        let memory = MemoryPerGpu::compute(
            arch,
            memory::loaded_weight_bytes(request.variant.weight_bytes, request.variant.quantization),
            self.total,
            self.gmu,
            &runtime,
            &request.constants,
        );
        Self {
            runtime,
            memory,
            max_context: self.layout.largest_context(memory.kv_cache_bytes as f64),
            ..self.clone()
        }
    }
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

/// Every valid tensor-parallel size with its best GPUs, smallest first.
/// `max_num_seqs`: the batch the figures assume (`None`: [`MAX_NUM_SEQS`]).
pub(super) fn attempts(
    request: &FitRequest<'_>,
    arch: &Architecture,
    max_num_seqs: Option<u32>,
) -> Vec<Attempt> {
    let count = request.slots.len() as u32;
    let version = planned_vllm(request);
    let kv_bytes = request.constants.kv_element_bytes();
    placement::valid_tp_sizes(arch, count)
        .into_iter()
        .filter(|tp| {
            request
                .tensor_parallel_size
                .is_none_or(|pinned| pinned == *tp)
        })
        .filter_map(|tp| {
            let (set, nvlink) = placement::choose(request.slots, tp)?;
            let smallest = set.iter().min_by_key(|s| s.memory_bytes)?;
            let total = smallest.memory_bytes;
            let mnbt = request
                .constants
                .max_num_batched_tokens
                .unwrap_or_else(|| vllm::server_defaults(total, &smallest.name).1);
            let seqs = max_num_seqs.unwrap_or(MAX_NUM_SEQS);
            let runtime = Runtime {
                vllm: version,
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
            let probe = MemoryPerGpu::compute(
                arch,
                memory::loaded_weight_bytes(
                    request.variant.weight_bytes,
                    request.variant.quantization,
                ),
                total,
                DEFAULT_GPU_MEMORY_UTILIZATION,
                &runtime,
                &request.constants,
            );
            let gmu = request
                .gpu_memory_utilization
                .unwrap_or_else(|| auto_utilization(&free_at_start, total, probe.after_kv_bytes));
            let memory = MemoryPerGpu::compute(
                arch,
                memory::loaded_weight_bytes(
                    request.variant.weight_bytes,
                    request.variant.quantization,
                ),
                total,
                gmu,
                &runtime,
                &request.constants,
            );
            let layout = KvLayout::new(arch, tp, kv_bytes, mnbt);
            Some(Attempt {
                tp,
                gpus: set.iter().map(|s| s.index).collect(),
                nvlink,
                gmu,
                runtime,
                memory,
                layout,
                max_context: layout.largest_context(memory.kv_cache_bytes as f64),
                free_at_start,
                total,
            })
        })
        .collect()
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
