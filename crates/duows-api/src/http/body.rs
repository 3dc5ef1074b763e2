//! What the HTTP transport reads and answers besides the commands: the JSON body extractor
//! that names the field at fault, errors as JSON responses, and the answers for an unknown
//! route or method.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::{ApiError, ErrorCode};

pub(super) async fn unknown_route() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such API route")
}

pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this API route does not take that method",
    )
}

/// A JSON request body. A body that is not the expected JSON is an [`ApiError`] that says
/// where (line and column) and, for a value of the wrong type, names the field.
pub(super) struct JsonBody<T>(pub(super) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON, with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(ErrorCode::InvalidBody, e.body_text()))?;
        let mut decoder = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut decoder).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            // A value of the wrong shape is 422, broken JSON is 400 (as axum's `Json` does).
            let code = if inner.is_data() {
                ErrorCode::InvalidFields
            } else {
                ErrorCode::InvalidBody
            };
            if path == "." || path.is_empty() {
                ApiError::new(code, inner.to_string())
            } else {
                ApiError::new(code, format!("{path}: {inner}")).with_field(path)
            }
        })?;
        // Nothing but whitespace may follow the value.
        decoder
            .end()
            .map_err(|e| ApiError::new(ErrorCode::InvalidBody, e.to_string()))?;
        Ok(Self(value))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}
