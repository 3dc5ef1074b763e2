//! The documents and variables themselves against GitLab's schemas: each shape's documents
//! are valid for its version and the other version's are told apart; the enum lists the
//! planner trusts are the schemas' own; the SDL copies in the repository are the shared ones.

use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::JsonValue;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use duows_base::Secret;
use duows_core::catalog::Family;
use duows_core::gitlab::documents::{self, Document, ModelFields};
use duows_core::gitlab::model::family_name;
use duows_core::gitlab::{ApiShape, FeatureProvider};
use serde_json::Value;

use crate::test_gitlab::schema::{self, Flavor};

fn shape_of(flavor: Flavor) -> ApiShape {
    match flavor {
        Flavor::Gitlab19 => ApiShape::Gitlab19,
        _ => ApiShape::Gitlab18,
    }
}

/// Whether `document` with `variables` passes validation and variable coercion.
fn accepted(schema: &Valid<Schema>, document: Document, variables: &Value) -> Result<(), String> {
    let parsed = ExecutableDocument::parse_and_validate(schema, document.text, "document.graphql")
        .map_err(|e| e.errors.to_string())?;
    let operation = parsed
        .operations
        .get(Some(document.name))
        .map_err(|_| "no operation of that name".to_owned())?;
    let JsonValue::Object(map) = JsonValue::from(variables.clone()) else {
        return Err("variables are not an object".into());
    };
    coerce_variable_values(schema, operation, &map)
        .map(|_| ())
        .map_err(|e| e.message().to_string())
}

fn model(token: Option<&Secret>) -> ModelFields<'_> {
    ModelFields {
        name: "duo-workstation-duo-chat",
        family: Family::Mistral,
        endpoint: Some("http://gpu-box:8000/v1"),
        identifier: "custom_openai/duo-chat",
        api_token: token,
        provider: "API",
    }
}

/// Every document with the variables this app would send, for `shape`.
fn requests(shape: ApiShape) -> Vec<(Document, Value)> {
    let key = Secret::new("dwk_key");
    vec![
        (documents::VERSION, Value::Object(Default::default())),
        (
            documents::state_query(shape),
            Value::Object(Default::default()),
        ),
        (
            documents::MODEL_CREATE,
            documents::model_input(shape, model(Some(&key)), None),
        ),
        (
            documents::MODEL_UPDATE,
            documents::model_input(
                shape,
                model(None),
                Some("gid://gitlab/Ai::SelfHostedModel/1"),
            ),
        ),
        (
            documents::FEATURE_UPDATE,
            documents::feature_input(
                &["duo_chat", "duo_chat_fix_code"],
                FeatureProvider::SelfHosted,
                Some("gid://gitlab/Ai::SelfHostedModel/1"),
            ),
        ),
        (
            documents::DUO_SETTINGS_UPDATE,
            documents::duo_settings_input(shape, Some("http://aigw:5052"), Some(120)),
        ),
        (
            documents::CONNECTION_CHECK,
            documents::model_input(shape, model(Some(&key)), None),
        ),
    ]
}

#[test]
fn every_document_and_its_variables_are_valid_for_its_version() {
    for flavor in [Flavor::Gitlab18, Flavor::Gitlab19] {
        let schema = schema::load(flavor);
        let shape = shape_of(flavor);
        assert_eq!(
            requests(shape).len(),
            documents::all(shape).len(),
            "every document is checked"
        );
        for (document, variables) in requests(shape) {
            if let Err(reason) = accepted(&schema, document, &variables) {
                panic!("{flavor:?} rejects {}: {reason}", document.name);
            }
        }
    }
}

#[test]
fn each_versions_requests_are_rejected_by_the_other() {
    let old = schema::load(Flavor::Gitlab18);
    let new = schema::load(Flavor::Gitlab19);
    let reject = |schema: &Valid<Schema>, document: Document, variables: Value| {
        accepted(schema, document, &variables).expect_err(document.name)
    };
    // 19.x reads `provider` and the timeout, which 18.x does not have.
    reject(
        &old,
        documents::state_query(ApiShape::Gitlab19),
        Value::Object(Default::default()),
    );
    // 19.x's model input carries `provider`, which 18.x rejects ...
    let reason = reject(
        &old,
        documents::MODEL_CREATE,
        documents::model_input(ApiShape::Gitlab19, model(None), None),
    );
    assert!(reason.contains("provider"), "{reason}");
    // ... and 18.x's lacks it, which 19.x requires.
    let reason = reject(
        &new,
        documents::MODEL_CREATE,
        documents::model_input(ApiShape::Gitlab18, model(None), None),
    );
    assert!(reason.contains("provider"), "{reason}");
    reject(
        &new,
        documents::CONNECTION_CHECK,
        documents::model_input(ApiShape::Gitlab18, model(None), None),
    );
    // The timeout exists only on 19.x.
    let timeout = documents::duo_settings_input(ApiShape::Gitlab19, None, Some(120));
    reject(&old, documents::DUO_SETTINGS_UPDATE, timeout);
    // A 19.x feature on 18.x.
    let agentic = documents::feature_input(
        &["duo_agent_platform_agentic_chat"],
        FeatureProvider::SelfHosted,
        None,
    );
    reject(&old, documents::FEATURE_UPDATE, agentic);
}

#[test]
fn the_enums_the_planner_trusts_are_the_schemas() {
    for flavor in [Flavor::Gitlab18, Flavor::Gitlab19] {
        let schema = schema::load(flavor);
        let shape = shape_of(flavor);
        let values = |name: &str| -> Vec<String> {
            let mut list: Vec<String> = schema
                .get_enum(name)
                .unwrap_or_else(|| panic!("{name}"))
                .values
                .keys()
                .map(|v| v.to_string())
                .collect();
            list.sort();
            list
        };
        let mut features: Vec<String> = shape
            .features()
            .iter()
            .map(|f| f.to_ascii_uppercase())
            .collect();
        features.sort();
        assert_eq!(features, values("AiFeatures"), "{flavor:?}");
        let mut families: Vec<String> = shape
            .families()
            .iter()
            .map(|f| family_name(*f).to_owned())
            .collect();
        families.sort();
        assert_eq!(families, values("AiAcceptedSelfHostedModels"), "{flavor:?}");
        let mut providers: Vec<String> = [
            FeatureProvider::Disabled,
            FeatureProvider::Vendored,
            FeatureProvider::SelfHosted,
            FeatureProvider::Unassigned,
        ]
        .iter()
        .map(|p| p.graphql_name().to_owned())
        .collect();
        providers.sort();
        assert_eq!(providers, values("AiFeatureProviders"));
    }
}

#[test]
fn the_schema_copies_are_the_shared_ones() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/docs/gitlab-graphql");
    if !shared.is_dir() {
        eprintln!(
            "{} is not beside the repository: nothing to compare",
            shared.display()
        );
        return;
    }
    for name in ["gitlab-18.6.graphql", "gitlab-19.1.graphql"] {
        let ours = std::fs::read(schema::fixtures_dir().join(name)).expect("fixture");
        let theirs = std::fs::read(shared.join(name)).expect("shared");
        assert!(ours == theirs, "fixtures/gitlab-graphql/{name} differs from ../shared/docs/gitlab-graphql/{name}: copy it again");
    }
}
