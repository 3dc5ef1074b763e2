//! Each failure gives its message and sends no further change: top-level GraphQL errors, a
//! mutation's `errors`, an expired or wrong token, a token that is not an administrator's,
//! an address nobody answers at, and a GitLab without the Duo Self-Hosted API.

use duows_base::Secret;
use std::collections::BTreeMap;

use duows_core::gitlab::{apply, plan_against, GitlabError, ModelKeys};

use crate::test_gitlab::world::{Caller, World};
use crate::test_gitlab::{Flavor, TestGitlab, TOKEN};
use crate::{client, desired, GATEWAY_KEY};

/// The operations received, in order.
fn operations(gitlab: &TestGitlab) -> Vec<String> {
    gitlab
        .world()
        .requests
        .iter()
        .map(|r| r.operation.clone().unwrap_or_default())
        .collect()
}

/// Nothing secret in an error's words.
fn assert_no_secret(error: &GitlabError) {
    let text = format!("{error} {error:?}");
    assert!(
        !text.contains(TOKEN) && !text.contains(GATEWAY_KEY),
        "{text}"
    );
}

#[tokio::test]
async fn top_level_errors_while_reading_stop_before_any_change() {
    let mut world = World::new(Flavor::Gitlab18);
    world.fail_operation = Some(("DuoWorkstationState", "Internal server error"));
    let gitlab = TestGitlab::start(Flavor::Gitlab18, world).await;
    let error = plan_against(&client(&gitlab.url, TOKEN), &desired())
        .await
        .expect_err("errors");
    assert!(matches!(error, GitlabError::Graphql { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "GitLab answered DuoWorkstationState with errors: Internal server error"
    );
    assert!(gitlab.world().mutations().is_empty());
}

#[tokio::test]
async fn top_level_errors_while_applying_stop_at_that_step() {
    let gitlab = TestGitlab::start(Flavor::Gitlab19, World::new(Flavor::Gitlab19)).await;
    let client = client(&gitlab.url, TOKEN);
    let plan = plan_against(&client, &desired()).await.expect("plan");
    gitlab.world().fail_operation = Some(("DuoWorkstationFeatureUpdate", "Internal server error"));
    let error = apply(
        &client,
        &plan,
        ModelKeys {
            gateway: Some(&Secret::new(GATEWAY_KEY)),
            deployments: &BTreeMap::new(),
        },
    )
    .await
    .expect_err("stops");
    let GitlabError::StepFailed { number, done, .. } = &error else {
        panic!("{error:?}");
    };
    let creates = plan.models.len();
    assert_eq!(
        *number,
        creates + 1,
        "the first feature update, after the creates"
    );
    assert_eq!(done.len(), creates);
    let text = error.to_string();
    assert!(
        text.contains("Internal server error") && text.contains("nothing after it was sent"),
        "{text}"
    );
    let sent = operations(&gitlab);
    assert_eq!(
        sent.last().map(String::as_str),
        Some("DuoWorkstationFeatureUpdate"),
        "{sent:?}"
    );
    assert!(!sent
        .iter()
        .any(|o| o == "DuoWorkstationDuoSettings" || o == "DuoWorkstationConnectionCheck"));
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_mutations_errors_stop_the_apply_naming_the_step() {
    let gitlab = TestGitlab::start(Flavor::Gitlab18, World::new(Flavor::Gitlab18)).await;
    let client = client(&gitlab.url, TOKEN);
    let plan = plan_against(&client, &desired()).await.expect("plan");
    gitlab.world().refuse_mutation = Some((
        "aiSelfHostedModelCreate",
        vec!["Endpoint is blocked: Requests to the local network are not allowed".into()],
    ));
    let error = apply(
        &client,
        &plan,
        ModelKeys {
            gateway: None,
            deployments: &BTreeMap::new(),
        },
    )
    .await
    .expect_err("refused");
    let first = &plan.models[0].name;
    assert_eq!(
        error.to_string(),
        format!(
            "step 1 of {} (create model {first}) failed: GitLab answered: Endpoint is blocked: Requests to the local network are not allowed. Nothing was changed in GitLab",
            plan.models.len() + plan.features.len() + 1 + plan.models.len()
        )
    );
    assert_eq!(
        gitlab.world().mutations().len(),
        1,
        "nothing after the refused step"
    );
    assert!(gitlab.world().models.is_empty());
}

#[tokio::test]
async fn an_expired_token_is_refused_with_401_and_nothing_else_is_sent() {
    let mut world = World::new(Flavor::Gitlab18);
    world.caller = Caller::ExpiredToken;
    let gitlab = TestGitlab::start(Flavor::Gitlab18, world).await;
    let error = plan_against(&client(&gitlab.url, TOKEN), &desired())
        .await
        .expect_err("401");
    assert!(
        matches!(error, GitlabError::TokenRefused { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("HTTP 401") && text.contains("expired"),
        "{text}"
    );
    assert_eq!(error.field(), Some("token"));
    assert_eq!(operations(&gitlab), ["DuoWorkstationVersion"]);
    assert_no_secret(&error);

    let wrong = plan_against(&client(&gitlab.url, "glpat-wrong"), &desired())
        .await
        .expect_err("401");
    assert!(
        matches!(wrong, GitlabError::TokenRefused { .. }),
        "{wrong:?}"
    );
    assert!(!wrong.to_string().contains("glpat-wrong"));
}

#[tokio::test]
async fn a_token_that_is_not_an_administrators_is_recognised() {
    let mut world = World::new(Flavor::Gitlab19);
    world.caller = Caller::NonAdmin;
    let gitlab = TestGitlab::start(Flavor::Gitlab19, world).await;
    let error = plan_against(&client(&gitlab.url, TOKEN), &desired())
        .await
        .expect_err("not an admin");
    let GitlabError::NotAdmin { fields, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(fields, "aiSelfHostedModels, aiFeatureSettings, duoSettings");
    assert!(
        error.to_string().contains("not an administrator"),
        "{error}"
    );
    assert!(gitlab.world().mutations().is_empty());
    assert!(
        gitlab.world().rejected.is_empty(),
        "the documents were valid"
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn an_address_nobody_answers_at_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}");
    let error = plan_against(&client(&url, TOKEN), &desired())
        .await
        .expect_err("unreachable");
    assert!(
        matches!(error, GitlabError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("GitLab at {url} cannot be reached")),
        "{error}"
    );
    assert_eq!(error.field(), Some("url"));
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_gitlab_without_the_duo_self_hosted_api_is_named() {
    let gitlab = TestGitlab::start(Flavor::WithoutDuo, World::new(Flavor::WithoutDuo)).await;
    let error = plan_against(&client(&gitlab.url, TOKEN), &desired())
        .await
        .expect_err("no such fields");
    assert!(
        matches!(error, GitlabError::Unsupported { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("GitLab 18.6.0 at"), "{text}");
    assert!(
        text.contains("Field 'aiSelfHostedModels' doesn't exist on type 'Query'"),
        "{text}"
    );
    assert!(gitlab.world().mutations().is_empty());
}

#[tokio::test]
async fn a_document_the_schema_rejects_fails() {
    // A GitLab that says 19.1 but has 18.6's schema: the 19.x query asks for fields 18.6
    // lacks; the test GitLab rejects it as GitLab would, and records it.
    let mut world = World::new(Flavor::Gitlab18);
    world.reported_version = Some("19.1.0-ee");
    let gitlab = TestGitlab::start(Flavor::Gitlab18, world).await;
    let error = plan_against(&client(&gitlab.url, TOKEN), &desired())
        .await
        .expect_err("rejected");
    assert!(
        matches!(error, GitlabError::Unsupported { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("Field 'provider' doesn't exist on type 'AiSelfHostedModel'"),
        "{error}"
    );
    let rejected = gitlab.world().rejected.clone();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0].starts_with("DuoWorkstationState"),
        "{rejected:?}"
    );
}
