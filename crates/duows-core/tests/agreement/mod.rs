//! Reading the shared start-up records and turning each into the launch it describes: the
//! model from its `config.json`, the checkpoint's bytes in the format the record names, the
//! GPU's total as CUDA reports it, and vLLM's defaults where the record shows none.

use std::path::{Path, PathBuf};

use duows_core::catalog::{read_config_model, ConfigModel, Quantization};
use duows_core::fit::memory::{self, FitConstants, Runtime};
use duows_core::fit::startup::{estimate_start, StartEstimate, StartInput, StartOutcome};
use duows_core::fit::vllm::{self, VllmVersion};
use serde_json::Value;

const GIB: f64 = (1u64 << 30) as f64;

/// What vLLM logged.
pub struct Real {
    pub outcome: String,
    pub outcome_ok: bool,
    pub kv_gib: Option<f64>,
    pub weights_gib: Option<f64>,
    pub non_torch_gib: Option<f64>,
    pub activation_gib: Option<f64>,
    pub graphs_gib: Option<f64>,
}

/// A record the estimate could describe.
pub struct Described {
    pub id: String,
    pub version: String,
    pub tp: u32,
    pub estimate: StartEstimate,
    pub real: Real,
}

impl Described {
    pub fn predicted_serves(&self) -> bool {
        self.estimate.outcome == StartOutcome::Serves
    }
}

/// A record left out, and why.
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// The records, when the shared data is there.
pub fn load_records() -> Option<Vec<Value>> {
    let text = std::fs::read_to_string(shared().join("vllm-startup-memory.jsonl")).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a JSON record"))
            .collect(),
    )
}

/// The config file for the record's model: `org--name.json` (any letter case), or one whose
/// provenance lists the record's model string as an alias.
fn config_for(model: &str) -> Option<PathBuf> {
    let dir = shared().join("model-configs");
    let wanted = format!("{}.json", model.replace('/', "--")).to_lowercase();
    for entry in std::fs::read_dir(&dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if name == wanted {
            return Some(entry.path());
        }
    }
    let provenance: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("_provenance.json")).ok()?).ok()?;
    provenance.as_object()?.iter().find_map(|(file, facts)| {
        let aliases = facts.get("record_aliases")?.as_array()?;
        aliases
            .iter()
            .any(|a| a.as_str() == Some(model))
            .then(|| dir.join(file))
    })
}

/// CUDA's total for GPUs the record names without it (figures from `vllm-memory.md`).
fn known_total(gpu: &str) -> Option<f64> {
    let gpu = gpu.to_ascii_uppercase();
    [
        ("H200", 139.81),
        ("H100", 79.19),
        ("A100 80", 79.25),
        ("L40S", 44.42),
        ("RTX 4090", 23.99),
        ("RTX 4080", 15.99),
    ]
    .iter()
    .find(|(name, _)| gpu.contains(name))
    .map(|(_, total)| *total)
}

