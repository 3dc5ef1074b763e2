//! Engines: launch plans for vLLM and llama.cpp's server, and the processes that run them.

pub mod plan;

pub use plan::{
    chat_template, llama_cpp_plan, vllm_plan, EngineKind, EnvValue, EnvVar, LaunchPlan,
    LlamaCppOptions, PlanError, PlanOptions, PrepareStep, Secret,
};
