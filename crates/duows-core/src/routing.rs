//! Which model serves each Duo feature: every feature has a stable alias (`duo-chat`,
//! `duo-code-completion`, …) that GitLab is given once as `custom_openai/<alias>`; the
//! settings route an alias to a deployment, and a feature with no route of its own that
//! falls back (the Chat sub-features) uses its fallback's. A feature turned off has no
//! route, and lends none. Pure: the gateway, the API, the UI and `duows features` all read
//! routes from here; [`rated_features`] answers "every feature this model is rated for".

use serde::Serialize;

use crate::catalog::{Catalog, Family, GitlabVersion};
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
    /// The model identifier to enter in GitLab: `custom_openai/<alias>`, or the Bedrock or
    /// Azure deployment's own identifier when one serves it.
    pub gitlab_identifier: String,
    /// The deployment serving it, if any.
    pub target: Option<String>,
    /// The feature whose model it borrows (its own has none set).
    pub via: Option<String>,
    /// Its group in GitLab's admin page (`Duo Chat`, `Code Suggestions`, …).
    pub group: String,
    /// `ga`, `beta` or `experiment` (the last two need GitLab's beta switch).
    pub state: String,
    /// The first GitLab version that has it, when the catalog knows.
    pub since: Option<String>,
    /// Turned off (GitLab's `DISABLED`). A feature without a model and not turned off is
    /// unassigned, and stays on in GitLab.
    pub disabled: bool,
}

/// Each feature's alias and target, falling back where the catalog says so.
pub fn feature_routes(settings: &Settings, catalog: &Catalog) -> Vec<FeatureRoute> {
    catalog
        .features
        .iter()
        .map(|feature| {
            let disabled = settings.disabled_features.contains(&feature.key);
            let own = settings
                .features
                .get(&feature.key)
                .filter(|_| !disabled)
                .cloned();
            let fallback = || {
                let parent = feature.falls_back_to.as_ref().filter(|_| !disabled)?;
                settings
                    .features
                    .get(parent)
                    .filter(|_| !settings.disabled_features.contains(parent))
                    .map(|t| (t.clone(), parent.clone()))
            };
            let (target, via) = match own {
                Some(target) => (Some(target), None),
                None => fallback().map_or((None, None), |(t, p)| (Some(t), Some(p))),
            };
            let alias = feature.gateway_alias();
            // A Bedrock or Azure deployment is given to GitLab as itself, not as an alias.
            let direct = target.as_ref().and_then(|t| {
                settings
                    .deployments
                    .iter()
                    .find(|d| &d.name == t && !d.platform.through_gateway())
            });
            FeatureRoute {
                feature: feature.key.clone(),
                title: feature.title.clone(),
                gitlab_identifier: direct.map_or_else(
                    || format!("custom_openai/{alias}"),
                    |d| d.gitlab_identifier(),
                ),
                alias,
                target,
                via,
                group: feature.group.clone(),
                state: feature.state.clone(),
                since: feature.since.map(|v| v.to_string()),
                disabled,
            }
        })
        .collect()
}

/// What "every feature it is rated for" means for one model.
#[derive(Debug, Clone, Copy)]
pub struct RatedFor<'a> {
    /// The catalog model's id, when it is one: its GitLab ratings decide.
    pub catalog_model: Option<&'a str>,
    /// Its family: outside the catalog, every feature that accepts the family.
    pub family: Family,
    /// The GitLab version whose ratings apply.
    pub gitlab: GitlabVersion,
    /// Whether beta and experimental features are included.
    pub include_beta: bool,
}

