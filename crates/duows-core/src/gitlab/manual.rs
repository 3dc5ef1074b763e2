//! The same configuration without a token: the values to type into GitLab's admin pages, in
//! the order GitLab asks for them (the AI gateway, the beta toggle where needed, each
//! self-hosted model, each feature). Pure; no secret is ever part of it.

use std::fmt;

use serde::Serialize;

use crate::catalog::Family;

use super::desired::{DesiredConfig, DesiredModel};
use super::documents::ApiShape;
use super::model::{family_label, family_name};
use crate::settings::Platform;

/// One value to enter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ManualField {
    /// The field's label in GitLab.
    pub label: String,
    /// What to enter or choose.
    pub value: String,
    /// The value is the exact text to type in (offered to copy); otherwise it says what to
    /// choose, tick or find.
    pub copy: bool,
}

/// One form to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ManualStep {
    /// What it does.
    pub title: String,
    /// Where it is in GitLab.
    pub place: String,
    /// The values.
    pub fields: Vec<ManualField>,
}

/// Every step, in order, and what to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ManualSteps {
    /// The steps.
    pub steps: Vec<ManualStep>,
    /// Remarks: features left out, families replaced.
    pub notes: Vec<String>,
}

const DUO_CONFIGURATION: &str = "Admin area > GitLab Duo > Change configuration";
const SELF_HOSTED: &str = "Admin area > GitLab Duo > Configure GitLab Duo Self-Hosted";

/// A value to type in as it is.
fn field(label: &str, value: impl Into<String>) -> ManualField {
    ManualField {
        label: label.to_owned(),
        value: value.into(),
        copy: true,
    }
}

/// What to choose, tick or find: words, not text to paste.
fn choice(label: &str, value: impl Into<String>) -> ManualField {
    ManualField {
        copy: false,
        ..field(label, value)
    }
}

/// The steps for `desired`; with `shape` (when the GitLab version is known) families and
/// features that version lacks are replaced or left out, with a note.
pub fn manual_steps(desired: &DesiredConfig, shape: Option<ApiShape>) -> ManualSteps {
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    let mut gateway_fields = vec![match &desired.ai_gateway_url {
        Some(url) => field("Local AI Gateway URL", url.clone()),
        None => choice(
            "Local AI Gateway URL",
            "the URL of your AI gateway, e.g. http://aigw.example.com:5052 (leave it if set)",
        ),
    }];
    if let Some(seconds) = desired.ai_gateway_timeout_seconds {
        gateway_fields.push(choice(
            "AI gateway request timeout",
            format!("{seconds} seconds"),
        ));
    }
    steps.push(ManualStep {
        title: "Point GitLab at its AI gateway".into(),
        place: DUO_CONFIGURATION.into(),
        fields: gateway_fields,
    });
    let wanted: Vec<_> = desired
        .models
        .iter()
        .filter(|m| {
            let known = shape.is_none_or(|s| s.features().contains(&m.feature.as_str()));
            if !known {
                notes.push(format!(
                    "{} ({}) does not exist in this GitLab version: left out",
                    m.feature_title, m.feature
                ));
            }
            known
        })
        .collect();
    if wanted.iter().any(|m| m.feature_state != "ga") {
        steps.push(ManualStep {
            title: "Allow beta models and features (some features below are beta)".into(),
            place: DUO_CONFIGURATION.into(),
            fields: vec![choice(
                "Use beta models and features in GitLab Duo Self-Hosted",
                "ticked (this accepts GitLab's Testing Agreement)",
            )],
        });
    }
    let key_value = if desired.gateway_requires_key {
        "a key of this gateway (`duows keys create --name gitlab` prints one)"
    } else {
        "a key of this gateway once it has any (`duows keys create --name gitlab`); empty while it has none"
    };
    let mut added: Vec<&str> = Vec::new();
    for model in &wanted {
        // A Bedrock or Azure deployment serving several features is added once.
        if added.contains(&model.name.as_str()) {
            continue;
        }
        added.push(&model.name);
        let family = match shape {
            Some(s) if !s.families().contains(&model.family) => {
                notes.push(format!(
                    "this GitLab version has no {} family: {} uses General",
                    family_label(model.family),
                    model.name
                ));
                Family::General
            }
            _ => model.family,
        };
        steps.push(ManualStep {
            title: format!("Add the self-hosted model {}", model.name),
            place: format!("{SELF_HOSTED} > Self-hosted models > Add self-hosted model"),
            fields: model_fields(model, family, key_value),
        });
    }
    if !wanted.is_empty() {
        steps.push(ManualStep {
            title: "Choose each feature's model".into(),
            place: format!("{SELF_HOSTED} > AI-native features"),
            fields: wanted
                .iter()
                .map(|m| {
                    choice(
                        &format!("{} ({})", m.feature_title, m.feature),
                        m.name.clone(),
                    )
                })
                .chain(
                    desired.disabled.iter().map(|(feature, title)| {
                        choice(&format!("{title} ({feature})"), "Disabled")
                    }),
                )
                .collect(),
        });
        notes.push(
            "if GitLab does not offer a model for a feature, its family is not accepted there: edit the model and choose General"
                .into(),
        );
    } else if !desired.disabled.is_empty() {
        steps.push(ManualStep {
            title: "Turn features off".into(),
            place: format!("{SELF_HOSTED} > AI-native features"),
            fields: desired
                .disabled
                .iter()
                .map(|(feature, title)| choice(&format!("{title} ({feature})"), "Disabled"))
                .collect(),
        });
    } else {
        notes.push(
            "no Duo feature has a model routed in this app: route one first (`duows features set duo_chat <engine>`)"
                .into(),
        );
    }
    ManualSteps { steps, notes }
}

