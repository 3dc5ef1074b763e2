//! One GraphQL request to GitLab (`POST <url>/api/graphql`, `Authorization: Bearer`), and how
//! an answer that is not GraphQL becomes an error: no answer, 401 (the token), 403 (its
//! scope), a redirect or a page that is not GitLab's API. The token is a [`Secret`]: it is
//! put in the header and nowhere else, and no error or log line quotes a request.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use duows_base::Secret;

use super::address::GitlabUrl;
use super::documents::Document;
use super::GitlabError;

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A GitLab instance and the token to use with it.
pub struct GitlabClient {
    http: reqwest::Client,
    url: GitlabUrl,
    token: Secret,
}

impl std::fmt::Debug for GitlabClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitlabClient")
            .field("url", &self.url)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// A GraphQL answer: its `data` (null when absent) and its top-level `errors`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    pub data: Value,
    pub errors: Vec<GraphqlError>,
}

/// One entry of a GraphQL answer's `errors`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GraphqlError {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<Value>,
}

#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

impl GitlabClient {
    /// A client for `url` with `token` (a personal access token with the `api` scope).
    pub fn new(url: GitlabUrl, token: Secret) -> Result<Self, GitlabError> {
        let value = token.expose();
        if value.is_empty() {
            return Err(GitlabError::invalid(
                "token",
                "give an administrator's personal access token with the `api` scope",
            ));
        }
        if !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(GitlabError::invalid(
                "token",
                "holds spaces or characters no GitLab token has (was something pasted with it?)",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect would be followed without the token, or with it to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GitlabError::Unreachable {
                url: url.to_string(),
                reason: format!("no HTTP client: {e}"),
            })?;
        Ok(Self { http, url, token })
    }

    /// The instance.
    pub fn url(&self) -> &GitlabUrl {
        &self.url
    }

    /// Sends `document` with `variables`; an answer with `data` or `errors` is returned as
    /// it is, anything else is an error.
    pub(crate) async fn send(
        &self,
        document: Document,
        variables: Value,
    ) -> Result<Answer, GitlabError> {
        let url = self.url.to_string();
        let body = json!({
            "query": document.text,
            "operationName": document.name,
            "variables": variables,
        });
        tracing::debug!(operation = document.name, gitlab = %url, "GitLab GraphQL request");
        let response = self
            .http
            .post(self.url.graphql())
            .bearer_auth(self.token.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| GitlabError::Unreachable {
                url: url.clone(),
                reason: error_chain(&e),
            })?;
        let status = response.status();
        match status.as_u16() {
            401 => return Err(GitlabError::TokenRefused { url }),
            403 => return Err(GitlabError::Forbidden { url }),
            300..=399 => {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("elsewhere")
                    .to_owned();
                return Err(GitlabError::NotGitlab {
                    url,
                    detail: format!("HTTP {status}, redirected to {location}"),
                });
            }
            _ => {}
        }
        let text = response
            .text()
            .await
            .map_err(|e| GitlabError::Unreachable {
                url: url.clone(),
                reason: error_chain(&e),
            })?;
        match serde_json::from_str::<WireAnswer>(&text) {
            Ok(WireAnswer { data, errors }) if data.is_some() || errors.is_some() => Ok(Answer {
                data: data.unwrap_or(Value::Null),
                errors: errors.unwrap_or_default(),
            }),
            _ => Err(GitlabError::NotGitlab {
                url,
                detail: format!("HTTP {status}, {}", snippet(&text)),
            }),
        }
    }
}

/// The start of a body that is not GraphQL, on one line.
fn snippet(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return "an empty body".into();
    }
    let cut: String = line.chars().take(120).collect();
    if cut.len() < line.len() {
        format!("“{cut}…”")
    } else {
        format!("“{cut}”")
    }
}

/// An error and its causes, e.g. "error sending request … : connection refused".
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

impl GraphqlError {
    /// Whether it says the schema lacks a field, argument or type (an older GitLab, or one
    /// without Duo Self-Hosted): graphql-ruby's codes, or its wording.
    pub fn is_schema_mismatch(&self) -> bool {
        let code = self
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        matches!(
            code,
            "undefinedField" | "argumentNotAccepted" | "undefinedType" | "missingRequiredArguments"
        ) || self.message.contains("doesn't exist on type")
    }

    /// Whether it says the user may not see or do this.
    pub fn is_permission_denied(&self) -> bool {
        self.message.contains("don't have permission") || self.message.contains("not authorized")
    }
}
