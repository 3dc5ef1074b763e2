//! The download benchmark's test hub: [`repo`] generates a repository of
//! safetensors-shaped files with their SHA-256 sums; the `hub` binary serves it.

pub mod repo;
