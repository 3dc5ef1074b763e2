//! Plans and apply reports in words, as `duows gitlab plan` and `apply` print them.

use std::fmt;

use super::apply::ApplyReport;
use super::model::family_name;
use super::plan::{FeatureAction, ModelAction, Plan};

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "GitLab {} at {}", self.gitlab_version, self.gitlab_url)?;
        writeln!(
            f,
            "Endpoint GitLab is given for every model: {}",
            self.endpoint
        )?;
        writeln!(f)?;
        writeln!(f, "Self-hosted models:")?;
        if self.models.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for model in &self.models {
            let what = match &model.action {
                ModelAction::Create => "create".to_owned(),
                ModelAction::Update { changes, .. } => format!("update ({})", changes.join("; ")),
                ModelAction::Keep { .. } => "keep (as wanted)".to_owned(),
            };
            let key = match (&model.key_of_deployment, model.sends_api_token) {
                (Some(_), _) => ", with the deployment's key",
                (None, true) => ", with the gateway key",
                (None, false) => "",
            };
            let endpoint = model.endpoint.as_deref().unwrap_or("(none)");
            writeln!(
                f,
                "  {}: {what}\n      family {}, identifier {}, endpoint {endpoint}, platform {}{key}",
                model.name,
                family_name(model.family),
                model.identifier,
                model.provider
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Features:")?;
        if self.features.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for feature in &self.features {
            let what = match feature.action {
                FeatureAction::Set => format!("set to self-hosted (now {})", feature.provider_now),
                FeatureAction::Disable => format!("turn off (now {})", feature.provider_now),
                FeatureAction::Keep => "keep (as wanted already)".to_owned(),
            };
            let target = feature.model_name.as_deref().unwrap_or("disabled");
            writeln!(
                f,
                "  {} ({}) → {target}: {what}",
                feature.title, feature.feature
            )?;
        }
        if let Some(duo) = &self.duo_settings {
            writeln!(f)?;
            writeln!(f, "Duo settings:")?;
            if let Some(url) = &duo.ai_gateway_url {
                let now = duo.ai_gateway_url_now.as_deref().unwrap_or("(none)");
                writeln!(f, "  AI gateway URL: {now} → {url}")?;
            }
            if let Some(seconds) = duo.ai_gateway_timeout_seconds {
                let now = duo
                    .ai_gateway_timeout_seconds_now
                    .map_or_else(|| "(none)".to_owned(), |s| format!("{s} s"));
                writeln!(f, "  AI gateway timeout: {now} → {seconds} s")?;
            }
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            writeln!(f, "Notes:")?;
            for note in &self.notes {
                writeln!(f, "  - {note}")?;
            }
        }
        writeln!(f)?;
        match self.change_count() {
            0 => write!(
                f,
                "GitLab already holds this configuration: nothing to change."
            ),
            1 => write!(f, "1 change to apply."),
            n => write!(f, "{n} changes to apply."),
        }
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.applied.is_empty() {
            writeln!(f, "Nothing needed changing in GitLab.")?;
        } else {
            writeln!(f, "Applied to GitLab {}:", self.plan.gitlab_url)?;
            for (n, step) in self.applied.iter().enumerate() {
                writeln!(f, "  {}. {step}", n + 1)?;
            }
        }
        if !self.connection_checks.is_empty() {
            writeln!(f)?;
            writeln!(f, "Connection checks (GitLab's AI gateway to each model):")?;
        }
        for check in &self.connection_checks {
            let verdict = match check.success {
                Some(true) => "reached",
                Some(false) => "FAILED",
                None => "no verdict",
            };
            writeln!(f, "  {}: {verdict}", check.model)?;
            if let Some(message) = &check.message {
                writeln!(f, "      {message}")?;
            }
            for error in &check.errors {
                writeln!(f, "      error: {error}")?;
            }
            if let Some(details) = &check.details {
                writeln!(f, "      details: {details}")?;
            }
        }
        if !self.plan.notes.is_empty() {
            writeln!(f)?;
            writeln!(f, "Notes:")?;
            for note in &self.plan.notes {
                writeln!(f, "  - {note}")?;
            }
        }
        Ok(())
    }
}
