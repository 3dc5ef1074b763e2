//! Read → plan → apply → read back, as GitLab 18.6 and as GitLab 19.1.

use duows_base::Secret;
use duows_core::catalog::Family;
use duows_core::gitlab::model::family_name;
use duows_core::gitlab::plan::{FeatureAction, ModelAction};
use duows_core::gitlab::{apply, plan_against, ApiShape, ModelKeys};

use crate::test_gitlab::world::{Model, World};
use crate::test_gitlab::{Flavor, TestGitlab, TOKEN};
use crate::{client, desired, BEDROCK_MODEL, GATEWAY_KEY};

const ENDPOINT: &str = "http://gpu-box.example.com:8000/v1";

/// A GitLab someone already set up: a model of another team, and this app's completion
/// model at an old address, used by Code Completion.
fn used_world(flavor: Flavor) -> World {
    let mut world = World::new(flavor);
    let provider = (flavor == Flavor::Gitlab19).then(|| "API".to_owned());
    world.add_model(Model {
        id: 0,
        name: "team-llama".into(),
        family: "llama3".into(),
        endpoint: Some("http://llama.internal:8000/v1".into()),
        identifier: Some("custom_openai/llama".into()),
        api_token: Some("team-secret".into()),
        provider: provider.clone(),
    });
    let old = world.add_model(Model {
        id: 0,
        name: "duo-workstation-duo-code-completion".into(),
        family: "codestral".into(),
        endpoint: Some("http://old-box:8000/v1".into()),
        identifier: Some("custom_openai/duo-code-completion".into()),
        api_token: None,
        provider,
    });
    let completion = world
        .features
        .iter_mut()
        .find(|f| f.key == "code_completions")
        .expect("feature");
    completion.provider = "self_hosted".into();
    completion.model_id = Some(old);
    world
}

