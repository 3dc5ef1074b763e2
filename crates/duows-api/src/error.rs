//! The error every client receives: a stable code to branch on, a sentence for people,
//! and the field at fault when the input was wrong.

use duows_core::hardware::DescriptionError;
use duows_core::settings::SettingsError;
use serde::Serialize;

/// Every error code of the API, each with one HTTP status: a code never means two things.
/// Serialises as its snake_case name (`invalid_parameter`, `unknown_engine`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A parameter is out of range or does not fit the others (the field says which).
    InvalidParameter,
    /// The body is not well-formed JSON, or something follows the JSON value.
    InvalidBody,
    /// The body is JSON, but a field is missing, unknown or of the wrong type.
    InvalidFields,
    /// The body is not sent as `application/json`.
    UnsupportedMediaType,
    /// A hardware spec or description file is not valid.
    InvalidHardwareSpec,
    /// Settings that do not validate.
    InvalidSettings,
    /// A gateway key request that does not validate.
    InvalidKey,
    /// A model folder that does not hold the checkpoint.
    InvalidModelFolder,
    /// Not a branch, tag or commit id.
    InvalidRevision,
    /// A model that is not in the catalog.
    UnknownModel,
    /// A checkpoint the model does not have.
    UnknownVariant,
    /// An engine this app does not install.
    NotInstallable,
    /// No launch plan can be made for these parameters.
    CannotPlan,
    /// The gateway may not listen there (off loopback without a key).
    GatewayRefused,
    /// The access token is missing or wrong.
    Unauthorized,
    /// The `Host` does not name this machine (DNS-rebinding defence).
    ForbiddenHost,
    /// A page of another site sent the request.
    ForbiddenOrigin,
    /// No such API route.
    NotFound,
    /// No engine of that name runs in this program.
    UnknownEngine,
    /// No job of that id.
    UnknownJob,
    /// No gateway key of that id or name.
    UnknownKey,
    /// No external deployment of that name in the settings.
    UnknownDeployment,
    /// The route does not take that method.
    MethodNotAllowed,
    /// GitLab refused the token given for it (invalid, expired, revoked, or without the
    /// `api` scope).
    GitlabTokenRefused,
    /// The token given for GitLab is not an administrator's.
    GitlabNotAdmin,
    /// The URL does not answer as GitLab's GraphQL API, or that GitLab lacks the Duo
    /// Self-Hosted API.
    GitlabUnsupported,
    /// GitLab cannot be reached.
    GitlabUnreachable,
    /// GitLab answered with errors (or an answer its API does not give).
    GitlabError,
    /// GitLab refused a change while applying; the message names the step and what was
    /// applied before it.
    GitlabStepFailed,
    /// An engine start was refused by its checks (each reason is in the message).
    PreflightFailed,
    /// An engine of that name runs already.
    EngineExists,
    /// The engine still runs; stop it first.
    EngineRunning,
    /// The same job runs already.
    JobRunning,
    /// A gateway key of that name exists.
    KeyNameTaken,
    /// The other program changed the settings since they were read.
    SettingsChangedElsewhere,
    /// The settings file is from a newer version, or unreadable and not yet copied aside.
    SettingsProtected,
    /// The gateway's port is taken.
    GatewayPortInUse,
    /// GitLab's AI gateway has no configuration yet.
    AiGatewayNotSetUp,
    /// Neither Docker nor Podman is installed.
    NoContainerRuntime,
    /// Docker or Podman refused (the message has its words).
    ContainerFailed,
    /// A failure inside the app, not the caller's fault.
    Internal,
    /// The key file cannot be read or written.
    KeysUnavailable,
    /// The settings file cannot be read or written.
    SettingsUnavailable,
    /// A request sent through this program's gateway got no answer (no gateway, nothing
    /// routed, or the model failed); the message says which.
    GatewayRequestFailed,
    /// The setup wizard's file cannot be read or written.
    SetupUnavailable,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: &'static [Self] = &[
        Self::InvalidParameter,
        Self::InvalidBody,
        Self::InvalidFields,
        Self::UnsupportedMediaType,
        Self::InvalidHardwareSpec,
        Self::InvalidSettings,
        Self::InvalidKey,
        Self::InvalidModelFolder,
        Self::InvalidRevision,
        Self::UnknownModel,
        Self::UnknownVariant,
        Self::NotInstallable,
        Self::CannotPlan,
        Self::GatewayRefused,
        Self::Unauthorized,
        Self::ForbiddenHost,
        Self::ForbiddenOrigin,
        Self::NotFound,
        Self::UnknownEngine,
        Self::UnknownJob,
        Self::UnknownKey,
        Self::UnknownDeployment,
        Self::MethodNotAllowed,
        Self::GitlabTokenRefused,
        Self::GitlabNotAdmin,
        Self::GitlabUnsupported,
        Self::GitlabUnreachable,
        Self::GitlabError,
        Self::GitlabStepFailed,
        Self::PreflightFailed,
        Self::EngineExists,
        Self::EngineRunning,
        Self::JobRunning,
        Self::KeyNameTaken,
        Self::SettingsChangedElsewhere,
        Self::SettingsProtected,
        Self::GatewayPortInUse,
        Self::AiGatewayNotSetUp,
        Self::NoContainerRuntime,
        Self::ContainerFailed,
        Self::Internal,
        Self::KeysUnavailable,
        Self::SettingsUnavailable,
        Self::GatewayRequestFailed,
        Self::SetupUnavailable,
    ];

    /// Its HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidParameter => 400,
            Self::InvalidBody => 400,
            Self::InvalidFields => 422,
            Self::UnsupportedMediaType => 415,
            Self::InvalidHardwareSpec => 400,
            Self::InvalidSettings => 400,
            Self::InvalidKey => 400,
            Self::InvalidModelFolder => 400,
            Self::InvalidRevision => 400,
            Self::UnknownModel => 400,
            Self::UnknownVariant => 400,
            Self::NotInstallable => 400,
            Self::CannotPlan => 400,
            Self::GatewayRefused => 400,
            Self::Unauthorized => 401,
            Self::ForbiddenHost => 403,
            Self::ForbiddenOrigin => 403,
            Self::NotFound => 404,
            Self::UnknownEngine => 404,
            Self::UnknownJob => 404,
            Self::UnknownKey => 404,
            Self::UnknownDeployment => 404,
            Self::MethodNotAllowed => 405,
            Self::GitlabTokenRefused => 400,
            Self::GitlabNotAdmin => 400,
            Self::GitlabUnsupported => 400,
            Self::GitlabUnreachable => 502,
            Self::GitlabError => 502,
            Self::GitlabStepFailed => 502,
            Self::PreflightFailed => 409,
            Self::EngineExists => 409,
            Self::EngineRunning => 409,
            Self::JobRunning => 409,
            Self::KeyNameTaken => 409,
            Self::SettingsChangedElsewhere => 409,
            Self::SettingsProtected => 409,
            Self::GatewayPortInUse => 409,
            Self::AiGatewayNotSetUp => 409,
            Self::NoContainerRuntime => 409,
            Self::ContainerFailed => 502,
            Self::Internal => 500,
            Self::KeysUnavailable => 500,
            Self::SettingsUnavailable => 500,
            Self::GatewayRequestFailed => 502,
            Self::SetupUnavailable => 500,
        }
    }

    /// Its name, as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParameter => "invalid_parameter",
            Self::InvalidBody => "invalid_body",
            Self::InvalidFields => "invalid_fields",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidHardwareSpec => "invalid_hardware_spec",
            Self::InvalidSettings => "invalid_settings",
            Self::InvalidKey => "invalid_key",
            Self::InvalidModelFolder => "invalid_model_folder",
            Self::InvalidRevision => "invalid_revision",
            Self::UnknownModel => "unknown_model",
            Self::UnknownVariant => "unknown_variant",
            Self::NotInstallable => "not_installable",
            Self::CannotPlan => "cannot_plan",
            Self::GatewayRefused => "gateway_refused",
            Self::Unauthorized => "unauthorized",
            Self::ForbiddenHost => "forbidden_host",
            Self::ForbiddenOrigin => "forbidden_origin",
            Self::NotFound => "not_found",
            Self::UnknownEngine => "unknown_engine",
            Self::UnknownJob => "unknown_job",
            Self::UnknownKey => "unknown_key",
            Self::UnknownDeployment => "unknown_deployment",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::GitlabTokenRefused => "gitlab_token_refused",
            Self::GitlabNotAdmin => "gitlab_not_admin",
            Self::GitlabUnsupported => "gitlab_unsupported",
            Self::GitlabUnreachable => "gitlab_unreachable",
            Self::GitlabError => "gitlab_error",
            Self::GitlabStepFailed => "gitlab_step_failed",
            Self::PreflightFailed => "preflight_failed",
            Self::EngineExists => "engine_exists",
            Self::EngineRunning => "engine_running",
            Self::JobRunning => "job_running",
            Self::KeyNameTaken => "key_name_taken",
            Self::SettingsChangedElsewhere => "settings_changed_elsewhere",
            Self::SettingsProtected => "settings_protected",
            Self::GatewayPortInUse => "gateway_port_in_use",
            Self::AiGatewayNotSetUp => "ai_gateway_not_set_up",
            Self::NoContainerRuntime => "no_container_runtime",
            Self::ContainerFailed => "container_failed",
            Self::Internal => "internal",
            Self::KeysUnavailable => "keys_unavailable",
            Self::SettingsUnavailable => "settings_unavailable",
            Self::GatewayRequestFailed => "gateway_request_failed",
            Self::SetupUnavailable => "setup_unavailable",
        }
    }
}

