//! A deployment's replicas: only an OpenAI-compatible server has them (GitLab's AI gateway
//! calls Bedrock and Azure itself), at most [`MAX_REPLICAS`], each endpoint following the
//! same rule as the deployment's own (`…/v1`, offered as the fix) and named once, each key
//! variable a plain one of its own. Errors name the replica, e.g.
//! `deployments[2].replicas[1].endpoint`.

use super::deployment::{ExternalDeployment, Platform};
use super::platform_rules::{check_openai_endpoint, with_single_v1};
use super::{check_key_variable, SettingsError};

/// The most replicas one deployment may list.
pub const MAX_REPLICAS: usize = 16;

/// Checks the replicas of `d`, the deployment at `index` in the settings.
pub(super) fn check_replicas(index: usize, d: &ExternalDeployment) -> Result<(), SettingsError> {
    if d.replicas.is_empty() {
        return Ok(());
    }
    let list = format!("deployments[{index}].replicas");
    if d.platform != Platform::OpenaiCompatible {
        return Err(SettingsError::invalid(
            list,
            format!(
                "are only for OpenAI-compatible servers: GitLab's AI gateway calls {} itself",
                d.platform.label()
            ),
        ));
    }
    if d.replicas.len() > MAX_REPLICAS {
        return Err(SettingsError::invalid(
            list,
            format!(
                "lists {} endpoints; a deployment has at most {MAX_REPLICAS}",
                d.replicas.len()
            ),
        ));
    }
    let own = with_single_v1(&d.endpoint);
    for (j, replica) in d.replicas.iter().enumerate() {
        let field = |name: &str| format!("{list}[{j}].{name}");
        check_openai_endpoint(&replica.endpoint).map_err(|broken| SettingsError::Invalid {
            field: field("endpoint").into(),
            reason: broken.reason,
            fix: broken.fix,
        })?;
        let address = with_single_v1(&replica.endpoint);
        let earlier = d.replicas[..j]
            .iter()
            .any(|r| with_single_v1(&r.endpoint) == address);
        if address == own || earlier {
            return Err(SettingsError::invalid(
                field("endpoint"),
                format!(
                    "`{}` is listed twice: each replica is another server",
                    replica.endpoint
                ),
            ));
        }
        if let Some(var) = &replica.api_key_env {
            check_key_variable(var, &replica.endpoint, field("api_key_env"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Replica, Settings};

    fn with_replicas(endpoints: &[&str]) -> Settings {
        let mut gpu2 = ExternalDeployment::openai("gpu-2", "http://gpu-2:8000/v1", "m");
        gpu2.replicas = endpoints
            .iter()
            .map(|e| Replica {
                endpoint: (*e).to_owned(),
                api_key_env: None,
            })
            .collect();
        Settings {
            deployments: vec![
                ExternalDeployment::openai("other", "http://other:8000/v1", "m"),
                gpu2,
            ],
            ..Settings::default()
        }
    }

    /// The field at fault and the fix offered.
    fn refused(settings: &Settings) -> (String, Option<String>) {
        match settings.validate() {
            Err(SettingsError::Invalid { field, fix, .. }) => (field.into_owned(), fix),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replicas_follow_the_deployments_endpoint_rule_and_name_themselves() {
        with_replicas(&["http://gpu-3:8000/v1", "https://gpu-4.internal/v1/"])
            .validate()
            .expect("two replicas");
        assert_eq!(
            refused(&with_replicas(&[
                "http://gpu-3:8000/v1",
                "http://gpu-4:8000"
            ])),
            (
                "deployments[1].replicas[1].endpoint".into(),
                Some("http://gpu-4:8000/v1".into())
            )
        );
        assert_eq!(
            refused(&with_replicas(&["ftp://gpu-3/v1"])).0,
            "deployments[1].replicas[0].endpoint"
        );
        // The deployment's own address, or one listed twice, is not another server.
        for twice in [
            &["http://gpu-2:8000/v1/"][..],
            &["http://gpu-3:8000/v1", "http://gpu-3:8000/v1"],
        ] {
            let (field, _) = refused(&with_replicas(twice));
            assert!(field.ends_with("].endpoint"), "{field}");
        }
        let many: Vec<String> = (0..=MAX_REPLICAS)
            .map(|i| format!("http://gpu-{i}x:8000/v1"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(refused(&with_replicas(&many)).0, "deployments[1].replicas");
    }

    #[test]
    fn a_replicas_key_variable_is_checked_like_the_deployments() {
        let mut settings = with_replicas(&["http://gpu-3:8000/v1"]);
        settings.deployments[1].replicas[0].api_key_env = Some("GPU3_KEY".into());
        settings.validate().expect("a key of its own");
        for bad in ["HF_TOKEN", "1BAD"] {
            settings.deployments[1].replicas[0].api_key_env = Some(bad.into());
            assert_eq!(
                refused(&settings).0,
                "deployments[1].replicas[0].api_key_env",
                "{bad}"
            );
        }
    }

    #[test]
    fn only_openai_compatible_servers_have_replicas() {
        let mut settings = with_replicas(&["http://gpu-3:8000/v1"]);
        let azure = &mut settings.deployments[1];
        azure.platform = Platform::AzureOpenai;
        azure.endpoint = "https://team.openai.azure.com".into();
        azure.served_model = "gpt-4o".into();
        assert_eq!(refused(&settings).0, "deployments[1].replicas");
    }
}
