//! GitLab Duo Self-Hosted configured from this app, through GitLab's GraphQL API: what this
//! app wants GitLab to hold (one self-hosted model per routed gateway alias, each feature
//! pointing at its model), what GitLab holds, the difference as a plan in words, and applying
//! it only when asked.
//!
//! - [`address`]: the validated inputs — GitLab's URL and the address GitLab reaches this
//!   machine's gateway at (never a loopback name).
//! - [`desired`]: the wanted configuration, derived from the settings and the catalog (pure).
//! - [`documents`]: every GraphQL document sent, and its variables, shaped per GitLab version.
//! - [`model`]: GitLab's objects (self-hosted model, feature setting, Duo settings).
//! - [`client`], [`read`]: the HTTP transport, and reading a GitLab's version and state.
//! - [`plan`]: the difference (pure); [`apply`]: sending it, stopping at the first refusal.
//! - [`manual`]: the same configuration as values to type into GitLab's admin pages.
//!
//! Invariant: GitLab's token and the gateway key are [`duows_base::Secret`]s; they travel
//! in a header or a request's variables and nowhere else — not in a plan, a log line, an
//! error or a `Debug` dump.

pub mod address;
pub mod apply;
pub mod client;
pub mod desired;
pub mod documents;
pub mod manual;
pub mod model;
pub mod plan;
mod plan_settings;
mod plan_types;
pub mod read;
mod shape;

mod error;
mod text;

#[cfg(test)]
mod plan_tests;

pub use address::{GatewayAddress, GitlabUrl};
pub use apply::{apply, ApplyReport, ConnectionCheck, ModelKeys};
pub use client::GitlabClient;
pub use desired::{
    desired_config, desired_for_settings, served_models_of, DesiredConfig, DesiredInputs,
    DesiredModel,
};
pub use documents::ApiShape;
pub use error::GitlabError;
pub use manual::{manual_steps, ManualSteps};
pub use model::{FeatureProvider, GitlabState};
pub use plan::{plan, FeatureAction, ModelAction, Plan, PlannedModel};
pub use read::read_state;

/// Reads `client`'s GitLab and plans `desired` against it.
pub async fn plan_against(
    client: &GitlabClient,
    desired: &DesiredConfig,
) -> Result<Plan, GitlabError> {
    let state = read_state(client).await?;
    Ok(plan(client.url().as_str(), desired, &state))
}
