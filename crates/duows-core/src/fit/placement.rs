//! Which GPUs a model runs on, and with what tensor-parallel size.
//!
//! vLLM splits every layer across `tp` GPUs, so `tp` must divide the attention heads and
//! the vocabulary (vLLM pads the vocabulary to a multiple of 64 first), and every GPU
//! must hold its share: the smallest GPU of the set decides. Sets of GPUs joined by
//! NVLink are preferred (GitLab: tensor parallelism across NVLink).

use crate::catalog::Architecture;
use crate::hardware::GpuInfo;

/// A GPU as the fit sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// NVML index (what `CUDA_VISIBLE_DEVICES` names).
    pub index: u32,
    /// Product name.
    pub name: String,
    /// Memory a single vLLM instance can use on it, in bytes.
    pub memory_bytes: u64,
    /// Free memory now, when known (detected hardware).
    pub free_bytes: Option<u64>,
    /// Indexes joined to it by NVLink.
    pub nvlink_peers: Vec<u32>,
    /// A MIG instance: cannot be combined with other GPUs.
    pub mig: bool,
}

impl Slot {
    /// Slots for the GPUs. A MIG-enabled GPU offers its largest instance, alone.
    pub fn from_gpus(gpus: &[GpuInfo], free: &dyn Fn(u32) -> Option<u64>) -> Vec<Self> {
        gpus.iter()
            .map(|gpu| {
                match gpu
                    .mig
                    .as_ref()
                    .filter(|m| m.enabled && !m.instances.is_empty())
                {
                    Some(mig) => Self {
                        index: gpu.index,
                        name: format!("{} (MIG instance)", gpu.name),
                        memory_bytes: mig
                            .instances
                            .iter()
                            .map(|i| i.memory_total_bytes)
                            .max()
                            .unwrap_or(0),
                        free_bytes: None,
                        nvlink_peers: Vec::new(),
                        mig: true,
                    },
                    None => Self {
                        index: gpu.index,
                        name: gpu.name.clone(),
                        memory_bytes: gpu.memory_total_bytes,
                        free_bytes: free(gpu.index),
                        nvlink_peers: gpu.nvlink_peers.clone(),
                        mig: false,
                    },
                }
            })
            .collect()
    }
}

/// vLLM's padded vocabulary size.
pub fn padded_vocab(arch: &Architecture) -> u32 {
    arch.vocab.div_ceil(64) * 64
}

/// The tensor-parallel sizes vLLM accepts for this model, smallest first, up to `max`.
pub fn valid_tp_sizes(arch: &Architecture, max: u32) -> Vec<u32> {
    let vocab = padded_vocab(arch);
    (0..7)
        .map(|p| 1u32 << p)
        .filter(|&tp| tp <= max && arch.heads % tp == 0 && vocab % tp == 0)
        .collect()
}

/// The best `tp` GPUs: the largest memory first (so the smallest member is as large as
/// possible), and among GPUs of that size a set joined by NVLink when there is one.
/// Returns the set and whether it is all-to-all NVLink.
pub fn choose(slots: &[Slot], tp: u32) -> Option<(Vec<&Slot>, bool)> {
    let usable: Vec<&Slot> = slots.iter().filter(|s| tp == 1 || !s.mig).collect();
    if usable.len() < tp as usize {
        return None;
    }
    let mut by_memory = usable.clone();
    by_memory.sort_by(|a, b| {
        b.memory_bytes
            .cmp(&a.memory_bytes)
            .then(a.index.cmp(&b.index))
    });
    let floor = by_memory[tp as usize - 1].memory_bytes;
    let large: Vec<&Slot> = by_memory
        .iter()
        .copied()
        .filter(|s| s.memory_bytes >= floor)
        .collect();
    if tp > 1 {
        for start in &large {
            let clique = grow_clique(start, &large, tp as usize);
            if clique.len() == tp as usize {
                let mut set = clique;
                set.sort_by_key(|s| s.index);
                return Some((set, true));
            }
        }
    }
    let mut set: Vec<&Slot> = by_memory.into_iter().take(tp as usize).collect();
    set.sort_by_key(|s| s.index);
    Some((set, tp == 1))
}

/// Greedily grows a set of mutually NVLink-joined slots from `start`.
fn grow_clique<'a>(start: &'a Slot, pool: &[&'a Slot], size: usize) -> Vec<&'a Slot> {
    let mut clique = vec![start];
    for candidate in pool {
        if clique.len() == size {
            break;
        }
        let joined = clique.iter().all(|member| {
            member.index != candidate.index && member.nvlink_peers.contains(&candidate.index)
        });
        if joined {
            clique.push(candidate);
        }
    }
    clique
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn slot(index: u32, gib: u64, peers: &[u32]) -> Slot {
        Slot {
            index,
            name: String::new(),
            memory_bytes: gib << 30,
            free_bytes: None,
            nvlink_peers: peers.to_vec(),
            mig: false,
        }
    }

    #[test]
    fn tp_divides_heads_and_padded_vocabulary() {
        let catalog = Catalog::builtin().expect("catalog");
        let arch = |id: &str| {
            catalog
                .model(id)
                .and_then(|m| m.arch.clone())
                .expect("arch")
        };
        assert_eq!(
            valid_tp_sizes(&arch("llama-3.1-70b-instruct"), 8),
            vec![1, 2, 4, 8]
        );
        // Codestral and Mixtral 8x22B have 48 heads: 16 does not divide them.
        assert_eq!(
            valid_tp_sizes(&arch("codestral-22b-v0.1"), 64),
            vec![1, 2, 4, 8, 16]
        );
        assert_eq!(valid_tp_sizes(&arch("codegemma-2b"), 64), vec![1, 2, 4, 8]);
        // CodeLlama 13B: 40 heads, vocabulary 32016 (padded to 32064): 16 fails both.
        assert_eq!(padded_vocab(&arch("codellama-13b-hf")), 32064);
        assert_eq!(
            valid_tp_sizes(&arch("codellama-13b-hf"), 64),
            vec![1, 2, 4, 8]
        );
    }

    #[test]
    fn prefers_nvlink_among_the_largest() {
        // 0 and 1 are bridged, 2 and 3 are not; all 80 GiB.
        let slots = vec![
            slot(0, 80, &[1]),
            slot(1, 80, &[0]),
            slot(2, 80, &[]),
            slot(3, 80, &[]),
        ];
        let (set, nvlink) = choose(&slots, 2).expect("set");
        assert_eq!(set.iter().map(|s| s.index).collect::<Vec<_>>(), vec![0, 1]);
        assert!(nvlink);
        let (set, nvlink) = choose(&slots, 4).expect("set");
        assert_eq!(set.len(), 4);
        assert!(!nvlink, "not all-to-all");
    }

    #[test]
    fn never_lets_the_smallest_gpu_decide_when_larger_ones_suffice() {
        let slots = vec![slot(0, 24, &[]), slot(1, 48, &[]), slot(2, 48, &[])];
        let (set, _) = choose(&slots, 2).expect("set");
        assert_eq!(set.iter().map(|s| s.index).collect::<Vec<_>>(), vec![1, 2]);
        let (set, _) = choose(&slots, 1).expect("set");
        assert_eq!(set[0].index, 1);
        assert!(choose(&slots, 4).is_none());
    }
}
