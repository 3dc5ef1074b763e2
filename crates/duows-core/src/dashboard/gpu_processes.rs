//! Who holds each GPU's memory: the processes NVML lists, the ones that belong to this app's
//! engines named as such, and each engine's memory on the GPU against what its fit planned.
//!
//! An engine is started in a process group of its own (its pid is the group's id), and
//! vLLM's workers stay in that group, so a process belongs to an engine when its pid or its
//! process group is the engine's pid. Pure apart from the group reader handed in.

use serde::Serialize;

use crate::engine::EngineStatus;
use crate::hardware::GpuSample;

/// One process on one GPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ProcessUse {
    /// Process id.
    pub pid: u32,
    /// Executable name, when it can be read.
    pub name: Option<String>,
    /// GPU memory it holds, when reported.
    pub used_bytes: Option<u64>,
    /// The engine of this app it belongs to.
    pub engine: Option<String>,
}

/// One engine of this app on one GPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EngineUse {
    /// The engine's name.
    pub engine: String,
    /// What its processes hold on this GPU now (`None`: none of them is listed).
    pub used_bytes: Option<u64>,
    /// What its fit planned on this GPU (`None`: nothing was fitted, e.g. llama.cpp).
    pub planned_bytes: Option<u64>,
}

/// One GPU's processes and engines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GpuProcesses {
    /// NVML index of the GPU.
    pub gpu: u32,
    /// Every process with memory on it, the largest first.
    pub processes: Vec<ProcessUse>,
    /// The engines planned on it or found on it.
    pub engines: Vec<EngineUse>,
}

/// Attributes each GPU's processes to `engines`. `group_of(pid)` is the process group of a
/// process (`None` when it cannot be read: another namespace, gone, not Linux).
pub fn gpu_processes(
    gpus: &[GpuSample],
    engines: &[EngineStatus],
    group_of: &dyn Fn(u32) -> Option<u32>,
) -> Vec<GpuProcesses> {
    let owner = |pid: u32| -> Option<&EngineStatus> {
        let group = group_of(pid);
        engines
            .iter()
            .find(|e| e.pid.is_some_and(|p| p == pid || Some(p) == group))
    };
    gpus.iter()
        .map(|gpu| {
            let mut processes: Vec<ProcessUse> = gpu
                .processes
                .iter()
                .map(|p| ProcessUse {
                    pid: p.pid,
                    name: p.name.clone(),
                    used_bytes: p.used_memory_bytes,
                    engine: owner(p.pid).map(|e| e.name.clone()),
                })
                .collect();
            processes.sort_by(|a, b| b.used_bytes.cmp(&a.used_bytes).then(a.pid.cmp(&b.pid)));
            let engines_here = engines
                .iter()
                .filter_map(|engine| {
                    let mine: Vec<&ProcessUse> = processes
                        .iter()
                        .filter(|p| p.engine.as_deref() == Some(engine.name.as_str()))
                        .collect();
                    let planned = engine
                        .planned_memory
                        .as_ref()
                        .filter(|m| m.gpus.contains(&gpu.index))
                        .map(|m| m.bytes_per_gpu);
                    if mine.is_empty() && planned.is_none() {
                        return None;
                    }
                    let used = mine
                        .iter()
                        .filter_map(|p| p.used_bytes)
                        .reduce(|a, b| a + b);
                    Some(EngineUse {
                        engine: engine.name.clone(),
                        used_bytes: used,
                        planned_bytes: planned,
                    })
                })
                .collect();
            GpuProcesses {
                gpu: gpu.index,
                processes,
                engines: engines_here,
            }
        })
        .collect()
}

/// The process group of `pid`, from `/proc/<pid>/stat` (Linux); `None` when unreadable.
pub fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_process_group(&stat)
}

/// The fifth field of a `/proc/<pid>/stat` line; the name in parentheses may hold spaces.
fn parse_process_group(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineKind, EngineState, PlannedMemory};
    use crate::hardware::GpuProcess;

    const GIB: u64 = 1 << 30;

    fn engine(name: &str, pid: Option<u32>, planned: Option<(Vec<u32>, u64)>) -> EngineStatus {
        EngineStatus {
            name: name.into(),
            kind: EngineKind::Vllm,
            state: EngineState::Ready,
            pid,
            base_url: String::new(),
            restarts: 0,
            since_ms: 0,
            failure: None,
            next_start_ms: None,
            command_line: String::new(),
            log_path: Default::default(),
            planned_memory: planned.map(|(gpus, bytes_per_gpu)| PlannedMemory {
                gpus,
                bytes_per_gpu,
            }),
            warnings: Vec::new(),
            remedy: None,
            download_job: None,
        }
    }

    fn gpu(index: u32, processes: &[(u32, &str, u64)]) -> GpuSample {
        GpuSample {
            index,
            processes: processes
                .iter()
                .map(|&(pid, name, bytes)| GpuProcess {
                    pid,
                    name: Some(name.into()),
                    used_memory_bytes: Some(bytes * GIB),
                })
                .collect(),
            ..GpuSample::default()
        }
    }

    #[test]
    fn an_engines_workers_are_found_by_their_process_group_and_held_against_the_plan() {
        // vLLM at pid 100 with tensor parallelism: its workers 101 and 102 hold the GPUs.
        let gpus = [
            gpu(0, &[(101, "VLLM::Worker", 70), (555, "python3", 2)]),
            gpu(1, &[(102, "VLLM::Worker", 71)]),
            gpu(2, &[]),
        ];
        let engines = [
            engine("mistral", Some(100), Some((vec![0, 1], 72 * GIB))),
            engine("tiny", Some(300), None),
        ];
        let group = |pid: u32| match pid {
            101 | 102 => Some(100),
            555 => Some(555),
            _ => None,
        };
        let view = gpu_processes(&gpus, &engines, &group);
        assert_eq!(view[0].processes[0].engine.as_deref(), Some("mistral"));
        assert_eq!(
            view[0].processes[1].engine, None,
            "another program's process"
        );
        assert_eq!(
            view[1].engines,
            vec![EngineUse {
                engine: "mistral".into(),
                used_bytes: Some(71 * GIB),
                planned_bytes: Some(72 * GIB),
            }]
        );
        assert!(
            view[2].engines.is_empty(),
            "no engine planned or found there"
        );
    }

    #[test]
    fn a_planned_engine_not_yet_on_its_gpu_shows_its_plan_alone() {
        let gpus = [gpu(0, &[(7000, "vllm", 70)])];
        let engines = [engine("loading", None, Some((vec![0], 60 * GIB)))];
        let view = gpu_processes(&gpus, &engines, &|_| None);
        assert_eq!(
            view[0].processes[0].engine, None,
            "a pid of nobody we started"
        );
        assert_eq!(view[0].engines[0].used_bytes, None);
        assert_eq!(view[0].engines[0].planned_bytes, Some(60 * GIB));
    }

    #[test]
    fn the_process_group_is_read_past_a_name_with_spaces() {
        let stat = "4242 (VLLM::Worker TP0) S 4200 4200 4200 0 -1 4194560 1234";
        assert_eq!(parse_process_group(stat), Some(4200));
        assert_eq!(parse_process_group("garbage"), None);
        assert_eq!(
            process_group(std::process::id()).is_some(),
            cfg!(target_os = "linux")
        );
    }
}
