//! The Duo-feature part of the settings: which deployment serves each feature, which are
//! turned off, and whether a deployment's family is one GitLab accepts for the feature
//! (refused with GitLab's words, "Codestral is incompatible with the General Chat feature").

use crate::catalog::{family_label, Catalog, Family, Feature};

use super::{valid_deployment_name, Settings, SettingsError};

/// GitLab's refusal of `family` for `feature`, or `Ok` when GitLab accepts it.
pub fn check_family(feature: &Feature, family: Family) -> Result<(), String> {
    if feature.families.contains(&family) {
        return Ok(());
    }
    Err(format!(
        "{} is incompatible with the {} feature",
        family_label(family),
        feature.title
    ))
}

pub(super) fn validate_features(settings: &Settings) -> Result<(), SettingsError> {
    let catalog = Catalog::builtin().map_err(|e| {
        SettingsError::invalid("features", format!("the catalog is unavailable: {e}"))
    })?;
    let feature_named = |key: &str, field: &'static str| {
        catalog
            .feature(key)
            .filter(|f| f.key == key)
            .ok_or_else(|| {
                SettingsError::invalid(
                    field,
                    format!("`{key}` is not a Duo feature key (e.g. duo_chat)"),
                )
            })
    };
    for (key, target) in &settings.features {
        let feature = feature_named(key, "features")?;
        if !valid_deployment_name(target) {
            return Err(SettingsError::invalid(
                "features",
                format!("`{target}` (for {key}) is not a deployment name"),
            ));
        }
        if settings.disabled_features.contains(key) {
            return Err(SettingsError::invalid(
                "disabled_features",
                format!("`{key}` is both turned off and routed to {target}: choose one"),
            ));
        }
        if let Some(external) = settings.deployments.iter().find(|d| &d.name == target) {
            let family = external.effective_family(catalog);
            check_family(feature, family)
                .map_err(|reason| SettingsError::invalid("features", reason))?;
        }
    }
    for key in &settings.disabled_features {
        feature_named(key, "disabled_features")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{ExternalDeployment, Platform};

    #[test]
    fn a_family_gitlab_refuses_is_refused_in_its_words() {
        let catalog = Catalog::builtin().expect("catalog");
        let chat = catalog.feature("duo_chat").expect("chat");
        assert_eq!(
            check_family(chat, Family::Codegemma),
            Err("CodeGemma is incompatible with the General Chat feature".into())
        );
        assert_eq!(check_family(chat, Family::General), Ok(()));

        let mut settings = Settings::default();
        settings.deployments.push(ExternalDeployment {
            platform: Platform::OpenaiCompatible,
            family: Some(Family::Codegemma),
            ..ExternalDeployment::openai("gemma", "http://gpu-2:8000/v1", "codegemma-7b")
        });
        settings
            .features
            .insert("code_completions".into(), "gemma".into());
        settings
            .validate()
            .expect("CodeGemma serves code completion");
        settings.features.insert("duo_chat".into(), "gemma".into());
        match settings.validate() {
            Err(SettingsError::Invalid { field, reason, .. }) => {
                assert_eq!(field, "features");
                assert_eq!(
                    reason,
                    "CodeGemma is incompatible with the General Chat feature"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_feature_is_routed_or_turned_off_never_both() {
        let mut settings = Settings::default();
        settings
            .disabled_features
            .insert("duo_chat_troubleshoot_job".into());
        settings.validate().expect("turned off");
        settings
            .features
            .insert("duo_chat_troubleshoot_job".into(), "engine-1".into());
        assert_eq!(
            settings
                .validate()
                .err()
                .as_ref()
                .and_then(SettingsError::field),
            Some("disabled_features")
        );
        settings.features.clear();
        settings.disabled_features.insert("duo_coffee".into());
        assert_eq!(
            settings
                .validate()
                .err()
                .as_ref()
                .and_then(SettingsError::field),
            Some("disabled_features")
        );
    }
}
