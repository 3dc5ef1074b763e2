//! The HTTP transport's cluster commands: joining (the join token or the node's key come
//! as a bearer token), heartbeats, the nodes, and the Ray cluster's start and stop.

use axum::extract::State;
use axum::Json;

use super::body::JsonBody;
use crate::calls;
use crate::{ApiError, ApiState};

pub(super) async fn cluster_token(
    State(state): State<ApiState>,
) -> Result<Json<duows_core::cluster::IssuedToken>, ApiError> {
    calls::cluster_token(&state).await.map(Json)
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    duows_base::access::bearer_token(headers).map(str::to_owned)
}

pub(super) async fn cluster_admit(
    State(state): State<ApiState>,
    headers: axum::http::HeaderMap,
    JsonBody(params): JsonBody<duows_core::cluster::JoinRequest>,
) -> Result<Json<duows_core::cluster::Joined>, ApiError> {
    calls::cluster_admit(&state, bearer(&headers), params)
        .await
        .map(Json)
}

pub(super) async fn cluster_heartbeat(
    State(state): State<ApiState>,
    headers: axum::http::HeaderMap,
    JsonBody(params): JsonBody<duows_core::cluster::Heartbeat>,
) -> Result<Json<duows_core::cluster::HeartbeatAnswer>, ApiError> {
    calls::cluster_heartbeat(&state, bearer(&headers), params)
        .await
        .map(Json)
}

pub(super) async fn cluster_nodes(
    State(state): State<ApiState>,
) -> Result<Json<calls::ClusterView>, ApiError> {
    calls::cluster_nodes(&state).await.map(Json)
}

pub(super) async fn cluster_remove(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::ClusterRemoveParams>,
) -> Result<Json<duows_core::cluster::NodeView>, ApiError> {
    calls::cluster_remove(&state, params).await.map(Json)
}

pub(super) async fn cluster_join(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::ClusterJoinParams>,
) -> Result<Json<calls::ClusterView>, ApiError> {
    calls::cluster_join(&state, params).await.map(Json)
}

pub(super) async fn cluster_start(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<duows_core::cluster::ClusterStartRequest>,
) -> Result<Json<duows_core::cluster::RayClusterStatus>, ApiError> {
    calls::cluster_start(&state, params).await.map(Json)
}

pub(super) async fn cluster_stop(
    State(state): State<ApiState>,
) -> Result<Json<duows_core::cluster::RayClusterStatus>, ApiError> {
    calls::cluster_stop(&state).await.map(Json)
}
