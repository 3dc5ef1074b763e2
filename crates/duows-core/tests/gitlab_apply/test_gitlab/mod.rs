//! A test GitLab: an HTTP server on 127.0.0.1 that answers `POST /api/graphql` as GitLab does,
//! from an in-memory [`World`]. Every request's document is validated against GitLab's schema
//! for its version, and its variables coerced to the schema's input types
//! (apollo-compiler); a document or variables the schema rejects is answered with GitLab's
//! kind of error and recorded in [`World::rejected`], so a test fails on it. A valid document
//! is executed against the world field by field.

pub mod mutations;
pub mod objects;
pub mod schema;
pub mod world;

use std::sync::{Arc, Mutex, MutexGuard};

use apollo_compiler::executable::OperationType;
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use mutations::MutationRoot;
use objects::query_root;
pub use schema::Flavor;
use world::Caller;
pub use world::World;

/// The administrator token the test GitLab accepts.
pub const TOKEN: &str = "glpat-TestAdminToken-0123456789";

/// A running test GitLab.
pub struct TestGitlab {
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub url: String,
    world: Arc<Mutex<World>>,
    server: tokio::task::JoinHandle<()>,
}

struct App {
    schema: Valid<Schema>,
    world: Arc<Mutex<World>>,
}

impl TestGitlab {
    /// Starts a GitLab of `flavor` holding `world`.
    pub async fn start(flavor: Flavor, world: World) -> Self {
        let world = Arc::new(Mutex::new(world));
        let app = Arc::new(App {
            schema: schema::load(flavor),
            world: Arc::clone(&world),
        });
        let router = axum::Router::new()
            .route("/api/graphql", axum::routing::post(graphql))
            .with_state(app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Self { url, world, server }
    }

    /// The world, to arrange or inspect.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for TestGitlab {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn errors(list: Vec<Value>) -> Response {
    (StatusCode::OK, Json(json!({ "errors": list }))).into_response()
}

async fn graphql(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let query = request["query"].as_str().unwrap_or_default().to_owned();
    let operation_name = request["operationName"].as_str().map(str::to_owned);
    let variables = request.get("variables").cloned().unwrap_or(json!({}));
    let caller = app.world.lock().unwrap_or_else(|p| p.into_inner()).caller;
    let record = |is_mutation: bool| {
        let mut world = app.world.lock().unwrap_or_else(|p| p.into_inner());
        world.requests.push(world::Recorded {
            operation: operation_name.clone(),
            is_mutation,
            variables: variables.clone(),
            authorization: authorization.clone(),
        });
    };
    let reject = |reason: String| {
        let mut world = app.world.lock().unwrap_or_else(|p| p.into_inner());
        world.rejected.push(format!(
            "{}: {reason}",
            operation_name.as_deref().unwrap_or("?")
        ));
    };
    if authorization.as_deref() != Some(&format!("Bearer {TOKEN}"))
        || caller == Caller::ExpiredToken
    {
        record(false);
        let message = if caller == Caller::ExpiredToken {
            "Token is expired. You can either do re-authorization or token refresh."
        } else {
            "Invalid token"
        };
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "errors": [{ "message": message }] })),
        )
            .into_response();
    }
    let document = match ExecutableDocument::parse_and_validate(
        &app.schema,
        query.as_str(),
        "request.graphql",
    ) {
        Ok(document) => document,
        Err(invalid) => {
            record(false);
            reject(invalid.errors.to_string());
            return errors(
                invalid
                    .errors
                    .iter()
                    .map(|d| gitlab_error(&d.error.to_string()))
                    .collect(),
            );
        }
    };
    let Ok(operation) = document.operations.get(operation_name.as_deref()) else {
        record(false);
        reject("no such operation".into());
        return errors(vec![json!({ "message": "An operation name is required" })]);
    };
    record(operation.operation_type == OperationType::Mutation);
    let raw: JsonMap = match JsonValue::from(variables.clone()) {
        JsonValue::Object(map) => map,
        _ => JsonMap::new(),
    };
    let coerced = match coerce_variable_values(&app.schema, operation, &raw) {
        Ok(coerced) => coerced,
        Err(error) => {
            let message = error.message().to_string();
            reject(message.clone());
            return errors(vec![
                json!({ "message": format!("Variable $input was provided invalid value: {message}") }),
            ]);
        }
    };
    let injected = app
        .world
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .fail_operation;
    if let Some((_, message)) =
        injected.filter(|(name, _)| Some(*name) == operation_name.as_deref())
    {
        return errors(vec![json!({ "message": message })]);
    }
    let execution = Execution::new(&app.schema, &document)
        .operation(operation)
        .coerced_variable_values(&coerced);
    let result = if operation.operation_type == OperationType::Mutation {
        execution.execute_sync(&MutationRoot { world: &app.world })
    } else {
        let root = query_root(&app.world.lock().unwrap_or_else(|p| p.into_inner()));
        execution.execute_sync(&root)
    };
    match result {
        Ok(response) => (
            StatusCode::OK,
            Json(serde_json::to_value(&response).unwrap_or(Value::Null)),
        )
            .into_response(),
        Err(error) => {
            let message = error.message().to_string();
            reject(message.clone());
            errors(vec![json!({ "message": message })])
        }
    }
}

/// A validation error as graphql-ruby words it where GitLab's clients look for it (an
/// undefined field), else apollo-compiler's words.
fn gitlab_error(message: &str) -> Value {
    let words: Vec<&str> = message.split('`').collect();
    if message.starts_with("type `")
        && message.contains("does not have a field")
        && words.len() >= 4
    {
        return json!({
            "message": format!("Field '{}' doesn't exist on type '{}'", words[3], words[1]),
            "extensions": { "code": "undefinedField", "typeName": words[1], "fieldName": words[3] },
        });
    }
    json!({ "message": message })
}