/// An API error. Serialises as `{ "code", "message", "field"?, "fix"? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct ApiError {
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// The corrected value of that field, when it is plain (a one-click fix).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fix: Option<String>,
}

impl ApiError {
    /// An error with no field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            fix: None,
        }
    }

    /// The HTTP status of its code.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// Names the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// A failure inside the app, not the caller's fault.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl From<DescriptionError> for ApiError {
    fn from(error: DescriptionError) -> Self {
        let field = error.field();
        Self::new(ErrorCode::InvalidHardwareSpec, error.to_string()).with_field(field)
    }
}

impl From<duows_core::secrets::SecretStoreError> for ApiError {
    fn from(error: duows_core::secrets::SecretStoreError) -> Self {
        Self::new(ErrorCode::SettingsUnavailable, error.to_string())
    }
}

impl From<SettingsError> for ApiError {
    fn from(error: SettingsError) -> Self {
        match &error {
            SettingsError::Invalid { field, fix, .. } => {
                let mut api = Self::new(ErrorCode::InvalidSettings, error.to_string())
                    .with_field(field.to_string());
                api.fix = fix.clone();
                api
            }
            SettingsError::ChangedElsewhere { .. } => {
                Self::new(ErrorCode::SettingsChangedElsewhere, error.to_string())
            }
            SettingsError::NotOverwriting { .. } | SettingsError::TooNew { .. } => {
                Self::new(ErrorCode::SettingsProtected, error.to_string())
            }
            _ => Self::new(ErrorCode::SettingsUnavailable, error.to_string()),
        }
    }
}
