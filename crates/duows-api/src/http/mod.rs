//! The HTTP transport: the routes, made from the command table ([`crate::contract`]), and
//! their adapters over [`crate::calls`].
//!
//! Keep this file to the route table and three-line handlers; logic lives in `calls`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::routing::{on, MethodFilter};
use axum::{middleware, Json, Router};

mod body;
mod cluster;
mod streams;

use body::{method_not_allowed, unknown_route, JsonBody};
use cluster::{
    cluster_admit, cluster_heartbeat, cluster_join, cluster_nodes, cluster_remove, cluster_start,
    cluster_stop, cluster_token,
};
use streams::{dashboard, event_stream, sample_history, sample_stream};

use crate::access::{enforce, AccessPolicy};
use crate::calls::{self, DescribeRequest};
use crate::contract;
use crate::{ApiError, ApiState, ErrorCode};
use duows_core::engine::EngineStatus;
use duows_core::fit::{FitResult, Recommendation};
use duows_core::hardware::HardwareReport;
use duows_core::sampler::Sample;
use duows_core::settings::Settings;

/// The control API under `/api`, with `fallback` (the web UI) for every other path,
/// all behind `policy`.
pub fn app(state: ApiState, policy: AccessPolicy, fallback: Router) -> Router {
    Routes(Router::new())
        .at("version", version)
        .at("hardware", hardware)
        .at("describe_hardware", describe_hardware)
        .at("latest_sample", latest_sample)
        .at("subscribe_samples", sample_stream)
        .at("subscribe_events", event_stream)
        .at("sample_history", sample_history)
        .at("dashboard", dashboard)
        .at("logs", logs)
        .at("settings", settings)
        .at("update_settings", update_settings)
        .at("catalog", catalog)
        .at("recommend", recommend)
        .at("fit", fit)
        .at("engine_plan", engine_plan)
        .at("engine_start", engine_start)
        .at("engine_status", engine_status)
        .at("engine_stop", engine_stop)
        .at("engine_retry", engine_retry)
        .at("engine_apply_remedy", engine_apply_remedy)
        .at("engine_remove", engine_remove)
        .at("engine_logs", engine_logs)
        .at("engine_install", engine_install)
        .at("model_download", model_download)
        .at("jobs", jobs)
        .at("job_cancel", job_cancel)
        .at("gateway_info", gateway_info)
        .at("gateway_network", gateway_network)
        .at("doctor", doctor)
        .at("config_export", config_export)
        .at("config_import", config_import)
        .at("ai_gateway_status", ai_gateway_status)
        .at("ai_gateway_setup", ai_gateway_setup)
        .at("ai_gateway_start", ai_gateway_start)
        .at("ai_gateway_stop", ai_gateway_stop)
        .at("deployment_test", deployment_test)
        .at("deployment_key", deployment_key)
        .at("features_rated", features_rated)
        .at("setup_status", setup_status)
        .at("setup_update", setup_update)
        .at("setup_check", setup_check)
        .at("setup_test", setup_test)
        .at("keys", keys)
        .at("key_create", key_create)
        .at("key_revoke", key_revoke)
        .at("gitlab_plan", gitlab_plan)
        .at("gitlab_apply", gitlab_apply)
        .at("gitlab_steps", gitlab_steps)
        .at("cluster_token", cluster_token)
        .at("cluster_admit", cluster_admit)
        .at("cluster_heartbeat", cluster_heartbeat)
        .at("cluster_nodes", cluster_nodes)
        .at("cluster_remove", cluster_remove)
        .at("cluster_join", cluster_join)
        .at("cluster_start", cluster_start)
        .at("cluster_stop", cluster_stop)
        .0
        .route("/api/{*rest}", axum::routing::any(unknown_route))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .fallback_service(fallback)
        .layer(middleware::from_fn_with_state(policy, enforce))
}

/// The router under construction; [`Routes::at`] adds a command where the table says.
struct Routes(Router<ApiState>);

