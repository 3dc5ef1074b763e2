//! The test GitLab's data and its rules, as GitLab applies them: self-hosted models, feature
//! settings with the families each accepts, Duo settings, who is calling, and every request
//! received (to check what was, and was not, sent).

use serde_json::{json, Value};

use super::schema::Flavor;

/// What GitLab answers a user who may not manage Duo Self-Hosted.
pub const PERMISSION_DENIED: &str = "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

/// Who the token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// An administrator.
    Admin,
    /// A user who is not an administrator.
    NonAdmin,
    /// An expired token: GitLab answers 401.
    ExpiredToken,
}

/// A self-hosted model as GitLab stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub id: u32,
    pub name: String,
    /// The family, lower case as GitLab stores it.
    pub family: String,
    pub endpoint: Option<String>,
    pub identifier: Option<String>,
    pub api_token: Option<String>,
    /// `API`, `BEDROCK`, `VERTEX_AI` (19.x).
    pub provider: Option<String>,
}

/// A feature setting as GitLab stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub key: &'static str,
    pub title: &'static str,
    pub main_feature: &'static str,
    /// The families it accepts, lower case.
    pub compatible: &'static [&'static str],
    /// `self_hosted`, `vendored`, `disabled`, `unassigned`.
    pub provider: String,
    pub model_id: Option<u32>,
}

/// The Duo settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duo {
    pub ai_gateway_url: Option<String>,
    pub timeout_seconds: Option<i64>,
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub operation: Option<String>,
    pub is_mutation: bool,
    pub variables: Value,
    pub authorization: Option<String>,
}

/// Everything the test GitLab holds.
#[derive(Debug)]
pub struct World {
    pub flavor: Flavor,
    pub caller: Caller,
    pub models: Vec<Model>,
    pub features: Vec<Feature>,
    pub duo: Duo,
    pub requests: Vec<Recorded>,
    /// Documents or variables the schema rejected, with the reason.
    pub rejected: Vec<String>,
    /// Refuse this mutation (a payload field name) with these payload errors.
    pub refuse_mutation: Option<(&'static str, Vec<String>)>,
    /// Answer this operation with a top-level error.
    pub fail_operation: Option<(&'static str, &'static str)>,
    /// Report this version instead of the flavor's.
    pub reported_version: Option<&'static str>,
    next_id: u32,
}

const CODE: &[&str] = &[
    "codegemma",
    "codellama",
    "codestral",
    "deepseekcoder",
    "mistral",
    "mixtral",
    "llama3",
    "claude_3",
    "gpt",
    "general",
];
const CHAT: &[&str] = &[
    "mistral",
    "mixtral",
    "codestral",
    "claude_3",
    "gpt",
    "llama3",
    "general",
];
/// Narrower than the catalog on purpose (it lists MISTRAL): GitLab's word must win.
const REVIEW: &[&str] = &["claude_3", "gpt", "general"];
const AGENT: &[&str] = &["claude_3", "gpt", "general", "mistral", "gemini"];

/// The model's global id.
pub fn gid(id: u32) -> String {
    format!("gid://gitlab/Ai::SelfHostedModel/{id}")
}

impl World {
    /// A GitLab of `flavor` with the beta toggle off: only GA features are listed.
    pub fn new(flavor: Flavor) -> Self {
        let feature = |key, title, main_feature, compatible| Feature {
            key,
            title,
            main_feature,
            compatible,
            provider: "unassigned".into(),
            model_id: None,
        };
        let mut features = vec![
            feature(
                "code_generations",
                "Code Generation",
                "Code Suggestions",
                CODE,
            ),
            feature(
                "code_completions",
                "Code Completion",
                "Code Suggestions",
                CODE,
            ),
            feature("duo_chat", "General Chat", "GitLab Duo Chat", CHAT),
            feature(
                "duo_chat_explain_code",
                "Code Explanation",
                "GitLab Duo Chat",
                CHAT,
            ),
            feature(
                "duo_chat_write_tests",
                "Test Generation",
                "GitLab Duo Chat",
                CHAT,
            ),
            feature(
                "duo_chat_refactor_code",
                "Refactor Code",
                "GitLab Duo Chat",
                CHAT,
            ),
            feature("duo_chat_fix_code", "Fix Code", "GitLab Duo Chat", CHAT),
            feature(
                "review_merge_request",
                "Code Review",
                "GitLab Duo for merge requests",
                REVIEW,
            ),
        ];
        if flavor == Flavor::Gitlab19 {
            features.push(feature(
                "duo_agent_platform",
                "Agents & flows",
                "GitLab Duo Agent Platform",
                AGENT,
            ));
            features.push(feature(
                "duo_agent_platform_agentic_chat",
                "Agentic Chat",
                "GitLab Duo Agent Platform",
                AGENT,
            ));
        }
        if let Some(chat) = features.iter_mut().find(|f| f.key == "duo_chat") {
            chat.provider = "vendored".into();
        }
        Self {
            flavor,
            caller: Caller::Admin,
            models: Vec::new(),
            features,
            duo: Duo::default(),
            requests: Vec::new(),
            rejected: Vec::new(),
            refuse_mutation: None,
            fail_operation: None,
            reported_version: None,
            next_id: 1,
        }
    }

    /// Adds a model as if someone had created it in the admin page.
    pub fn add_model(&mut self, mut model: Model) -> u32 {
        model.id = self.next_id;
        self.next_id += 1;
        let id = model.id;
        self.models.push(model);
        id
    }

    /// The mutations received, in order.
    pub fn mutations(&self) -> Vec<&Recorded> {
        self.requests.iter().filter(|r| r.is_mutation).collect()
    }

