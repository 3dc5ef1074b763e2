//! Tools for `bench/gateway.sh`: the load generator's parts (open-model schedule, HTTP client,
//! statistics, memory sampling) and a small argument reader shared with the mock upstream.

pub mod args;
pub mod client;
pub mod instant;
pub mod memory;
pub mod paced;
pub mod schedule;
pub mod stats;
