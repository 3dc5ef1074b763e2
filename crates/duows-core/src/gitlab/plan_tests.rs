//! The plan as a pure function: GitLab states against desired configurations.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Family, GitlabVersion};
use crate::routing::feature_routes;
use crate::settings::Settings;
use duows_base::Secret;

use super::desired::{desired_config, DesiredConfig, DesiredInputs};
use super::documents::ApiShape;
use super::model::{GitlabDuoSettings, GitlabFeature, GitlabModel, GitlabState};
use super::plan::{plan, FeatureAction, ModelAction};

fn desired(routes: &[(&str, &str)], key: Option<&str>) -> DesiredConfig {
    let catalog = Catalog::builtin().expect("catalog");
    let mut settings = Settings::default();
    for (feature, target) in routes {
        settings
            .features
            .insert((*feature).into(), (*target).into());
    }
    let inputs = DesiredInputs::parse(
        "gpu-box.example.com",
        Some("http://aigw.example.com:5052"),
        Some(120),
        key.map(Secret::new),
    )
    .expect("inputs");
    desired_config(
        &feature_routes(&settings, catalog),
        catalog,
        &BTreeMap::new(),
        &[],
        inputs,
    )
}

fn feature(key: &str, llms: &[&str]) -> GitlabFeature {
    GitlabFeature {
        feature: key.into(),
        title: Some(key.into()),
        main_feature: None,
        provider: "vendored".into(),
        release_state: Some("GA".into()),
        compatible_llms: Some(llms.iter().map(|l| (*l).to_owned()).collect()),
        self_hosted_model_id: None,
        valid_model_ids: Vec::new(),
    }
}

fn gitlab(major: u16, minor: u16, features: Vec<GitlabFeature>) -> GitlabState {
    let version = GitlabVersion { major, minor };
    GitlabState {
        version_text: format!("{major}.{minor}.0-ee"),
        version,
        shape: ApiShape::for_version(version).expect("shape"),
        models: Vec::new(),
        features,
        duo_settings: GitlabDuoSettings::default(),
    }
}

const CHAT_LLMS: &[&str] = &[
    "mistral",
    "mixtral",
    "codestral",
    "claude_3",
    "gpt",
    "llama3",
    "general",
];

#[test]
fn an_empty_gitlab_gets_models_features_and_settings() {
    let want = desired(&[("duo_chat", "mistral-7b-instruct-v0.3")], None);
    let state = gitlab(
        18,
        6,
        [
            "duo_chat",
            "duo_chat_explain_code",
            "duo_chat_write_tests",
            "duo_chat_refactor_code",
            "duo_chat_fix_code",
        ]
        .into_iter()
        .map(|f| feature(f, CHAT_LLMS))
        .collect(),
    );
    let plan = plan("https://gitlab.example.com", &want, &state);
    assert_eq!(
        plan.models.len(),
        5,
        "duo-chat and its four GA sub-features"
    );
    assert!(plan.models.iter().all(|m| m.action == ModelAction::Create));
    assert!(plan.features.iter().all(|f| f.action == FeatureAction::Set));
    let duo = plan.duo_settings.as_ref().expect("duo settings");
    assert_eq!(
        duo.ai_gateway_url.as_deref(),
        Some("http://aigw.example.com:5052")
    );
    assert_eq!(
        duo.ai_gateway_timeout_seconds, None,
        "18.x has no timeout in the API"
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("AI gateway timeout")),
        "{:?}",
        plan.notes
    );
    assert_eq!(plan.change_count(), 11);
    let text = plan.to_string();
    assert!(text.contains("duo-workstation-duo-chat: create"), "{text}");
    assert!(text.contains("11 changes to apply"), "{text}");
}

#[test]
fn gitlab_decides_the_family_and_which_features_exist() {
    let want = desired(
        &[
            ("code_completions", "codestral-22b-v0.1"),
            ("duo_chat", "codestral-22b-v0.1"),
            (
                "duo_agent_platform_agentic_chat",
                "mistral-7b-instruct-v0.3",
            ),
            ("generate_commit_message", "mistral-7b-instruct-v0.3"),
        ],
        None,
    );
    // GitLab accepts no codestral for chat here, though the catalog does.
    let state = gitlab(
        18,
        6,
        vec![
            feature("code_completions", &["codestral", "general"]),
            feature("duo_chat", &["mistral", "general"]),
        ],
    );
    let plan = plan("https://gitlab.example.com", &want, &state);
    let family = |name: &str| {
        plan.models
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.family)
    };
    assert_eq!(
        family("duo-workstation-duo-code-completion"),
        Some(Family::Codestral)
    );
    assert_eq!(family("duo-workstation-duo-chat"), Some(Family::General));
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("does not accept CODESTRAL")),
        "{:?}",
        plan.notes
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("duo_agent_platform_agentic_chat") && n.contains("not a feature")),
        "a 19.x feature is not sent to 18.6: {:?}",
        plan.notes
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("generate_commit_message") && n.contains("beta")),
        "a beta feature GitLab does not list: {:?}",
        plan.notes
    );
    assert!(plan
        .features
        .iter()
        .all(|f| f.feature != "generate_commit_message"));
}

