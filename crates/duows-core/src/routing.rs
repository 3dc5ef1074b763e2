//! Which model serves each Duo feature: every feature has a stable alias (`duo-chat`,
//! `duo-code-completion`, …) that GitLab is given once as `custom_openai/<alias>`; the
//! settings route an alias to a deployment, and a feature with no route of its own that
//! falls back (the Chat sub-features) uses its fallback's. Pure: the gateway, the API, the
//! UI and `duows features` all read routes from here.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::settings::Settings;

/// One feature's route as the UI and `duows` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FeatureRoute {
    /// GitLab's feature key, e.g. `duo_chat_explain_code`.
    pub feature: String,
    /// Its title in GitLab's admin page.
    pub title: String,
    /// The gateway's name for it, e.g. `duo-chat-explain-code`.
    pub alias: String,
    /// The model identifier to enter in GitLab: `custom_openai/<alias>`.
    pub gitlab_identifier: String,
    /// The deployment serving it, if any.
    pub target: Option<String>,
    /// The feature whose model it borrows (its own has none set).
    pub via: Option<String>,
}

/// Each feature's alias and target, falling back where the catalog says so.
pub fn feature_routes(settings: &Settings, catalog: &Catalog) -> Vec<FeatureRoute> {
    catalog
        .features
        .iter()
        .map(|feature| {
            let own = settings.features.get(&feature.key).cloned();
            let fallback = || {
                let parent = feature.falls_back_to.as_ref()?;
                settings
                    .features
                    .get(parent)
                    .map(|t| (t.clone(), parent.clone()))
            };
            let (target, via) = match own {
                Some(target) => (Some(target), None),
                None => fallback().map_or((None, None), |(t, p)| (Some(t), Some(p))),
            };
            let alias = feature.gateway_alias();
            FeatureRoute {
                feature: feature.key.clone(),
                title: feature.title.clone(),
                gitlab_identifier: format!("custom_openai/{alias}"),
                alias,
                target,
                via,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_sub_features_fall_back_to_general_chat() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut settings = Settings::default();
        settings
            .features
            .insert("duo_chat".into(), "mistral".into());
        settings
            .features
            .insert("code_completions".into(), "codestral".into());
        let routes = feature_routes(&settings, catalog);
        let find = |alias: &str| {
            routes
                .iter()
                .find(|r| r.alias == alias)
                .unwrap_or_else(|| panic!("{alias}"))
                .clone()
        };
        assert_eq!(find("duo-chat").target.as_deref(), Some("mistral"));
        let explain = find("duo-chat-explain-code");
        assert_eq!(explain.target.as_deref(), Some("mistral"));
        assert_eq!(explain.via.as_deref(), Some("duo_chat"));
        assert_eq!(
            explain.gitlab_identifier,
            "custom_openai/duo-chat-explain-code"
        );
        assert_eq!(
            find("duo-code-completion").target.as_deref(),
            Some("codestral")
        );
        assert_eq!(
            find("duo-code-generation").target,
            None,
            "no fallback for generation"
        );
    }
}
