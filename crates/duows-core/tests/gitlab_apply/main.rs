//! GitLab configured through its GraphQL API, against a test GitLab that validates every
//! document and its variables against GitLab's real schemas (18.6 and 19.1) and executes them
//! on an in-memory instance: the whole read → plan → apply → read-back flow on both versions,
//! each failure that must stop before any further change, and the documents themselves.

mod failures;
mod flow;
mod schema_checks;
mod test_gitlab;

use std::collections::BTreeMap;

use duows_base::Secret;
use duows_core::catalog::Catalog;
use duows_core::gitlab::{
    desired_for_settings, DesiredConfig, DesiredInputs, GitlabClient, GitlabUrl,
};
use duows_core::settings::{ExternalDeployment, Platform, Settings};

/// The gateway key GitLab is to send to this app's gateway.
pub const GATEWAY_KEY: &str = "dwk_gatewaykey_0123456789abcdef";

/// Routes as a user would set them: an external deployment serving Codestral for
/// completion, a catalog engine for chat (its sub-features fall back to it) and code review,
/// a model outside the catalog for generation, GPT-OSS for agentic chat, a Bedrock model for
/// test generation, and refactoring turned off.
pub fn settings() -> Settings {
    let mut settings = Settings::default();
    for (feature, target) in [
        ("code_completions", "gpu-2"),
        ("duo_chat", "mistral-7b-instruct-v0.3"),
        ("code_generations", "my-finetune"),
        ("review_merge_request", "mistral-7b-instruct-v0.3"),
        ("duo_agent_platform_agentic_chat", "gpt-oss-120b"),
    ] {
        settings.features.insert(feature.into(), target.into());
    }
    settings.deployments.push(ExternalDeployment::openai(
        "gpu-2",
        "http://gpu-2.internal:8000/v1",
        "mistralai/Codestral-22B-v0.1",
    ));
    // A Bedrock model GitLab's AI gateway calls itself, and a feature turned off.
    settings.deployments.push(ExternalDeployment {
        platform: Platform::Bedrock,
        region: Some("us-east-1".into()),
        ..ExternalDeployment::openai("claude", "", BEDROCK_MODEL)
    });
    settings
        .features
        .insert("duo_chat_write_tests".into(), "claude".into());
    settings
        .disabled_features
        .insert("duo_chat_refactor_code".into());
    settings.validate().expect("valid settings");
    settings
}

/// The Bedrock model of [`settings`].
pub const BEDROCK_MODEL: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";

/// The configuration the app wants for [`settings`].
pub fn desired() -> DesiredConfig {
    let catalog = Catalog::builtin().expect("catalog");
    let settings = settings();
    let mut inputs = DesiredInputs::parse(
        "gpu-box.example.com",
        Some("http://aigw.example.com:5052"),
        Some(120),
        Some(Secret::new(GATEWAY_KEY)),
    )
    .expect("inputs");
    inputs.gateway_requires_key = true;
    desired_for_settings(&settings, catalog, &BTreeMap::new(), inputs)
}

/// A client of the GitLab at `url` with `token`.
pub fn client(url: &str, token: &str) -> GitlabClient {
    GitlabClient::new(GitlabUrl::parse(url).expect("url"), Secret::new(token)).expect("client")
}
