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
pub mod events;
pub mod deployment_checks;
mod error;
pub mod gateway_routes;
pub mod gateway_service;
pub mod http;
mod state;

pub use error::ApiError;
pub use state::{ApiState, StateOptions};