impl Routes {
    /// Serves command `name` with `handler`, at the method and path of its table entry.
    fn at<H, T>(self, name: &str, handler: H) -> Self
    where
        H: Handler<T, ApiState>,
        T: 'static,
    {
        let spec = contract::command(name);
        let filter = match spec.method.as_str() {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "DELETE" => MethodFilter::DELETE,
            other => panic!("{name}: method {other} is not served"),
        };
        Self(self.0.route(&spec.path, on(filter, handler)))
    }
}

async fn version() -> Json<calls::VersionInfo> {
    Json(calls::version())
}

async fn hardware(State(state): State<ApiState>) -> Result<Json<HardwareReport>, ApiError> {
    calls::hardware(&state).await.map(Json)
}

async fn describe_hardware(
    State(state): State<ApiState>,
    JsonBody(request): JsonBody<DescribeRequest>,
) -> Result<Json<HardwareReport>, ApiError> {
    calls::describe_hardware(&state, request).await.map(Json)
}

async fn latest_sample(State(state): State<ApiState>) -> Json<Sample> {
    Json(calls::latest_sample(&state))
}

async fn logs(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::LogsParams>,
) -> Result<Json<duows_core::log_search::LogSearch>, ApiError> {
    calls::logs(&state, params).await.map(Json)
}

async fn settings(State(state): State<ApiState>) -> Json<Settings> {
    Json(calls::settings(&state).await)
}

async fn update_settings(
    State(state): State<ApiState>,
    JsonBody(settings): JsonBody<Settings>,
) -> Result<Json<Settings>, ApiError> {
    calls::update_settings(&state, settings).await.map(Json)
}

async fn catalog() -> Result<Json<calls::CatalogView>, ApiError> {
    calls::catalog().map(Json)
}

async fn recommend(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::RecommendParams>,
) -> Result<Json<Recommendation>, ApiError> {
    calls::recommend(&state, params).await.map(Json)
}

async fn fit(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::FitParams>,
) -> Result<Json<FitResult>, ApiError> {
    calls::fit(&state, params).await.map(Json)
}

async fn engine_plan(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::EnginePlanParams>,
) -> Result<Json<calls::EnginePlanView>, ApiError> {
    calls::engine_plan(&state, params).await.map(Json)
}

async fn engine_start(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::EngineStartParams>,
) -> Result<Json<EngineStatus>, ApiError> {
    calls::engine_start(&state, params).await.map(Json)
}

async fn engine_status(State(state): State<ApiState>) -> Result<Json<Vec<EngineStatus>>, ApiError> {
    calls::engine_status(&state).map(Json)
}

