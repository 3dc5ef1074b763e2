//! The HTTP route table and its one-line handlers; the work lives in `proxy` and `access`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use bytes::Bytes;

use crate::access::front_door;
use crate::errors::{ErrorCode, OpenAiError};
use crate::model_routes::Endpoint;
use crate::proxy::forward;
use crate::state::Shared;

/// Every route, behind the access checks.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/models/{*name}", get(model))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), front_door))
        .with_state(shared)
}

async fn chat_completions(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    forward(shared, Endpoint::ChatCompletions, request).await
}

async fn completions(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    forward(shared, Endpoint::Completions, request).await
}

async fn models(State(shared): State<Arc<Shared>>) -> Response {
    let body = shared.routes().models_json.clone();
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

async fn model(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let routes = shared.routes();
    match routes.model_json(&name) {
        Some(body) => json(body),
        None => routes.unknown_model(&name).into_response(),
    }
}

fn json(body: Bytes) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(CONTENT_TYPE, content_type)], shared.metrics_text()).into_response()
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found(request: Request) -> OpenAiError {
    OpenAiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!(
            "no route `{}`; this gateway serves GET /v1/models, POST /v1/chat/completions and \
             POST /v1/completions",
            request.uri().path()
        ),
    )
}

async fn method_not_allowed(request: Request) -> OpenAiError {
    OpenAiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!(
            "`{}` does not take {}",
            request.uri().path(),
            request.method()
        ),
    )
}
