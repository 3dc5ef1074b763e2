//! Duo Workstation's one API surface.
//!
//! [`calls`] holds the functions every client calls; the desktop shell's Tauri commands
//! and the headless server's HTTP handlers ([`http`]) are both thin adapters over them,
//! so the two transports cannot drift apart. Errors reach every client as
//! [`ApiError`] `{ code, message, field }`. [`gateway_service`] runs the OpenAI-compatible
//! gateway beside it, with routes from [`gateway_routes`] and the external deployments
//! checked by [`deployment_checks`].

pub mod access;
pub mod calls;
pub mod contract;
pub mod deployment_checks;
mod engine_records;
mod error;
pub mod events;
pub mod gateway_listener;
pub mod gateway_routes;
pub mod gateway_service;
pub mod http;
mod state;

pub use error::{ApiError, ErrorCode};
pub use state::{ApiState, StateOptions};