    /// The model named `name`.
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The feature `key`.
    pub fn feature(&self, key: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.key == key)
    }

    /// `aiSelfHostedModelCreate`, with GitLab's model validations.
    pub fn create_model(&mut self, input: &Value) -> Result<u32, Vec<String>> {
        let model = self.model_from(input, None)?;
        if self.model(&model.name).is_some() {
            return Err(vec!["Name has already been taken".into()]);
        }
        Ok(self.add_model(model))
    }

    /// `aiSelfHostedModelUpdate`.
    pub fn update_model(&mut self, input: &Value) -> Result<u32, Vec<String>> {
        let id = parse_gid(&input["id"])
            .ok_or_else(|| vec!["Self-hosted model not found".to_owned()])?;
        let index = self
            .models
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(|| vec!["Self-hosted model not found".to_owned()])?;
        let existing = self.models[index].clone();
        let mut updated = self.model_from(input, Some(&existing))?;
        updated.id = id;
        if self
            .models
            .iter()
            .any(|m| m.id != id && m.name == updated.name)
        {
            return Err(vec!["Name has already been taken".into()]);
        }
        self.models[index] = updated;
        Ok(id)
    }

    fn model_from(&self, input: &Value, existing: Option<&Model>) -> Result<Model, Vec<String>> {
        let text = |key: &str| input[key].as_str().map(str::to_owned);
        let mut errors = Vec::new();
        let name = text("name").unwrap_or_default();
        if name.is_empty() || name.len() > 255 {
            errors.push("Name is too long (maximum is 255 characters)".into());
        }
        let endpoint = text("endpoint");
        let provider = text("provider");
        let needs_endpoint = self.flavor == Flavor::Gitlab18 || provider.as_deref() == Some("API");
        match &endpoint {
            Some(e)
                if !(e.starts_with("http://") || e.starts_with("https://")) || e.len() > 255 =>
            {
                errors.push("Endpoint is blocked: Only allowed schemes are http, https".into());
            }
            None if needs_endpoint => errors.push("Endpoint can't be blank".into()),
            _ => {}
        }
        if text("identifier").is_some_and(|i| i.len() > 255) {
            errors.push("Identifier is too long (maximum is 255 characters)".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let api_token = match input.get("apiToken") {
            Some(Value::String(token)) => Some(token.clone()),
            _ => existing.and_then(|m| m.api_token.clone()),
        };
        Ok(Model {
            id: 0,
            name,
            family: text("model").unwrap_or_default().to_ascii_lowercase(),
            endpoint,
            identifier: text("identifier"),
            api_token,
            provider,
        })
    }

    /// `aiFeatureSettingUpdate`: refuses a family the feature does not accept, as GitLab does.
    pub fn update_features(&mut self, input: &Value) -> Result<Vec<&'static str>, Vec<String>> {
        let provider = input["provider"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let model = parse_gid(&input["aiSelfHostedModelId"])
            .and_then(|id| self.models.iter().find(|m| m.id == id).cloned());
        if provider == "self_hosted" && model.is_none() {
            return Err(vec![
                "Self-hosted model must exist for a self-hosted feature".into(),
            ]);
        }
        let keys: Vec<String> = input["features"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|f| f.as_str().map(str::to_ascii_lowercase))
                    .collect()
            })
            .unwrap_or_default();
        let mut errors = Vec::new();
        for key in &keys {
            match self.features.iter().find(|f| f.key == key) {
                None => errors.push(format!("Feature {key} is not available")),
                Some(feature) => {
                    if let Some(model) = &model {
                        if !feature.compatible.contains(&model.family.as_str()) {
                            errors.push(format!(
                                "Self hosted model {} is incompatible with the {} feature",
                                model.family, feature.title
                            ));
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut changed = Vec::new();
        for feature in self
            .features
            .iter_mut()
            .filter(|f| keys.iter().any(|k| k == f.key))
        {
            feature.provider = provider.clone();
            feature.model_id = model
                .as_ref()
                .filter(|_| provider == "self_hosted")
                .map(|m| m.id);
            changed.push(feature.key);
        }
        Ok(changed)
    }

    /// `duoSettingsUpdate`.
    pub fn update_duo(&mut self, input: &Value) {
        if let Some(url) = input.get("aiGatewayUrl") {
            self.duo.ai_gateway_url = url.as_str().map(str::to_owned);
        }
        if let Some(seconds) = input.get("aiGatewayTimeoutSeconds") {
            self.duo.timeout_seconds = seconds.as_i64();
        }
    }

    /// `aiSelfHostedModelConnectionCheck`'s result: the AI gateway "reaches" an endpoint
    /// ending in `/v1` with a `custom_openai/` identifier, and Bedrock (with its AWS
    /// credentials) for a `bedrock/` identifier.
    pub fn connection_check(&self, input: &Value) -> Value {
        let endpoint = input["endpoint"].as_str().unwrap_or_default();
        let identifier = input["identifier"].as_str().unwrap_or_default();
        let ok = (endpoint.ends_with("/v1") && identifier.starts_with("custom_openai/"))
            || identifier.starts_with("bedrock/");
        json!({
            "success": ok,
            "message": if ok { "Successfully connected to the self-hosted model" } else { "Connection to the self-hosted model failed" },
            "errors": if ok { json!([]) } else { json!(["404 Not Found"]) },
            "name": "self_hosted_model_connection",
            "details": { "endpoint": endpoint, "with_api_key": input.get("apiToken").is_some() },
        })
    }
}

fn parse_gid(value: &Value) -> Option<u32> {
    value
        .as_str()?
        .strip_prefix("gid://gitlab/Ai::SelfHostedModel/")?
        .parse()
        .ok()
}