/// The features the deployment `target` is rated for: an external deployment by its served
/// model and family, an engine by its catalog model (`engines`: engine name → catalog id; an
/// engine is named after its catalog model unless renamed). Features turned off are left
/// off. `Err` names what is unknown.
pub fn rated_for_target(
    settings: &Settings,
    catalog: &Catalog,
    target: &str,
    engines: &std::collections::BTreeMap<String, String>,
    gitlab: GitlabVersion,
) -> Result<Vec<String>, String> {
    let include_beta = settings.show_beta_features;
    let model = if let Some(external) = settings.deployments.iter().find(|d| d.name == target) {
        let catalog_model = catalog.model(&external.served_model).map(|m| m.id.as_str());
        RatedFor {
            catalog_model,
            family: external.effective_family(catalog),
            gitlab,
            include_beta,
        }
    } else {
        let id = engines.get(target).map_or(target, String::as_str);
        let model = catalog.model(id).ok_or_else(|| {
            format!("`{target}` is neither an external deployment nor an engine of a catalog model")
        })?;
        RatedFor {
            catalog_model: Some(&model.id),
            family: model.family,
            gitlab,
            include_beta,
        }
    };
    Ok(rated_features(catalog, model)
        .into_iter()
        .filter(|f| !settings.disabled_features.contains(f))
        .collect())
}

/// The features `model` is rated for in GitLab `gitlab` (any rating above "not compatible")
/// whose families include its family; beta and experimental ones only when asked.
pub fn rated_features(catalog: &Catalog, model: RatedFor<'_>) -> Vec<String> {
    let ratings = model
        .catalog_model
        .and_then(|id| catalog.model(id))
        .map(|m| m.ratings_in(model.gitlab));
    catalog
        .features
        .iter()
        .filter(|f| model.include_beta || f.state == "ga")
        .filter(|f| f.since.is_none_or(|since| since <= model.gitlab))
        .filter(|f| f.families.contains(&model.family))
        .filter(|f| match ratings {
            None => true,
            Some(None) => false,
            Some(Some(range)) => range.rating(f.rated_as).score() > 0,
        })
        .map(|f| f.key.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_turned_off_has_no_route_and_lends_none() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut settings = Settings::default();
        settings
            .features
            .insert("duo_chat".into(), "mistral".into());
        settings
            .disabled_features
            .insert("duo_chat_fix_code".into());
        let routes = feature_routes(&settings, catalog);
        let fix = routes
            .iter()
            .find(|r| r.feature == "duo_chat_fix_code")
            .expect("fix");
        assert!(fix.disabled && fix.target.is_none() && fix.via.is_none());
        settings.disabled_features.insert("duo_chat".into());
        settings.features.remove("duo_chat");
        let routes = feature_routes(&settings, catalog);
        assert!(routes.iter().all(|r| r.target.is_none()), "{routes:?}");
    }

    #[test]
    fn rated_features_follow_gitlabs_ratings_and_families() {
        let catalog = Catalog::builtin().expect("catalog");
        let gitlab: GitlabVersion = "18.4".parse().expect("version");
        let codestral = catalog
            .models
            .iter()
            .find(|m| m.family == Family::Codestral)
            .expect("a Codestral model");
        let rated = rated_features(
            catalog,
            RatedFor {
                catalog_model: Some(&codestral.id),
                family: codestral.family,
                gitlab,
                include_beta: false,
            },
        );
        assert!(rated.contains(&"code_completions".to_owned()), "{rated:?}");
        assert!(
            !rated.contains(&"duo_chat".to_owned()),
            "Codestral is not rated for chat: {rated:?}"
        );
        let general = rated_features(
            catalog,
            RatedFor {
                catalog_model: None,
                family: Family::General,
                gitlab,
                include_beta: false,
            },
        );
        assert!(general.contains(&"duo_chat".to_owned()));
        assert!(
            general
                .iter()
                .all(|k| catalog.feature(k).is_some_and(|f| f.state == "ga")),
            "{general:?}"
        );
        let with_beta = rated_features(
            catalog,
            RatedFor {
                catalog_model: None,
                family: Family::General,
                gitlab,
                include_beta: true,
            },
        );
        assert!(with_beta.len() > general.len());
    }

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
