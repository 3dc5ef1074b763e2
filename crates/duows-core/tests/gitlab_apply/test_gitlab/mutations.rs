//! The test GitLab's `Mutation` root: each field changes the [`World`] as GitLab would (or
//! refuses, as a test arranged) and answers its payload.

use std::sync::Mutex;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use serde_json::{json, Value};

use super::objects::{duo_object, feature_object, leaf, model_object, Obj, Val};
use super::world::{Caller, World, PERMISSION_DENIED};

/// The `Mutation` root: each field changes the world as GitLab would and answers its payload.
pub struct MutationRoot<'w> {
    pub world: &'w Mutex<World>,
}

impl ObjectValue for MutationRoot<'_> {
    fn type_name(&self) -> &str {
        "Mutation"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let field = info.field_name();
        let input: Value =
            serde_json::to_value(&info.arguments()["input"]).map_err(|e| FieldError {
                message: e.to_string(),
            })?;
        let mut world = self.world.lock().unwrap_or_else(|p| p.into_inner());
        if world.caller != Caller::Admin {
            return Err(FieldError {
                message: PERMISSION_DENIED.into(),
            });
        }
        let refused = world
            .refuse_mutation
            .as_ref()
            .filter(|(name, _)| *name == field)
            .map(|(_, errors)| errors.clone());
        let payload = payload(&mut world, field, &input, refused)?;
        Ok(ResolvedValue::object(payload))
    }
}

fn payload(
    world: &mut World,
    field: &str,
    input: &Value,
    refused: Option<Vec<String>>,
) -> Result<Obj, FieldError> {
    let errors = |list: Vec<String>| leaf(json!(list));
    let model_payload = |world: &World, type_name, result: Result<u32, Vec<String>>| match result {
        Ok(id) => {
            let model = world
                .models
                .iter()
                .find(|m| m.id == id)
                .map(|m| Val::Obj(model_object(world.flavor, m)));
            Obj::new(
                type_name,
                vec![
                    ("selfHostedModel", model.unwrap_or(leaf(Value::Null))),
                    ("errors", errors(Vec::new())),
                    ("clientMutationId", leaf(Value::Null)),
                ],
            )
        }
        Err(list) => Obj::new(
            type_name,
            vec![
                ("selfHostedModel", leaf(Value::Null)),
                ("errors", errors(list)),
                ("clientMutationId", leaf(Value::Null)),
            ],
        ),
    };
    let result = match field {
        "aiSelfHostedModelCreate" => {
            let result = match refused {
                Some(list) => Err(list),
                None => world.create_model(input),
            };
            model_payload(world, "AiSelfHostedModelCreatePayload", result)
        }
        "aiSelfHostedModelUpdate" => {
            let result = match refused {
                Some(list) => Err(list),
                None => world.update_model(input),
            };
            model_payload(world, "AiSelfHostedModelUpdatePayload", result)
        }
        "aiFeatureSettingUpdate" => {
            let result = match refused {
                Some(list) => Err(list),
                None => world.update_features(input),
            };
            let (settings, list) = match result {
                Ok(keys) => {
                    let objects = world
                        .features
                        .iter()
                        .filter(|f| keys.contains(&f.key))
                        .map(|f| Val::Obj(feature_object(world, f)))
                        .collect();
                    (objects, Vec::new())
                }
                Err(list) => (Vec::new(), list),
            };
            Obj::new(
                "AiFeatureSettingUpdatePayload",
                vec![
                    ("aiFeatureSettings", Val::List(settings)),
                    ("errors", errors(list)),
                    ("clientMutationId", leaf(Value::Null)),
                ],
            )
        }
        "duoSettingsUpdate" => {
            let list = refused.unwrap_or_default();
            if list.is_empty() {
                world.update_duo(input);
            }
            Obj::new(
                "DuoSettingsUpdatePayload",
                vec![
                    ("duoSettings", Val::Obj(duo_object(world))),
                    ("errors", errors(list)),
                    ("clientMutationId", leaf(Value::Null)),
                ],
            )
        }
        "aiSelfHostedModelConnectionCheck" => {
            let result = world.connection_check(input);
            let probe = Obj::new(
                "CloudConnectorProbeResult",
                vec![
                    ("success", leaf(result["success"].clone())),
                    ("message", leaf(result["message"].clone())),
                    ("errors", leaf(result["errors"].clone())),
                    ("name", leaf(result["name"].clone())),
                    ("details", leaf(result["details"].clone())),
                ],
            );
            Obj::new(
                "AiSelfHostedModelConnectionCheckPayload",
                vec![
                    ("result", Val::Obj(probe)),
                    ("errors", errors(refused.unwrap_or_default())),
                    ("clientMutationId", leaf(Value::Null)),
                ],
            )
        }
        other => {
            return Err(FieldError {
                message: format!("the test GitLab does not implement {other}"),
            })
        }
    };
    Ok(result)
}
