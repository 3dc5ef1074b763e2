//! The control API through the real router (no socket): routes, errors, access rules. One test
//! binary for all of them.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod ai_gateway;
mod cluster;
mod config;
mod doctor;
mod engines;
mod gateway;
mod gitlab;
mod hardware;
mod planning;
mod settings;
mod setup;
