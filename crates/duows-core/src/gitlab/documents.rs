//! Every GraphQL document this app sends to GitLab, and the variables each takes, shaped for
//! the GitLab version: the one place to read (and for the tests to validate against GitLab's
//! schemas) what reaches GitLab.
//!
//! GitLab 18.x and 19.x disagree: 18.x requires `endpoint` on the self-hosted model mutations
//! and rejects `provider`; 19.x requires `provider` and makes `endpoint` optional; only 19.x
//! has `aiGatewayTimeoutSeconds`, the `GEMINI` family and five more features. A document
//! valid on one is rejected by the other, so the shape is chosen from the version GitLab
//! reports ([`ApiShape::for_version`]) before anything else is sent.

use serde_json::{json, Map, Value};

use crate::catalog::Family;
use duows_base::Secret;

use super::model::{family_name, FeatureProvider};
pub use super::shape::{ApiShape, OLDEST_SUPPORTED};

/// One GraphQL document: its operation name and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document {
    /// The operation's name, as GitLab logs it.
    pub name: &'static str,
    /// The document.
    pub text: &'static str,
}

/// `query { metadata { version } }`: sent first, to choose the shape of the rest.
pub const VERSION: Document = Document {
    name: "DuoWorkstationVersion",
    text: "query DuoWorkstationVersion { metadata { version } }",
};

const STATE_18: Document = Document {
    name: "DuoWorkstationState",
    text: "query DuoWorkstationState {
  aiSelfHostedModels(first: 100) {
    nodes { id name model endpoint identifier hasApiToken }
    pageInfo { hasNextPage }
  }
  aiFeatureSettings(first: 100) {
    nodes {
      feature title mainFeature provider releaseState compatibleLlms
      selfHostedModel { id }
      validModels(first: 100) { nodes { id } }
    }
    pageInfo { hasNextPage }
  }
  duoSettings { aiGatewayUrl }
}",
};

const STATE_19: Document = Document {
    name: "DuoWorkstationState",
    text: "query DuoWorkstationState {
  aiSelfHostedModels(first: 100) {
    nodes { id name model endpoint identifier hasApiToken provider }
    pageInfo { hasNextPage }
  }
  aiFeatureSettings(first: 100) {
    nodes {
      feature title mainFeature provider releaseState compatibleLlms
      selfHostedModel { id }
      validModels(first: 100) { nodes { id } }
    }
    pageInfo { hasNextPage }
  }
  duoSettings { aiGatewayUrl aiGatewayTimeoutSeconds }
}",
};

/// Creates a self-hosted model (`$input: AiSelfHostedModelCreateInput!`).
pub const MODEL_CREATE: Document = Document {
    name: "DuoWorkstationModelCreate",
    text: "mutation DuoWorkstationModelCreate($input: AiSelfHostedModelCreateInput!) {
  aiSelfHostedModelCreate(input: $input) {
    selfHostedModel { id name }
    errors
  }
}",
};

/// Updates a self-hosted model (`$input: AiSelfHostedModelUpdateInput!`).
pub const MODEL_UPDATE: Document = Document {
    name: "DuoWorkstationModelUpdate",
    text: "mutation DuoWorkstationModelUpdate($input: AiSelfHostedModelUpdateInput!) {
  aiSelfHostedModelUpdate(input: $input) {
    selfHostedModel { id name }
    errors
  }
}",
};

/// Points features at a provider and model (`$input: AiFeatureSettingUpdateInput!`).
pub const FEATURE_UPDATE: Document = Document {
    name: "DuoWorkstationFeatureUpdate",
    text: "mutation DuoWorkstationFeatureUpdate($input: AiFeatureSettingUpdateInput!) {
  aiFeatureSettingUpdate(input: $input) {
    aiFeatureSettings { feature provider selfHostedModel { id } }
    errors
  }
}",
};

/// Sets the Duo settings (`$input: DuoSettingsUpdateInput!`).
pub const DUO_SETTINGS_UPDATE: Document = Document {
    name: "DuoWorkstationDuoSettings",
    text: "mutation DuoWorkstationDuoSettings($input: DuoSettingsUpdateInput!) {
  duoSettingsUpdate(input: $input) {
    duoSettings { aiGatewayUrl }
    errors
  }
}",
};

/// Asks GitLab's AI gateway to reach a model (`$input: AiSelfHostedModelConnectionCheckInput!`).
pub const CONNECTION_CHECK: Document = Document {
    name: "DuoWorkstationConnectionCheck",
    text: "mutation DuoWorkstationConnectionCheck($input: AiSelfHostedModelConnectionCheckInput!) {
  aiSelfHostedModelConnectionCheck(input: $input) {
    result { success message errors name details }
    errors
  }
}",
};

/// The query that reads models, features and Duo settings, for `shape`.
pub fn state_query(shape: ApiShape) -> Document {
    match shape {
        ApiShape::Gitlab18 => STATE_18,
        ApiShape::Gitlab19 => STATE_19,
    }
}

/// Every document sent to a GitLab of `shape`.
pub fn all(shape: ApiShape) -> [Document; 7] {
    [
        VERSION,
        state_query(shape),
        MODEL_CREATE,
        MODEL_UPDATE,
        FEATURE_UPDATE,
        DUO_SETTINGS_UPDATE,
        CONNECTION_CHECK,
    ]
}