async fn whole_flow(flavor: Flavor) {
    let gitlab = TestGitlab::start(flavor, used_world(flavor)).await;
    let client = client(&gitlab.url, TOKEN);
    let desired = desired();

    // Read and plan: nothing is changed.
    let plan = plan_against(&client, &desired).await.expect("plan");
    assert!(
        gitlab.world().mutations().is_empty(),
        "planning sends no mutation"
    );
    let text = plan.to_string();
    assert_eq!(plan.gitlab_version, flavor.version());
    let expected_shape = if flavor == Flavor::Gitlab19 {
        ApiShape::Gitlab19
    } else {
        ApiShape::Gitlab18
    };
    assert_eq!(plan.shape, expected_shape);
    let planned = |name: &str| {
        plan.models
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    match &planned("duo-workstation-duo-code-completion").action {
        ModelAction::Update { changes, .. } => {
            assert!(
                changes
                    .iter()
                    .any(|c| c
                        .contains("http://old-box:8000/v1 → http://gpu-box.example.com:8000/v1")),
                "{changes:?}"
            );
            assert!(
                changes.iter().any(|c| c.contains("API token")),
                "{changes:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        planned("duo-workstation-duo-code-completion").family,
        Family::Codestral,
        "the external deployment's model"
    );
    assert_eq!(
        planned("duo-workstation-duo-chat").action,
        ModelAction::Create
    );
    assert_eq!(planned("duo-workstation-duo-chat").family, Family::Mistral);
    assert_eq!(
        planned("duo-workstation-duo-code-generation").family,
        Family::General,
        "outside the catalog"
    );
    // The test GitLab accepts no MISTRAL for Code Review, though the catalog does: GitLab wins.
    assert_eq!(
        planned("duo-workstation-duo-review-merge-request").family,
        Family::General
    );
    assert!(text.contains("does not accept MISTRAL"), "{text}");
    assert!(
        text.contains("duo_chat_troubleshoot_job") && text.contains("beta"),
        "{text}"
    );
    let completion = plan
        .features
        .iter()
        .find(|f| f.feature == "code_completions")
        .expect("completion");
    assert_eq!(
        completion.action,
        FeatureAction::Keep,
        "it uses the model being updated already"
    );
    if flavor == Flavor::Gitlab19 {
        assert_eq!(
            planned("duo-workstation-duo-agent-platform-agentic-chat").family,
            Family::Gpt
        );
    } else {
        assert!(
            text.contains("duo_agent_platform_agentic_chat) is not a feature GitLab 18.6 knows"),
            "{text}"
        );
        assert!(text.contains("no API for the AI gateway timeout"), "{text}");
    }

    // Apply.
    let key = Secret::new(GATEWAY_KEY);
    let no_keys = std::collections::BTreeMap::new();
    let keys = ModelKeys {
        gateway: Some(&key),
        deployments: &no_keys,
    };
    let report = apply(&client, &plan, keys).await.expect("apply");
    let report_text = report.to_string();
    assert!(!report_text.contains(GATEWAY_KEY) && !report_text.contains(TOKEN));
    assert_eq!(report.connection_checks.len(), plan.models.len());
    for check in &report.connection_checks {
        assert_eq!(check.success, Some(true), "{check:?}");
        assert_eq!(
            check.message.as_deref(),
            Some("Successfully connected to the self-hosted model")
        );
        assert!(
            check.model == "duo-workstation-claude"
                || check
                    .details
                    .as_deref()
                    .is_some_and(|d| d.contains(ENDPOINT)),
            "{check:?}"
        );
    }

    {
        let world = gitlab.world();
        assert!(
            world.rejected.is_empty(),
            "the schema rejected: {:#?}",
            world.rejected
        );
        assert!(world
            .requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
        assert!(
            world
                .requests
                .iter()
                .all(|r| !r.variables.to_string().contains(TOKEN)),
            "the token travels in the header only"
        );
        for planned in plan.models.iter().filter(|m| m.provider == "API") {
            let model = world
                .model(&planned.name)
                .unwrap_or_else(|| panic!("{} in GitLab", planned.name));
            assert_eq!(model.endpoint.as_deref(), Some(ENDPOINT));
            assert_eq!(
                model.identifier.as_deref(),
                Some(planned.identifier.as_str())
            );
            assert_eq!(
                model.api_token.as_deref(),
                Some(GATEWAY_KEY),
                "{}",
                planned.name
            );
            assert_eq!(model.family.to_uppercase(), family_name(planned.family));
            let expected_provider = (flavor == Flavor::Gitlab19).then_some("API");
            assert_eq!(model.provider.as_deref(), expected_provider);
        }
        for feature in &plan.features {
            let setting = world.feature(&feature.feature).expect("feature");
            let Some(model_name) = &feature.model_name else {
                assert_eq!(setting.provider, "disabled", "{}", feature.feature);
                continue;
            };
            let model = world.model(model_name).expect("model");
            assert_eq!(setting.provider, "self_hosted", "{}", feature.feature);
            assert_eq!(setting.model_id, Some(model.id), "{}", feature.feature);
        }
        assert_eq!(
            world
                .feature("duo_chat_refactor_code")
                .expect("refactor")
                .provider,
            "disabled"
        );
        let claude = world
            .model("duo-workstation-claude")
            .expect("the Bedrock model");
        assert_eq!(
            claude.identifier.as_deref(),
            Some(format!("bedrock/{BEDROCK_MODEL}").as_str())
        );
        assert_eq!(claude.family.to_uppercase(), "CLAUDE_3");
        assert_eq!(claude.api_token, None, "Bedrock is given no key");
        match flavor {
            Flavor::Gitlab19 => {
                assert_eq!(claude.provider.as_deref(), Some("BEDROCK"));
                assert_eq!(claude.endpoint, None, "19.x takes no endpoint for Bedrock");
            }
            _ => assert_eq!(
                claude.endpoint.as_deref(),
                Some("https://bedrock-runtime.us-east-1.amazonaws.com"),
                "18.x requires an endpoint: Bedrock's runtime in the AI gateway's region"
            ),
        }
        let team = world.model("team-llama").expect("someone else's model");
        assert_eq!(
            team.endpoint.as_deref(),
            Some("http://llama.internal:8000/v1"),
            "left as it was"
        );
        assert_eq!(
            world.duo.ai_gateway_url.as_deref(),
            Some("http://aigw.example.com:5052")
        );
        let expected_timeout = (flavor == Flavor::Gitlab19).then_some(120);
        assert_eq!(world.duo.timeout_seconds, expected_timeout);
        // One feature update per model whose features change.
        let feature_updates = world
            .mutations()
            .iter()
            .filter(|m| m.operation.as_deref() == Some("DuoWorkstationFeatureUpdate"))
            .count();
        let models_with_changes: std::collections::BTreeSet<Option<&str>> = plan
            .features
            .iter()
            .filter(|f| f.action != FeatureAction::Keep)
            .map(|f| f.model_name.as_deref())
            .collect();
        assert_eq!(feature_updates, models_with_changes.len());
    }

    // Read back: GitLab holds exactly the desired configuration.
    let again = plan_against(&client, &desired).await.expect("read back");
    assert_eq!(again.change_count(), 0, "{again}");
    assert!(again
        .models
        .iter()
        .all(|m| matches!(m.action, ModelAction::Keep { .. })));
    assert!(again
        .features
        .iter()
        .all(|f| f.action == FeatureAction::Keep));
    assert_eq!(again.models.len(), plan.models.len());
    assert!(again.to_string().contains("nothing to change"));
    assert!(gitlab.world().rejected.is_empty());
}

#[tokio::test]
async fn gitlab_18_6_is_configured_and_read_back() {
    whole_flow(Flavor::Gitlab18).await;
}

#[tokio::test]
async fn gitlab_19_1_is_configured_and_read_back() {
    whole_flow(Flavor::Gitlab19).await;
}
