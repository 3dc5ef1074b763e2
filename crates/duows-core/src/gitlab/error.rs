//! Why configuring GitLab did not happen, or stopped: each variant is one sentence for people
//! that says what to do, and changes nothing further. No variant carries the token or the
//! gateway key, and no message quotes a request's variables.

/// What went wrong talking to GitLab or with the inputs for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitlabError {
    /// An input is not acceptable; `field` names it (`url`, `token`, `endpoint_address`, …).
    #[error("{field}: {reason}")]
    Invalid {
        /// The input at fault.
        field: &'static str,
        /// What is wrong and what to give instead.
        reason: String,
    },
    /// No HTTP answer: a wrong address, a firewall, DNS, TLS or a timeout.
    #[error("GitLab at {url} cannot be reached: {reason}")]
    Unreachable {
        /// The GitLab URL as given.
        url: String,
        /// The connection error.
        reason: String,
    },
    /// HTTP 401: GitLab does not accept the token (invalid, expired or revoked).
    #[error("GitLab at {url} refused the token (HTTP 401): it is invalid, expired or revoked. Create a personal access token with the `api` scope as an administrator and try again")]
    TokenRefused {
        /// The GitLab URL.
        url: String,
    },
    /// HTTP 403: the token is valid but may not use the API this way (for example only the
    /// `read_api` scope).
    #[error("GitLab at {url} answered 403 Forbidden: the token needs the `api` scope (read_api cannot change settings)")]
    Forbidden {
        /// The GitLab URL.
        url: String,
    },
    /// The token works, but GitLab answers `null` (or "no permission") for the administrator
    /// fields: the token's user is not an administrator, or the instance has no Duo
    /// Self-Hosted.
    #[error("GitLab at {url} accepted the token but answered nothing for {fields}: the token's user is not an administrator (or this GitLab has no GitLab Duo Self-Hosted license). Use a personal access token of an administrator, with the `api` scope")]
    NotAdmin {
        /// The GitLab URL.
        url: String,
        /// The fields GitLab withheld, e.g. `aiSelfHostedModels, aiFeatureSettings`.
        fields: String,
    },
    /// The address answers, but not as GitLab's GraphQL API does.
    #[error("{url} does not answer as GitLab's GraphQL API ({detail}); give the address of the GitLab instance, e.g. https://gitlab.example.com")]
    NotGitlab {
        /// The GitLab URL.
        url: String,
        /// What came back instead.
        detail: String,
    },
    /// GitLab's schema lacks a field or argument this app needs.
    #[error("GitLab {version} at {url} does not have the GitLab Duo Self-Hosted API this needs ({detail}); GitLab 17.9 or newer with GitLab Duo Self-Hosted is required")]
    Unsupported {
        /// The GitLab URL.
        url: String,
        /// The version it reported, or `unknown`.
        version: String,
        /// GitLab's words.
        detail: String,
    },
    /// GitLab answered with top-level GraphQL `errors`.
    #[error("GitLab answered {operation} with errors: {}", messages.join("; "))]
    Graphql {
        /// The operation sent (e.g. `DuoWorkstationState`).
        operation: String,
        /// GitLab's messages.
        messages: Vec<String>,
    },
    /// GitLab's answer lacks something it always has (a schema change or a proxy).
    #[error("GitLab's answer to {operation} is not what its API returns: {detail}")]
    UnexpectedAnswer {
        /// The operation sent.
        operation: String,
        /// What is missing or wrong.
        detail: String,
    },
    /// A change was sent and GitLab refused it (its payload's `errors`, or a failure while
    /// sending it): this step and everything after it were not applied.
    #[error(
        "step {number} of {total} ({step}) failed: {reason}. {}",
        done_sentence(done)
    )]
    StepFailed {
        /// The step, in words.
        step: String,
        /// Its number, from 1.
        number: usize,
        /// How many steps the apply had.
        total: usize,
        /// Why, as GitLab wrote it.
        reason: String,
        /// The steps applied before it.
        done: Vec<String>,
    },
}

fn done_sentence(done: &[String]) -> String {
    if done.is_empty() {
        "Nothing was changed in GitLab".to_owned()
    } else {
        format!(
            "Applied before it: {}; nothing after it was sent",
            done.join("; ")
        )
    }
}

impl GitlabError {
    /// An input error naming `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// The input at fault, for an input error.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::TokenRefused { .. } | Self::Forbidden { .. } | Self::NotAdmin { .. } => {
                Some("token")
            }
            Self::NotGitlab { .. } | Self::Unreachable { .. } | Self::Unsupported { .. } => {
                Some("url")
            }
            _ => None,
        }
    }
}