/// The fields of a self-hosted model this app writes.
#[derive(Debug, Clone, Copy)]
pub struct ModelFields<'a> {
    /// Deployment name.
    pub name: &'a str,
    /// Family.
    pub family: Family,
    /// Endpoint (ending in `/v1` for an OpenAI-compatible server); none for Bedrock.
    pub endpoint: Option<&'a str>,
    /// Model identifier, `custom_openai/<alias>`, `bedrock/…`, `azure/…`.
    pub identifier: &'a str,
    /// The key GitLab sends to the endpoint, if any.
    pub api_token: Option<&'a Secret>,
    /// GitLab's platform (`API`, `BEDROCK`), sent where the shape has it (19.x).
    pub provider: &'a str,
}

/// `$input` of [`MODEL_CREATE`] and [`CONNECTION_CHECK`]; with `id`, of [`MODEL_UPDATE`].
/// The provider is sent on 19.x only; a model without an endpoint (Bedrock) omits it on
/// 19.x, where it is optional, and sends an empty one on 18.x, where it is required.
pub fn model_input(shape: ApiShape, fields: ModelFields<'_>, id: Option<&str>) -> Value {
    let mut input = Map::new();
    if let Some(id) = id {
        input.insert("id".into(), json!(id));
    }
    input.insert("name".into(), json!(fields.name));
    input.insert("model".into(), json!(family_name(fields.family)));
    match fields.endpoint {
        Some(endpoint) => {
            input.insert("endpoint".into(), json!(endpoint));
        }
        None if !shape.has_model_provider() => {
            input.insert("endpoint".into(), json!(""));
        }
        None => {}
    }
    input.insert("identifier".into(), json!(fields.identifier));
    if let Some(token) = fields.api_token {
        input.insert("apiToken".into(), json!(token.expose()));
    }
    if shape.has_model_provider() {
        input.insert("provider".into(), json!(fields.provider));
    }
    json!({ "input": input })
}

/// `$input` of [`FEATURE_UPDATE`]: `features` (lower-case keys) to `provider`, with a model
/// for `SELF_HOSTED`.
pub fn feature_input(
    features: &[&str],
    provider: FeatureProvider,
    model_id: Option<&str>,
) -> Value {
    let features: Vec<String> = features.iter().map(|f| f.to_ascii_uppercase()).collect();
    let mut input = Map::new();
    input.insert("features".into(), json!(features));
    input.insert("provider".into(), json!(provider.graphql_name()));
    if let Some(id) = model_id {
        input.insert("aiSelfHostedModelId".into(), json!(id));
    }
    json!({ "input": input })
}

/// `$input` of [`DUO_SETTINGS_UPDATE`]: only what is given, and the timeout only where the
/// shape has it.
pub fn duo_settings_input(
    shape: ApiShape,
    ai_gateway_url: Option<&str>,
    timeout_seconds: Option<u32>,
) -> Value {
    let mut input = Map::new();
    if let Some(url) = ai_gateway_url {
        input.insert("aiGatewayUrl".into(), json!(url));
    }
    if let (Some(seconds), true) = (timeout_seconds, shape.has_gateway_timeout()) {
        input.insert("aiGatewayTimeoutSeconds".into(), json!(seconds));
    }
    json!({ "input": input })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(token: Option<&Secret>) -> ModelFields<'_> {
        ModelFields {
            name: "duo-workstation-duo-chat",
            family: Family::Mistral,
            endpoint: Some("http://gpu-box:8000/v1"),
            identifier: "custom_openai/duo-chat",
            api_token: token,
            provider: "API",
        }
    }

    #[test]
    fn model_inputs_carry_provider_only_on_19() {
        let old = model_input(ApiShape::Gitlab18, fields(None), None);
        assert!(old["input"].get("provider").is_none());
        assert_eq!(old["input"]["endpoint"], "http://gpu-box:8000/v1");
        assert!(old["input"].get("apiToken").is_none());
        let key = Secret::new("dwk_secret");
        let new = model_input(ApiShape::Gitlab19, fields(Some(&key)), Some("gid://x/1"));
        assert_eq!(new["input"]["provider"], "API");
        assert_eq!(new["input"]["apiToken"], "dwk_secret");
        assert_eq!(new["input"]["id"], "gid://x/1");
        assert_eq!(new["input"]["model"], "MISTRAL");
    }

    #[test]
    fn the_timeout_is_sent_only_where_gitlab_takes_it() {
        let old = duo_settings_input(ApiShape::Gitlab18, Some("http://aigw:5052"), Some(120));
        assert_eq!(old, json!({"input": {"aiGatewayUrl": "http://aigw:5052"}}));
        let new = duo_settings_input(ApiShape::Gitlab19, None, Some(120));
        assert_eq!(new, json!({"input": {"aiGatewayTimeoutSeconds": 120}}));
        let features = feature_input(
            &["duo_chat", "code_completions"],
            FeatureProvider::SelfHosted,
            Some("gid://gitlab/Ai::SelfHostedModel/3"),
        );
        assert_eq!(
            features["input"]["features"],
            json!(["DUO_CHAT", "CODE_COMPLETIONS"])
        );
        assert_eq!(features["input"]["provider"], "SELF_HOSTED");
    }
}