async fn engine_stop(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<Json<EngineStatus>, ApiError> {
    calls::engine_stop(&state, &name).await.map(Json)
}

async fn engine_retry(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<Json<EngineStatus>, ApiError> {
    calls::engine_retry(&state, &name).await.map(Json)
}

async fn engine_apply_remedy(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<Json<EngineStatus>, ApiError> {
    calls::engine_apply_remedy(&state, &name).await.map(Json)
}

async fn engine_remove(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<Json<EngineStatus>, ApiError> {
    calls::engine_remove(&state, &name).map(Json)
}

/// `?lines=N` for `engine_logs`.
#[derive(serde::Deserialize)]
struct LogQuery {
    lines: Option<usize>,
}

async fn engine_logs(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<Vec<String>>, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::new(ErrorCode::InvalidParameter, "lines must be a whole number")
            .with_field("lines")
    })?;
    calls::engine_logs(&state, &name, query.lines).map(Json)
}

async fn engine_install(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::InstallParams>,
) -> Result<Json<calls::JobStatus>, ApiError> {
    calls::engine_install(&state, params).map(Json)
}

async fn model_download(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::DownloadParams>,
) -> Result<Json<calls::JobStatus>, ApiError> {
    calls::model_download(&state, params).await.map(Json)
}

async fn jobs(State(state): State<ApiState>) -> Json<Vec<calls::JobStatus>> {
    Json(calls::jobs(&state))
}

async fn job_cancel(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::JobRef>,
) -> Result<Json<calls::JobStatus>, ApiError> {
    calls::job_cancel(&state, &params.id).map(Json)
}

async fn doctor(
    State(state): State<ApiState>,
) -> Result<Json<duows_core::doctor::DoctorReport>, ApiError> {
    calls::doctor(&state).await.map(Json)
}

async fn gateway_info(State(state): State<ApiState>) -> Result<Json<calls::GatewayInfo>, ApiError> {
    calls::gateway_info(&state).await.map(Json)
}

async fn gateway_network(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::GatewayNetworkParams>,
) -> Result<Json<calls::GatewayInfo>, ApiError> {
    calls::gateway_network(&state, params).await.map(Json)
}

async fn keys(
    State(state): State<ApiState>,
) -> Result<Json<Vec<duows_gateway::KeyInfo>>, ApiError> {
    calls::keys(&state).await.map(Json)
}

async fn key_create(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::KeyCreateParams>,
) -> Result<Json<calls::CreatedKey>, ApiError> {
    calls::key_create(&state, params).await.map(Json)
}

async fn key_revoke(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::KeyRevokeParams>,
) -> Result<Json<duows_gateway::KeyInfo>, ApiError> {
    calls::key_revoke(&state, params).await.map(Json)
}

async fn deployment_test(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::DeploymentRef>,
) -> Result<Json<duows_core::deployment_check::DeploymentCheck>, ApiError> {
    calls::deployment_test(&state, params).await.map(Json)
}

async fn deployment_key(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::DeploymentKeyParams>,
) -> Result<Json<duows_core::settings::Settings>, ApiError> {
    calls::deployment_key(&state, params).await.map(Json)
}

async fn features_rated(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::FeaturesRatedParams>,
) -> Result<Json<calls::RatedAssignment>, ApiError> {
    calls::features_rated(&state, params).await.map(Json)
}

async fn setup_status(State(state): State<ApiState>) -> Result<Json<calls::SetupStatus>, ApiError> {
    calls::setup_status(&state).await.map(Json)
}

async fn setup_update(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::SetupUpdateParams>,
) -> Result<Json<calls::SetupStatus>, ApiError> {
    calls::setup_update(&state, params).await.map(Json)
}

async fn setup_check(State(state): State<ApiState>) -> Result<Json<calls::SetupCheck>, ApiError> {
    calls::setup_check(&state).await.map(Json)
}

async fn setup_test(State(state): State<ApiState>) -> Result<Json<calls::SetupTest>, ApiError> {
    calls::setup_test(&state).await.map(Json)
}

async fn ai_gateway_status(
    State(state): State<ApiState>,
) -> Result<Json<calls::AiGatewayStatus>, ApiError> {
    calls::ai_gateway_status(&state).await.map(Json)
}

async fn ai_gateway_setup(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::AiGatewaySetupParams>,
) -> Result<Json<duows_core::aigw::GeneratedFiles>, ApiError> {
    calls::ai_gateway_setup(&state, params).await.map(Json)
}

async fn ai_gateway_start(
    State(state): State<ApiState>,
) -> Result<Json<calls::AiGatewayStatus>, ApiError> {
    calls::ai_gateway_start(&state).await.map(Json)
}

async fn ai_gateway_stop(
    State(state): State<ApiState>,
) -> Result<Json<calls::AiGatewayStatus>, ApiError> {
    calls::ai_gateway_stop(&state).await.map(Json)
}

async fn gitlab_plan(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::GitlabParams>,
) -> Result<Json<duows_core::gitlab::Plan>, ApiError> {
    calls::gitlab_plan(&state, params).await.map(Json)
}

async fn gitlab_apply(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::GitlabParams>,
) -> Result<Json<duows_core::gitlab::ApplyReport>, ApiError> {
    calls::gitlab_apply(&state, params).await.map(Json)
}

async fn gitlab_steps(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::GitlabStepsParams>,
) -> Result<Json<duows_core::gitlab::ManualSteps>, ApiError> {
    calls::gitlab_steps(&state, params).await.map(Json)
}

async fn config_export(
    State(state): State<ApiState>,
) -> Result<Json<calls::ConfigExport>, ApiError> {
    calls::config_export(&state).await.map(Json)
}

async fn config_import(
    State(state): State<ApiState>,
    JsonBody(params): JsonBody<calls::ConfigImportParams>,
) -> Result<Json<calls::ConfigExport>, ApiError> {
    calls::config_import(&state, params).await.map(Json)
}
