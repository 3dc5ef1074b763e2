//! The parts of a plan besides the models: the features to turn off (`DISABLED`) and the Duo
//! settings to set (the AI gateway URL, and its timeout where the GitLab version has an API
//! for it; otherwise a note saying where to set it by hand). Pure.

use crate::catalog::GitlabVersion;

use super::desired::DesiredConfig;
use super::model::{FeatureProvider, GitlabState};
use super::plan_types::{FeatureAction, PlannedDuoSettings, PlannedFeature};

/// The features to turn off that GitLab knows and has not turned off yet.
pub(super) fn plan_disabled(
    desired: &DesiredConfig,
    gitlab: &GitlabState,
    notes: &mut Vec<String>,
) -> Vec<PlannedFeature> {
    let mut planned = Vec::new();
    for (feature, title) in &desired.disabled {
        let Some(setting) = gitlab
            .feature(feature)
            .filter(|_| gitlab.shape.features().contains(&feature.as_str()))
        else {
            notes.push(format!(
                "{title} ({feature}) is turned off here, but GitLab {} does not list it; not sent",
                gitlab.version
            ));
            continue;
        };
        planned.push(PlannedFeature {
            feature: feature.clone(),
            title: title.clone(),
            model_name: None,
            provider_now: setting.provider.to_ascii_lowercase(),
            action: if setting.provider() == Some(FeatureProvider::Disabled) {
                FeatureAction::Keep
            } else {
                FeatureAction::Disable
            },
        });
    }
    planned
}

pub(super) fn plan_duo_settings(
    desired: &DesiredConfig,
    gitlab: &GitlabState,
    notes: &mut Vec<String>,
) -> Option<PlannedDuoSettings> {
    let now = &gitlab.duo_settings;
    let url_now = now.ai_gateway_url.clone().filter(|u| !u.is_empty());
    let url = desired
        .ai_gateway_url
        .clone()
        .filter(|u| url_now.as_deref().map(|n| n.trim_end_matches('/')) != Some(u.as_str()));
    if desired.ai_gateway_url.is_none() && url_now.is_none() {
        notes.push(
            "GitLab has no AI gateway URL: Duo features need one (give ai_gateway_url, e.g. http://aigw.example.com:5052)"
                .into(),
        );
    }
    let mut timeout = None;
    if let Some(seconds) = desired.ai_gateway_timeout_seconds {
        if gitlab.shape.has_gateway_timeout() {
            timeout = Some(seconds).filter(|s| now.ai_gateway_timeout_seconds != Some(*s));
        } else {
            notes.push(timeout_by_hand(gitlab.version, seconds));
        }
    }
    (url.is_some() || timeout.is_some()).then_some(PlannedDuoSettings {
        ai_gateway_url: url,
        ai_gateway_url_now: url_now,
        ai_gateway_timeout_seconds: timeout,
        ai_gateway_timeout_seconds_now: now.ai_gateway_timeout_seconds,
    })
}

fn timeout_by_hand(version: GitlabVersion, seconds: u32) -> String {
    format!(
        "GitLab {version} has no API for the AI gateway timeout: set {seconds} s by hand (Admin > GitLab Duo > Change configuration > AI gateway request timeout)"
    )
}
