//! Integration tests of the gateway: real sockets on 127.0.0.1, mock engines written with
//! axum. One test binary for all of them.

mod access;
mod common;
mod context_fit;
mod engine_errors;
mod failures;
mod mocks;
mod observability;
mod proxying;
mod replicas;
mod streaming;
mod validation;