#[test]
fn a_matching_gitlab_needs_nothing_and_a_drifted_one_is_updated() {
    let want = desired(&[("code_completions", "codestral-22b-v0.1")], Some("dwk_k"));
    let mut state = gitlab(
        19,
        1,
        vec![feature("code_completions", &["codestral", "general"])],
    );
    state.duo_settings = GitlabDuoSettings {
        ai_gateway_url: Some("http://aigw.example.com:5052".into()),
        ai_gateway_timeout_seconds: Some(120),
    };
    let id = "gid://gitlab/Ai::SelfHostedModel/7";
    state.models.push(GitlabModel {
        id: id.into(),
        name: "duo-workstation-duo-code-completion".into(),
        model: "codestral".into(),
        endpoint: Some("http://gpu-box.example.com:8000/v1".into()),
        identifier: Some("custom_openai/duo-code-completion".into()),
        has_api_token: true,
        provider: Some("API".into()),
    });
    state.models.push(GitlabModel {
        id: "gid://gitlab/Ai::SelfHostedModel/8".into(),
        name: "duo-workstation-duo-chat".into(),
        model: "mistral".into(),
        endpoint: None,
        identifier: None,
        has_api_token: false,
        provider: Some("API".into()),
    });
    state.features[0].provider = "self_hosted".into();
    state.features[0].self_hosted_model_id = Some(id.into());
    state.features[0].valid_model_ids = vec![id.into()];
    let settled = plan("https://gitlab.example.com", &want, &state);
    assert_eq!(settled.change_count(), 0, "{settled}");
    assert!(settled.to_string().contains("nothing to change"));
    assert!(
        settled
            .notes
            .iter()
            .any(|n| n.contains("duo-workstation-duo-chat") && n.contains("left as it is")),
        "{:?}",
        settled.notes
    );

    state.models[0].endpoint = Some("http://old-box:8000/v1".into());
    state.models[0].provider = Some("BEDROCK".into());
    let drifted = plan("https://gitlab.example.com", &want, &state);
    match &drifted.models[0].action {
        ModelAction::Update {
            id: updated,
            changes,
        } => {
            assert_eq!(updated, id);
            assert!(
                changes
                    .iter()
                    .any(|c| c.contains("http://old-box:8000/v1 →")),
                "{changes:?}"
            );
            assert!(
                changes
                    .iter()
                    .any(|c| c.contains("platform: BEDROCK → API")),
                "{changes:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        drifted.features[0].action,
        FeatureAction::Keep,
        "same model id"
    );
}

#[test]
fn the_plan_never_shows_the_key() {
    let want = desired(
        &[("duo_chat", "mistral-7b-instruct-v0.3")],
        Some("dwk_never_shown"),
    );
    let state = gitlab(19, 1, vec![feature("duo_chat", CHAT_LLMS)]);
    let plan = plan("https://gitlab.example.com", &want, &state);
    let json = serde_json::to_string(&plan).expect("json");
    assert!(!json.contains("dwk_never_shown"));
    assert!(!plan.to_string().contains("dwk_never_shown"));
    assert!(!format!("{want:?}").contains("dwk_never_shown"));
    assert!(plan.models[0].sends_api_token);
}

#[test]
fn a_family_the_version_lacks_becomes_general() {
    let mut want = desired(&[("duo_agent_platform", "gpt-oss-120b")], None);
    want.models[0].family = Family::Gemini;
    let state = gitlab(
        18,
        6,
        vec![feature(
            "duo_agent_platform",
            &["claude_3", "gpt", "general", "mistral"],
        )],
    );
    let plan = plan("https://gitlab.example.com", &want, &state);
    assert_eq!(plan.models[0].family, Family::General);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("has no family GEMINI")),
        "{:?}",
        plan.notes
    );
    let strict = gitlab(18, 6, vec![feature("duo_agent_platform", &["claude_3"])]);
    let plan = super::plan::plan("https://gitlab.example.com", &want, &strict);
    assert!(
        plan.models.is_empty() && plan.features.is_empty(),
        "not sent"
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("nor GENERAL: not sent")),
        "{:?}",
        plan.notes
    );
}
