//! The error every client receives: a stable code to branch on, a sentence for people,
//! and the field at fault when the input was wrong.

use duows_core::hardware::DescriptionError;
use duows_core::settings::SettingsError;
use serde::Serialize;

/// An API error. Serialises as `{ "code", "message", "field"? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// Stable snake_case code, e.g. `invalid_hardware_spec`.
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// HTTP status for the HTTP transport.
    #[serde(skip)]
    pub status: u16,
}

impl ApiError {
    /// An error with no field.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            status,
        }
    }

    /// Names the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// A failure inside the app, not the caller's fault.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }
}

impl From<DescriptionError> for ApiError {
    fn from(error: DescriptionError) -> Self {
        let field = error.field();
        Self::new(400, "invalid_hardware_spec", error.to_string()).with_field(field)
    }
}

impl From<SettingsError> for ApiError {
    fn from(error: SettingsError) -> Self {
        match &error {
            SettingsError::Invalid { field, .. } => {
                Self::new(400, "invalid_settings", error.to_string()).with_field(*field)
            }
            SettingsError::ChangedElsewhere { .. } => {
                Self::new(409, "settings_changed_elsewhere", error.to_string())
            }
            SettingsError::NotOverwriting { .. } | SettingsError::TooNew { .. } => {
                Self::new(409, "settings_protected", error.to_string())
            }
            _ => Self::new(500, "settings_unavailable", error.to_string()),
        }
    }
}