/// The fields of one model's form, for its platform.
fn model_fields(model: &DesiredModel, family: Family, gateway_key: &str) -> Vec<ManualField> {
    let family = choice(
        "Model family",
        format!("{} ({})", family_label(family), family_name(family)),
    );
    let name = field("Deployment name", model.name.clone());
    let identifier = field("Model identifier", model.identifier.clone());
    match model.platform {
        Platform::OpenaiCompatible => vec![
            name,
            choice("Platform", "API (an OpenAI-compatible server)"),
            family,
            field("Endpoint", model.endpoint.clone().unwrap_or_default()),
            choice("API key", gateway_key),
            identifier,
        ],
        Platform::Bedrock => vec![
            name,
            choice("Platform", "Amazon Bedrock"),
            family,
            choice(
                "Endpoint",
                "(none: the AI gateway uses its AWS credentials and AWS_REGION)",
            ),
            identifier,
        ],
        Platform::AzureOpenai => vec![
            name,
            choice(
                "Platform",
                "API (Azure OpenAI through its azure/ identifier)",
            ),
            family,
            field("Endpoint", model.endpoint.clone().unwrap_or_default()),
            choice(
                "API key",
                if model.key_of_deployment.is_some() {
                    "the deployment's Azure key (kept in this app's secret store)"
                } else {
                    "the deployment's Azure key"
                },
            ),
            identifier,
        ],
    }
}

impl fmt::Display for ManualSteps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "GitLab Duo Self-Hosted: the values to enter, in order.")?;
        for (n, step) in self.steps.iter().enumerate() {
            writeln!(f)?;
            writeln!(f, "{}. {}", n + 1, step.title)?;
            writeln!(f, "   In: {}", step.place)?;
            let width = step
                .fields
                .iter()
                .map(|x| x.label.chars().count())
                .max()
                .unwrap_or(0);
            for item in &step.fields {
                let pad = width - item.label.chars().count();
                writeln!(f, "   {}:{} {}", item.label, " ".repeat(pad), item.value)?;
            }
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            writeln!(f, "Notes:")?;
            for note in &self.notes {
                writeln!(f, "  - {note}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::gitlab::desired::{desired_config, DesiredInputs};
    use crate::routing::feature_routes;
    use crate::settings::Settings;
    use duows_base::Secret;
    use std::collections::BTreeMap;

    #[test]
    fn the_steps_follow_gitlabs_order_and_never_hold_the_key() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut settings = Settings::default();
        settings
            .features
            .insert("duo_chat".into(), "mistral-7b-instruct-v0.3".into());
        settings
            .features
            .insert("duo_agent_platform_agentic_chat".into(), "gemma".into());
        settings.features.insert(
            "generate_commit_message".into(),
            "mistral-7b-instruct-v0.3".into(),
        );
        let inputs = DesiredInputs::parse(
            "gpu-box.example.com",
            Some("http://aigw.example.com:5052"),
            Some(120),
            Some(Secret::new("dwk_topsecret")),
        )
        .expect("inputs");
        let routes = feature_routes(&settings, catalog);
        let desired = desired_config(&routes, catalog, &BTreeMap::new(), &[], inputs);
        let steps = manual_steps(&desired, Some(ApiShape::Gitlab18));
        let text = steps.to_string();
        assert!(!text.contains("dwk_topsecret"));
        let gateway = text.find("http://aigw.example.com:5052").expect("gateway");
        let beta = text
            .find("Use beta models")
            .expect("beta toggle for commit messages");
        let model = text.find("Deployment name").expect("model");
        let features = text.find("AI-native features").expect("features");
        assert!(gateway < beta && beta < model && model < features, "{text}");
        assert!(
            text.contains("http://gpu-box.example.com:8000/v1"),
            "{text}"
        );
        assert!(text.contains("custom_openai/duo-chat"));
        assert!(text.contains("Mistral (MISTRAL)"));
        assert!(
            steps
                .notes
                .iter()
                .any(|n| n.contains("duo_agent_platform_agentic_chat")),
            "a 19.x feature is left out on 18.x: {:?}",
            steps.notes
        );
        let unknown_version = manual_steps(&desired, None);
        assert!(unknown_version
            .to_string()
            .contains("duo_agent_platform_agentic_chat"));

        // Only text to type in is offered to copy; choices and instructions are words.
        let copy_of = |label: &str| -> Vec<bool> {
            steps
                .steps
                .iter()
                .flat_map(|s| &s.fields)
                .filter(|f| f.label == label)
                .map(|f| f.copy)
                .collect()
        };
        for literal in [
            "Local AI Gateway URL",
            "Deployment name",
            "Endpoint",
            "Model identifier",
        ] {
            let flags = copy_of(literal);
            assert!(!flags.is_empty() && flags.iter().all(|c| *c), "{literal}");
        }
        for choice in [
            "AI gateway request timeout",
            "Use beta models and features in GitLab Duo Self-Hosted",
            "Platform",
            "Model family",
            "API key",
            "General Chat (duo_chat)",
        ] {
            let flags = copy_of(choice);
            assert!(!flags.is_empty() && flags.iter().all(|c| !*c), "{choice}");
        }
    }
}
