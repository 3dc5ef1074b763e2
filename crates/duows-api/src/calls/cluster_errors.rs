//! The cluster calls' errors as the API says them: a bad field named, a refused token or
//! node key as 401, Ray's own failures as internal errors.

use duows_core::cluster::{ClusterError, RegistryError};

use crate::{ApiError, ErrorCode};

pub(super) fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}

pub(super) fn registry_error(error: RegistryError) -> ApiError {
    match error {
        RegistryError::Invalid { field, .. } => {
            ApiError::new(ErrorCode::InvalidParameter, error.to_string()).with_field(field)
        }
        RegistryError::Unauthorized(message) => unauthorized(&message),
        RegistryError::UnknownNode(_) => {
            ApiError::new(ErrorCode::InvalidParameter, error.to_string()).with_field("node")
        }
        RegistryError::File { .. } => ApiError::internal(error.to_string()),
    }
}

pub(super) fn cluster_error(error: ClusterError) -> ApiError {
    match error {
        ClusterError::Invalid { field, .. } => {
            ApiError::new(ErrorCode::InvalidParameter, error.to_string()).with_field(field)
        }
        ClusterError::Registry(error) => registry_error(error),
        ClusterError::Head(message) => {
            ApiError::new(ErrorCode::InvalidParameter, message).with_field("head_url")
        }
        ClusterError::Ray(message) => ApiError::internal(message),
    }
}
