//! The test GitLab's answers as GraphQL objects for apollo-compiler's executor: plain values
//! built from the [`World`], resolved field by field, so an answer holds exactly what the
//! document asked for, coerced to the schema's types (a wrong value here fails the request).

use std::collections::HashMap;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use serde_json::{json, Value};

use super::schema::Flavor;
use super::world::{gid, Caller, Feature, Model, World, PERMISSION_DENIED};

/// A field's value.
#[derive(Clone)]
pub enum Val {
    Leaf(Value),
    Obj(Obj),
    List(Vec<Val>),
    Error(String),
}

/// An object of a schema type, with its fields.
#[derive(Clone)]
pub struct Obj {
    type_name: &'static str,
    fields: HashMap<&'static str, Val>,
}

impl Obj {
    pub(super) fn new(type_name: &'static str, fields: Vec<(&'static str, Val)>) -> Self {
        Self {
            type_name,
            fields: fields.into_iter().collect(),
        }
    }
}

/// A value of a leaf type, or a list of them (the executor takes lists item by item).
pub(super) fn leaf(value: Value) -> Val {
    match value {
        Value::Array(items) => Val::List(items.into_iter().map(leaf).collect()),
        other => Val::Leaf(other),
    }
}

fn to_json_bytes(value: &Value) -> JsonValue {
    JsonValue::from(value.clone())
}

impl Val {
    fn resolved(&self) -> Result<ResolvedValue<'_>, FieldError> {
        match self {
            Self::Leaf(value) => Ok(ResolvedValue::leaf(to_json_bytes(value))),
            Self::Obj(object) => Ok(ResolvedValue::object(object.clone())),
            Self::List(items) => Ok(ResolvedValue::List(Box::new(
                items.iter().map(Val::resolved),
            ))),
            Self::Error(message) => Err(FieldError {
                message: message.clone(),
            }),
        }
    }
}

impl ObjectValue for Obj {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        match self.fields.get(info.field_name()) {
            Some(value) => value.resolved(),
            None => Err(self.unknown_field_error(info)),
        }
    }
}

fn connection(type_prefix: &'static str, nodes: Vec<Obj>) -> Val {
    let (connection, edge) = match type_prefix {
        "AiSelfHostedModel" => ("AiSelfHostedModelConnection", "AiSelfHostedModelEdge"),
        "AiFeatureSetting" => ("AiFeatureSettingConnection", "AiFeatureSettingEdge"),
        _ => (
            "AiModelSelectionOfferedModelConnection",
            "AiModelSelectionOfferedModelEdge",
        ),
    };
    let edges = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            Val::Obj(Obj::new(
                edge,
                vec![
                    ("cursor", leaf(json!(i.to_string()))),
                    ("node", Val::Obj(node.clone())),
                ],
            ))
        })
        .collect();
    let page_info = Obj::new(
        "PageInfo",
        vec![
            ("hasNextPage", leaf(json!(false))),
            ("hasPreviousPage", leaf(json!(false))),
            ("startCursor", leaf(Value::Null)),
            ("endCursor", leaf(Value::Null)),
        ],
    );
    Val::Obj(Obj::new(
        connection,
        vec![
            (
                "nodes",
                Val::List(nodes.into_iter().map(Val::Obj).collect()),
            ),
            ("edges", Val::List(edges)),
            ("pageInfo", Val::Obj(page_info)),
        ],
    ))
}

