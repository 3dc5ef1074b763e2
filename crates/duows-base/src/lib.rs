//! The small pieces both servers (the control API and the gateway) and the core share,
//! written once. No hardware, no HTTP client, no window: a crate that depends on this one
//! builds anywhere.
//!
//! - [`secret`]: a value that never prints, logs or serialises ([`Secret`]).
//! - [`access`]: whether a request's `Host` and `Origin` name this machine (the
//!   DNS-rebinding defence), and bearer tokens compared in constant time.
//! - [`files`]: atomic writes with a mode, the stamp that tells another program's change,
//!   and clean-up after killed writers; [`file_watch`]: noticing at once that another
//!   program replaced a file.
//! - [`clock`]: the epoch clock (milliseconds, seconds) and RFC 3339 timestamps.

pub mod access;
pub mod clock;
pub mod file_watch;
pub mod files;
pub mod secret;

pub use secret::Secret;
