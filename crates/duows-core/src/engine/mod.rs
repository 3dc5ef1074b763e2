//! Engines: launch plans for vLLM and llama.cpp's server, installing them, model weights
//! from the hub, the launcher seam, and the supervisor that starts, probes, restarts and stops them.

pub mod classify;
pub mod cluster;
pub mod download;
pub mod folder;
pub mod install;
pub mod installed;
pub mod launch;
pub mod log;
pub mod plan;
pub mod preflight;
pub mod process;
pub mod remedy;
pub mod supervisor;

pub use classify::{Failure, FailureKind};
pub use plan::{
    chat_template, llama_cpp_plan, vllm_plan, EngineKind, EnvValue, EnvVar, LaunchPlan,
    LlamaCppOptions, PlanError, PlanOptions, PlannedMemory, PrepareStep, Secret,
};
pub use preflight::{
    preflight, CheckItem, CheckOutcome, GpuMemoryFacts, Preflight, PreflightCheck, PreflightFacts,
    WeightsFacts,
};
pub use process::{EngineLauncher, EngineProcess, LaunchError, LineSink, ProcessLauncher};
pub use remedy::{Remedy, RemedyChange};
pub use supervisor::{
    EngineEndpoint, EngineState, EngineStatus, SupervisionPolicy, Supervisor, SupervisorError,
};
