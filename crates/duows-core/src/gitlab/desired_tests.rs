//! The desired configuration from settings: one model per routed alias, Bedrock and Azure
//! deployments as they are, validated inputs.

use super::*;
use crate::settings::ExternalDeployment;

fn inputs() -> DesiredInputs {
    DesiredInputs::parse("gpu-box.example.com", None, None, None).expect("inputs")
}

#[test]
fn each_routed_alias_becomes_one_model_with_its_catalog_family() {
    let catalog = Catalog::builtin().expect("catalog");
    let mut settings = Settings::default();
    settings
        .features
        .insert("duo_chat".into(), "mistral-7b-instruct-v0.3".into());
    settings
        .features
        .insert("code_completions".into(), "gpu-2".into());
    settings
        .features
        .insert("code_generations".into(), "my-finetune".into());
    settings.deployments.push(ExternalDeployment::openai(
        "gpu-2",
        "http://gpu-2:8000/v1",
        "mistralai/Codestral-22B-v0.1",
    ));
    let desired = desired_for_settings(&settings, catalog, &BTreeMap::new(), inputs());
    assert_eq!(desired.endpoint, "http://gpu-box.example.com:8000/v1");
    let model = |alias: &str| {
        desired
            .models
            .iter()
            .find(|m| m.alias == alias)
            .unwrap_or_else(|| panic!("{alias}"))
    };
    let chat = model("duo-chat");
    assert_eq!(chat.name, "duo-workstation-duo-chat");
    assert_eq!(chat.identifier, "custom_openai/duo-chat");
    assert_eq!(chat.family, Family::Mistral);
    assert_eq!(chat.feature, "duo_chat");
    assert_eq!(model("duo-code-completion").family, Family::Codestral);
    assert_eq!(
        model("duo-code-generation").family,
        Family::General,
        "not in the catalog"
    );
    // Chat sub-features borrow General Chat's model, under their own alias.
    let explain = model("duo-chat-explain-code");
    assert_eq!(explain.family, Family::Mistral);
    assert_eq!(explain.served_by, "mistral-7b-instruct-v0.3");
    assert!(
        desired
            .models
            .iter()
            .all(|m| m.feature != "glab_ask_git_command"),
        "a feature without a route or fallback has no model"
    );
}

#[test]
fn nothing_routed_wants_no_models() {
    let catalog = Catalog::builtin().expect("catalog");
    let routes = feature_routes(&Settings::default(), catalog);
    let desired = desired_config(&routes, catalog, &BTreeMap::new(), &[], inputs());
    assert!(desired.models.is_empty());
}

#[test]
fn bedrock_and_azure_deployments_are_registered_as_they_are() {
    let catalog = Catalog::builtin().expect("catalog");
    let mut settings = Settings::default();
    settings.deployments.push(ExternalDeployment {
        platform: Platform::Bedrock,
        region: Some("us-east-1".into()),
        ..ExternalDeployment::openai("claude", "", "us.anthropic.claude-3-5-sonnet-20241022-v2:0")
    });
    settings.deployments.push(ExternalDeployment {
        platform: Platform::AzureOpenai,
        api_key_stored: true,
        ..ExternalDeployment::openai("team-gpt", "https://team.openai.azure.com/", "gpt-4o")
    });
    settings.features.insert("duo_chat".into(), "claude".into());
    settings
        .features
        .insert("code_generations".into(), "claude".into());
    settings
        .features
        .insert("code_completions".into(), "team-gpt".into());
    settings
        .disabled_features
        .insert("glab_ask_git_command".into());
    settings.validate().expect("valid");
    let desired = desired_for_settings(&settings, catalog, &BTreeMap::new(), inputs());
    let chat = desired
        .models
        .iter()
        .find(|m| m.feature == "duo_chat")
        .expect("chat");
    assert_eq!(chat.name, "duo-workstation-claude");
    assert_eq!(
        chat.identifier,
        "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    );
    assert_eq!(
        (chat.family, chat.endpoint.as_deref()),
        (Family::Claude3, None)
    );
    assert_eq!(chat.key_of_deployment, None);
    let generation = desired
        .models
        .iter()
        .find(|m| m.feature == "code_generations")
        .expect("generation");
    assert_eq!(generation.name, chat.name, "one model for both features");
    let completion = desired
        .models
        .iter()
        .find(|m| m.feature == "code_completions")
        .expect("completion");
    assert_eq!(completion.identifier, "azure/gpt-4o");
    assert_eq!(
        completion.endpoint.as_deref(),
        Some("https://team.openai.azure.com")
    );
    assert_eq!(completion.key_of_deployment.as_deref(), Some("team-gpt"));
    assert_eq!(completion.family, Family::Gpt);
    assert_eq!(
        desired.disabled,
        vec![(
            "glab_ask_git_command".to_owned(),
            "GitLab Duo for CLI".to_owned()
        )]
    );
}

#[test]
fn inputs_are_validated_naming_the_field() {
    let error = DesiredInputs::parse("127.0.0.1:8000", None, None, None).expect_err("loopback");
    assert_eq!(error.field(), Some("endpoint_address"));
    let error = DesiredInputs::parse("gpu-box", Some("aigw"), None, None).expect_err("url");
    assert_eq!(error.field(), Some("ai_gateway_url"));
    let error = DesiredInputs::parse("gpu-box", None, Some(30), None).expect_err("timeout");
    assert_eq!(error.field(), Some("ai_gateway_timeout_seconds"));
    let key = Secret::new("dwk_abc def");
    let error = DesiredInputs::parse("gpu-box", None, None, Some(key)).expect_err("key");
    assert_eq!(error.field(), Some("model_api_key"));
    assert!(
        !error.to_string().contains("dwk_abc"),
        "the key is never quoted"
    );
    let ok = DesiredInputs::parse("gpu-box", None, None, Some(Secret::new("dwk_1"))).expect("ok");
    assert!(!format!("{ok:?}").contains("dwk_1"), "Debug hides the key");
}