pub(super) fn model_object(flavor: Flavor, model: &Model) -> Obj {
    let mut fields = vec![
        ("id", leaf(json!(gid(model.id)))),
        ("name", leaf(json!(model.name))),
        ("model", leaf(json!(model.family))),
        ("modelDisplayName", leaf(json!(model.family.to_uppercase()))),
        ("endpoint", leaf(json!(model.endpoint))),
        ("identifier", leaf(json!(model.identifier))),
        ("hasApiToken", leaf(json!(model.api_token.is_some()))),
        // GitLab never returns the token itself.
        ("apiToken", leaf(Value::Null)),
        ("releaseState", leaf(json!("GA"))),
        ("createdAt", leaf(json!("2026-05-01T10:00:00Z"))),
        ("updatedAt", leaf(json!("2026-05-01T10:00:00Z"))),
        (
            "featureSettings",
            connection("AiFeatureSetting", Vec::new()),
        ),
    ];
    if flavor == Flavor::Gitlab19 {
        fields.push((
            "provider",
            leaf(json!(model
                .provider
                .clone()
                .unwrap_or_else(|| "API".into()))),
        ));
    }
    Obj::new("AiSelfHostedModel", fields)
}

pub(super) fn feature_object(world: &World, feature: &Feature) -> Obj {
    let model = feature
        .model_id
        .and_then(|id| world.models.iter().find(|m| m.id == id));
    let valid: Vec<Obj> = world
        .models
        .iter()
        .filter(|m| feature.compatible.contains(&m.family.as_str()))
        .map(|m| model_object(world.flavor, m))
        .collect();
    Obj::new(
        "AiFeatureSetting",
        vec![
            ("feature", leaf(json!(feature.key))),
            ("title", leaf(json!(feature.title))),
            ("mainFeature", leaf(json!(feature.main_feature))),
            ("provider", leaf(json!(feature.provider))),
            ("releaseState", leaf(json!("GA"))),
            ("compatibleLlms", leaf(json!(feature.compatible))),
            (
                "selfHostedModel",
                model.map_or(leaf(Value::Null), |m| {
                    Val::Obj(model_object(world.flavor, m))
                }),
            ),
            ("validModels", connection("AiSelfHostedModel", valid)),
            (
                "validGitlabModels",
                connection("AiModelSelectionOfferedModel", Vec::new()),
            ),
            ("defaultGitlabModel", leaf(Value::Null)),
            ("gitlabModel", leaf(Value::Null)),
        ],
    )
}

pub(super) fn duo_object(world: &World) -> Obj {
    let mut fields = vec![
        ("aiGatewayUrl", leaf(json!(world.duo.ai_gateway_url))),
        ("duoAgentPlatformServiceUrl", leaf(Value::Null)),
        ("duoCoreFeaturesEnabled", leaf(json!(true))),
        ("updatedAt", leaf(json!("2026-05-01T10:00:00Z"))),
    ];
    if world.flavor == Flavor::Gitlab19 {
        fields.push((
            "aiGatewayTimeoutSeconds",
            leaf(json!(world.duo.timeout_seconds)),
        ));
    }
    Obj::new("DuoSettings", fields)
}

/// The `Query` root, as the caller may see it: for a user who is not an administrator the
/// Duo Self-Hosted resolvers return null, and `duoSettings` an error.
pub fn query_root(world: &World) -> Obj {
    let metadata = Obj::new(
        "Metadata",
        vec![
            (
                "version",
                leaf(json!(world
                    .reported_version
                    .unwrap_or(world.flavor.version()))),
            ),
            ("revision", leaf(json!("0123abcd"))),
            ("enterprise", leaf(json!(true))),
        ],
    );
    let admin = world.caller == Caller::Admin;
    let models = world
        .models
        .iter()
        .map(|m| model_object(world.flavor, m))
        .collect();
    let features = world
        .features
        .iter()
        .map(|f| feature_object(world, f))
        .collect();
    Obj::new(
        "Query",
        vec![
            ("metadata", Val::Obj(metadata)),
            (
                "aiSelfHostedModels",
                if admin {
                    connection("AiSelfHostedModel", models)
                } else {
                    leaf(Value::Null)
                },
            ),
            (
                "aiFeatureSettings",
                if admin {
                    connection("AiFeatureSetting", features)
                } else {
                    leaf(Value::Null)
                },
            ),
            (
                "duoSettings",
                if admin {
                    Val::Obj(duo_object(world))
                } else {
                    Val::Error(PERMISSION_DENIED.into())
                },
            ),
        ],
    )
}