/// Bytes per weight of the format the record names, for a config that carries none (the
/// record's checkpoint is a quantized re-release of the config's model).
fn record_format(record: &Value) -> Option<(f64, &'static str)> {
    let name = record["model"].as_str().unwrap_or_default().to_lowercase();
    let q = record["quantization"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    if name.contains("w4a16")
        || name.contains("awq")
        || name.contains("gptq")
        || q.contains("awq")
        || q.contains("gptq")
    {
        Some((0.5 + 4.0 / 128.0, "4-bit, group 128"))
    } else if name.contains("nvfp4") || q.contains("fp4") {
        Some((0.5 + 1.0 / 16.0, "NVFP4"))
    } else if name.contains("fp8")
        || name.contains("w8a8")
        || q.starts_with("fp8")
        || q.contains("(fp8)")
    {
        Some((1.0, "8-bit"))
    } else if record["dtype"].as_str() == Some("float32") {
        Some((4.0, "float32"))
    } else {
        None
    }
}

/// The checkpoint's bytes as vLLM loads it: the config's own estimate, or its parameters in
/// the record's format with the embeddings kept 16-bit.
fn weight_bytes(record: &Value, own: &ConfigModel, config: &Value) -> u64 {
    let variant = &own.model.variants[0];
    let loaded = memory::loaded_weight_bytes(variant.weight_bytes, variant.quantization);
    let Some((bytes_per_weight, _)) = record_format(record) else {
        return loaded;
    };
    if variant.quantization != Quantization::Bf16 {
        return loaded;
    }
    let arch = own.model.arch.as_ref().expect("arch");
    let text = config.get("text_config").unwrap_or(config);
    let tied = text["tie_word_embeddings"]
        .as_bool()
        .or(config["tie_word_embeddings"].as_bool())
        .unwrap_or(false);
    let embedding = f64::from(arch.vocab) * f64::from(arch.hidden) * if tied { 1.0 } else { 2.0 };
    let embedding_bytes = if bytes_per_weight > 2.0 { 4.0 } else { 2.0 };
    ((arch.params as f64 - embedding) * bytes_per_weight + embedding * embedding_bytes) as u64
}

fn f(record: &Value, key: &str) -> Option<f64> {
    record.get(key).and_then(Value::as_f64)
}

fn u(record: &Value, key: &str) -> Option<u32> {
    record.get(key).and_then(Value::as_u64).map(|v| v as u32)
}

/// Predicts the record's start, or says why it cannot.
pub fn describe(record: &Value) -> Result<Described, Skipped> {
    let model = record["model"].as_str().unwrap_or("?");
    let gpu = record["gpu_model"].as_str().unwrap_or_default();
    let id = format!(
        "{model} on {}",
        if gpu.is_empty() {
            "an unnamed GPU"
        } else {
            gpu
        }
    );
    let skip = |reason: &str| Skipped {
        id: id.clone(),
        reason: reason.to_owned(),
    };
    let outcome = record["outcome"].as_str().unwrap_or_default().to_owned();
    let outcome_ok = outcome == "ok";
    if outcome_ok && f(record, "kv_cache_gib").is_none() {
        return Err(skip("no KV cache size in the record"));
    }
    if u(record, "pipeline_parallel_size").unwrap_or(1) > 1 {
        return Err(skip("pipeline parallelism is not planned by the fit"));
    }
    let path = config_for(model).ok_or_else(|| skip("no config.json for this model"))?;
    let own = read_config_model(&path).map_err(|e| skip(&format!("config not described: {e}")))?;
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("config")).expect("json");
    let arch = own.model.arch.clone().expect("arch");
    let total_gib = f(record, "gpu_total_gib")
        .or_else(|| known_total(gpu))
        .ok_or_else(|| skip("the GPU's total memory is not in the record"))?;
    let total = (total_gib * GIB) as u64;
    let tp = u(record, "tensor_parallel_size").unwrap_or(1);
    let stated = record["vllm_version"].as_str();
    let version: VllmVersion = stated
        .and_then(|v| v.parse().ok())
        .unwrap_or(VllmVersion::new(0, 10, 0));
    let version_text = stated.map_or("≥0.10?".to_owned(), |_| version.to_string());
    let (default_seqs, default_mnbt) = vllm::server_defaults(total, gpu);
    let max_num_seqs = u(record, "max_num_seqs").unwrap_or(default_seqs);
    let max_num_batched_tokens = u(record, "max_num_batched_tokens").unwrap_or(default_mnbt);
    let capture_sizes = if record["enforce_eager"].as_bool() == Some(true) {
        0
    } else {
        u(record, "cudagraph_capture_sizes_count")
            .unwrap_or_else(|| vllm::capture_sizes(vllm::default_max_capture_size(max_num_seqs)))
    };
    let upper = gpu.to_ascii_uppercase();
    let notes = record["notes"].as_str().unwrap_or_default();
    let nvlink = tp > 1
        && (["H100", "H200", "A100", "B200", "GB200"]
            .iter()
            .any(|g| upper.contains(g))
            || notes.contains("MNNVL"))
        && !upper.contains("PCIE");
    let runtime = Runtime {
        vllm: version,
        tp,
        nvlink,
        max_num_seqs,
        max_num_batched_tokens,
        capture_sizes,
    };
    let kv_dtype = record["kv_cache_dtype"].as_str().unwrap_or("auto");
    let constants = FitConstants {
        kv_bytes: if kv_dtype.starts_with("fp8") { 1 } else { 2 },
        ..FitConstants::default()
    };
    let free_bytes = f(record, "gpu_free_at_start_gib")
        .map(|free| (free * GIB) as u64 + memory::pre_start_bytes(tp, nvlink));
    let input = StartInput {
        arch: &arch,
        weight_bytes: weight_bytes(record, &own, &config),
        total_bytes: total,
        free_bytes,
        gpu_memory_utilization: f(record, "gpu_memory_utilization").unwrap_or(0.9),
        max_model_len: u(record, "max_model_len").unwrap_or(arch.context),
        runtime,
        constants: &constants,
    };
    Ok(Described {
        id,
        version: version_text,
        tp,
        estimate: estimate_start(&input),
        real: Real {
            outcome,
            outcome_ok,
            kv_gib: f(record, "kv_cache_gib"),
            weights_gib: f(record, "weights_gib"),
            non_torch_gib: f(record, "non_torch_gib"),
            activation_gib: f(record, "activation_peak_gib"),
            graphs_gib: f(record, "cuda_graph_gib"),
        },
    })
}
