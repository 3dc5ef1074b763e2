//! Reading a GitLab's Duo Self-Hosted configuration: its version first (which decides the
//! shape of every later document), then models, features and Duo settings in one query.
//!
//! A token that is not an administrator's: GitLab's resolvers for `aiSelfHostedModels` and
//! `aiFeatureSettings` return `null` without an error when the user may not manage Duo
//! Self-Hosted, and `duoSettings` answers `null` with a "you don't have permission" error. All
//! three fields are nullable in the schema and an administrator always gets objects (empty
//! lists at worst), so a `null` among them, after `metadata` answered for the same token, is
//! read as "not an administrator". A schema that lacks the fields answers a validation error
//! instead, read as "this GitLab does not have the API".

use serde::Deserialize;
use serde_json::{json, Value};

use super::client::{Answer, GitlabClient};
use super::documents::{self, ApiShape, Document, OLDEST_SUPPORTED};
use super::model::{parse_version, GitlabDuoSettings, GitlabFeature, GitlabModel, GitlabState};
use super::GitlabError;

/// The fields only an administrator gets.
const ADMIN_FIELDS: [&str; 3] = ["aiSelfHostedModels", "aiFeatureSettings", "duoSettings"];

/// Reads the version, then the configuration.
pub async fn read_state(client: &GitlabClient) -> Result<GitlabState, GitlabError> {
    let url = client.url().to_string();
    let answer = client.send(documents::VERSION, json!({})).await?;
    fail_on_errors(&url, "unknown", documents::VERSION, &answer)?;
    let version_text = answer.data["metadata"]["version"]
        .as_str()
        .ok_or_else(|| GitlabError::UnexpectedAnswer {
            operation: documents::VERSION.name.into(),
            detail: "no metadata.version".into(),
        })?
        .to_owned();
    let version = parse_version(&version_text).ok_or_else(|| GitlabError::UnexpectedAnswer {
        operation: documents::VERSION.name.into(),
        detail: format!("`{version_text}` is not a version"),
    })?;
    let shape = ApiShape::for_version(version).ok_or_else(|| GitlabError::Unsupported {
        url: url.clone(),
        version: version_text.clone(),
        detail: format!("older than {OLDEST_SUPPORTED}"),
    })?;
    let query = documents::state_query(shape);
    let answer = client.send(query, json!({})).await?;
    if answer.errors.iter().any(|e| e.is_schema_mismatch()) {
        return Err(unsupported(&url, &version_text, &answer));
    }
    // Without `data` at all the request failed as a whole: its errors say why.
    let withheld: Vec<&str> = ADMIN_FIELDS
        .into_iter()
        .filter(|field| answer.data.is_object() && answer.data[*field].is_null())
        .collect();
    if !withheld.is_empty() {
        return Err(GitlabError::NotAdmin {
            url,
            fields: withheld.join(", "),
        });
    }
    fail_on_errors(&url, &version_text, query, &answer)?;
    parse_state(query, version_text, shape, answer.data)
}

/// Top-level errors: the schema lacks something, or GitLab refused the document.
pub(crate) fn fail_on_errors(
    url: &str,
    version: &str,
    document: Document,
    answer: &Answer,
) -> Result<(), GitlabError> {
    if answer.errors.is_empty() {
        return Ok(());
    }
    if answer.errors.iter().any(|e| e.is_schema_mismatch()) {
        return Err(unsupported(url, version, answer));
    }
    if answer.errors.iter().any(|e| e.is_permission_denied()) {
        return Err(GitlabError::NotAdmin {
            url: url.to_owned(),
            fields: document.name.to_owned(),
        });
    }
    Err(GitlabError::Graphql {
        operation: document.name.into(),
        messages: answer.errors.iter().map(|e| e.message.clone()).collect(),
    })
}

fn unsupported(url: &str, version: &str, answer: &Answer) -> GitlabError {
    GitlabError::Unsupported {
        url: url.to_owned(),
        version: version.to_owned(),
        detail: answer
            .errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireState {
    ai_self_hosted_models: Connection<WireModel>,
    ai_feature_settings: Connection<WireFeature>,
    duo_settings: WireDuoSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

impl<T> Connection<T> {
    fn is_complete(&self) -> bool {
        self.page_info.as_ref().is_none_or(|p| !p.has_next_page)
    }
    fn into_nodes(self) -> impl Iterator<Item = T> {
        self.nodes.into_iter().flatten()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireModel {
    id: String,
    name: String,
    model: String,
    endpoint: Option<String>,
    identifier: Option<String>,
    has_api_token: bool,
    #[serde(default)]
    provider: Option<String>,
}

#[derive(Deserialize)]
struct WireId {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFeature {
    feature: String,
    title: Option<String>,
    main_feature: Option<String>,
    provider: String,
    release_state: Option<String>,
    compatible_llms: Option<Vec<String>>,
    self_hosted_model: Option<WireId>,
    valid_models: Connection<WireId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDuoSettings {
    ai_gateway_url: Option<String>,
    #[serde(default)]
    ai_gateway_timeout_seconds: Option<u32>,
}

fn parse_state(
    query: Document,
    version_text: String,
    shape: ApiShape,
    data: Value,
) -> Result<GitlabState, GitlabError> {
    let unexpected = |detail: String| GitlabError::UnexpectedAnswer {
        operation: query.name.into(),
        detail,
    };
    let wire: WireState = serde_json::from_value(data).map_err(|e| unexpected(e.to_string()))?;
    if !wire.ai_self_hosted_models.is_complete() || !wire.ai_feature_settings.is_complete() {
        return Err(unexpected(
            "more than 100 self-hosted models or features; reading further pages is not supported"
                .into(),
        ));
    }
    let models = wire
        .ai_self_hosted_models
        .into_nodes()
        .map(|m| GitlabModel {
            id: m.id,
            name: m.name,
            model: m.model,
            endpoint: m.endpoint,
            identifier: m.identifier,
            has_api_token: m.has_api_token,
            provider: m.provider,
        })
        .collect();
    let features = wire
        .ai_feature_settings
        .into_nodes()
        .map(|f| GitlabFeature {
            feature: f.feature.to_ascii_lowercase(),
            title: f.title,
            main_feature: f.main_feature,
            provider: f.provider,
            release_state: f.release_state,
            compatible_llms: f.compatible_llms,
            self_hosted_model_id: f.self_hosted_model.map(|m| m.id),
            valid_model_ids: f.valid_models.into_nodes().map(|m| m.id).collect(),
        })
        .collect();
    let version = parse_version(&version_text)
        .ok_or_else(|| unexpected(format!("`{version_text}` is not a version")))?;
    Ok(GitlabState {
        version_text,
        version,
        shape,
        models,
        features,
        duo_settings: GitlabDuoSettings {
            ai_gateway_url: wire.duo_settings.ai_gateway_url,
            ai_gateway_timeout_seconds: wire.duo_settings.ai_gateway_timeout_seconds,
        },
    })
}
