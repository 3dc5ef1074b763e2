//! An engine across nodes on the head: the model is fitted over the head and its online
//! nodes, the start is checked as on one node (the head's engine, weights, GPUs, fit, free
//! memory), Ray is formed with the fit's tensor-parallel size on every node, and once Ray
//! holds the GPUs the head's `vllm serve … --distributed-executor-backend ray` starts under
//! the supervisor (with `RAY_ADDRESS` naming this cluster). A cluster that fails (a node
//! stops answering, a Ray process ends) fails the engine with that reason; a stop stops the
//! engine first, then Ray on every node.

use std::sync::Arc;

use duows_core::cluster::{ClusterMachine, ClusterStartRequest, RayClusterState, RayClusterStatus};
use duows_core::engine::cluster::ClusterPlan;
use duows_core::engine::{
    EnvValue, EnvVar, Failure, FailureKind, LaunchPlan, SupervisionPolicy, Supervisor,
};

use crate::{ApiError, ApiState, ErrorCode};

/// Starts the Ray cluster and, when `params.engine` names a model, the engine on it.
pub(super) async fn start(
    state: &ApiState,
    mut params: ClusterStartRequest,
) -> Result<RayClusterStatus, ApiError> {
    let cluster = state.cluster();
    let Some(engine) = params.engine.take() else {
        return cluster
            .start(params)
            .await
            .map_err(super::cluster_errors::cluster_error);
    };
    let (nodes, network) = cluster
        .network(&params)
        .map_err(super::cluster_errors::cluster_error)?;
    let count = nodes.len() as u32 + 1;
    let (plan, checks) =
        super::launch::prepare_cluster_start(state, &engine, count, &network).await?;
    if let Some(refusal) = checks.refusal() {
        return Err(ApiError::new(ErrorCode::PreflightFailed, refusal));
    }
    params.gpus_per_node = plan.gpus / count;
    let supervisor = state.supervisor()?;
    let status = cluster
        .start(params)
        .await
        .map_err(super::cluster_errors::cluster_error)?;
    tokio::spawn(serve_when_ready(cluster, supervisor, plan));
    Ok(status)
}

/// Stops the engine on the cluster (if any), then Ray on every node.
pub(super) async fn stop(state: &ApiState) -> Result<RayClusterStatus, ApiError> {
    let cluster = state.cluster();
    if let Some(name) = cluster.set_engine(None) {
        let _ = state.supervisor()?.stop(&name).await;
    }
    Ok(cluster.stop().await)
}

/// The head's `vllm serve`, told which Ray cluster to use.
fn serve_plan(plan: ClusterPlan) -> LaunchPlan {
    let mut serve = plan.serve;
    serve.env.push(EnvVar {
        name: "RAY_ADDRESS".into(),
        value: EnvValue::Plain(plan.head_address),
    });
    serve
}

/// Waits until Ray holds the GPUs, starts the engine, then fails it if the cluster fails.
async fn serve_when_ready(
    cluster: Arc<ClusterMachine>,
    supervisor: Arc<Supervisor>,
    plan: ClusterPlan,
) {
    let mut status = cluster.watch_status();
    loop {
        let state = status.borrow_and_update().state;
        match state {
            RayClusterState::Ready => break,
            RayClusterState::Idle | RayClusterState::Failed => return,
            RayClusterState::Forming => {}
        }
        if status.changed().await.is_err() {
            return;
        }
    }
    let serve = serve_plan(plan);
    let name = serve.served_name.clone();
    let policy = SupervisionPolicy::for_engine(serve.kind);
    if let Err(error) = supervisor.start(serve, policy) {
        tracing::warn!(%error, "the engine on the Ray cluster did not start");
        return;
    }
    cluster.set_engine(Some(name.clone()));
    while status.changed().await.is_ok() {
        let now = status.borrow_and_update().clone();
        if now.state == RayClusterState::Failed {
            let reason = now
                .failure
                .unwrap_or_else(|| "the Ray cluster failed".into());
            let failure = Failure {
                kind: FailureKind::Exited,
                evidence: reason,
                fix: "A node of the engine's Ray cluster failed: check it (`duows cluster nodes`), then start the cluster again.".into(),
            };
            cluster.set_engine(None);
            let _ = supervisor.fail(&name, failure).await;
            return;
        }
        if now.state == RayClusterState::Idle {
            return;
        }
    }
}
