//! The validation table: every rule of every platform, with the field it names and its fix.

use super::*;

fn openai(endpoint: &str, model: &str) -> ExternalDeployment {
    ExternalDeployment::openai("d", endpoint, model)
}

fn bedrock(model: &str, region: Option<&str>) -> ExternalDeployment {
    ExternalDeployment {
        platform: Platform::Bedrock,
        endpoint: String::new(),
        region: region.map(str::to_owned),
        ..openai("", model)
    }
}

fn azure(endpoint: &str, model: &str) -> ExternalDeployment {
    ExternalDeployment {
        platform: Platform::AzureOpenai,
        ..openai(endpoint, model)
    }
}

/// What a row expects: `None` passes; else the field at fault and the fix offered.
type Expected = Option<(&'static str, Option<&'static str>)>;

/// (deployment, what it expects)
fn table() -> Vec<(ExternalDeployment, Expected)> {
    let long_model = "m".repeat(250);
    vec![
        (openai("http://gpu-2:8000/v1", "mistral"), None),
        (openai("https://llm.example.com/v1/", "mistral"), None),
        (openai("https://llm.example.com/proxy/v1", "mistral"), None),
        (
            openai("http://gpu-2:8000", "mistral"),
            Some(("deployments.endpoint", Some("http://gpu-2:8000/v1"))),
        ),
        (
            openai("http://gpu-2:8000/v1/v1", "mistral"),
            Some(("deployments.endpoint", Some("http://gpu-2:8000/v1"))),
        ),
        (
            openai("http://gpu-2:8000/v1/models", "mistral"),
            Some(("deployments.endpoint", Some("http://gpu-2:8000/v1"))),
        ),
        (
            openai("http://gpu-2:8000/v1/chat/completions", "mistral"),
            Some(("deployments.endpoint", Some("http://gpu-2:8000/v1"))),
        ),
        (openai("ftp://x/v1", "m"), Some(("deployments.endpoint", None))),
        (openai("https://u:sk@x.example/v1", "m"), Some(("deployments.endpoint", None))),
        (
            openai(&format!("https://{}.example/v1", "h".repeat(250)), "m"),
            Some(("deployments.endpoint", None)),
        ),
        (openai("http://gpu-2:8000/v1", ""), Some(("deployments.served_model", None))),
        (
            openai("http://gpu-2:8000/v1", "custom_openai/mistral"),
            Some(("deployments.served_model", Some("mistral"))),
        ),
        (
            openai("http://gpu-2:8000/v1", &long_model),
            Some(("deployments.served_model", None)),
        ),
        (
            ExternalDeployment {
                region: Some("us-east-1".into()),
                ..openai("http://gpu-2:8000/v1", "m")
            },
            Some(("deployments.region", None)),
        ),
        // Bedrock
        (bedrock("anthropic.claude-3-5-sonnet-20240620-v1:0", Some("us-west-2")), None),
        (
            bedrock("anthropic.claude-3-5-sonnet-20240620-v1:0", None),
            Some(("deployments.region", None)),
        ),
        (bedrock("anthropic.claude-3-haiku-20240307-v1:0:200k", Some("eu-west-1")), None),
        (bedrock("us.anthropic.claude-3-5-sonnet-20241022-v2:0", Some("us-east-1")), None),
        (bedrock("eu.anthropic.claude-3-5-sonnet-20240620-v1:0", Some("eu-central-1")), None),
        (bedrock("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", Some("ap-southeast-1")), None),
        (bedrock("us-gov.anthropic.claude-3-haiku-20240307-v1:0", Some("us-gov-west-1")), None),
        (
            bedrock("eu.anthropic.claude-3-5-sonnet-20240620-v1:0", Some("us-east-1")),
            Some((
                "deployments.served_model",
                Some("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
            )),
        ),
        (
            bedrock("us.meta.llama3-3-70b-instruct-v1:0", Some("ap-northeast-1")),
            Some(("deployments.served_model", Some("apac.meta.llama3-3-70b-instruct-v1:0"))),
        ),
        (
            bedrock("us.meta.llama3-3-70b-instruct-v1:0", Some("us-gov-west-1")),
            Some(("deployments.served_model", Some("us-gov.meta.llama3-3-70b-instruct-v1:0"))),
        ),
        (
            bedrock("us.anthropic.claude-3-5-sonnet-20241022-v2:0", None),
            Some(("deployments.region", None)),
        ),
        (
            bedrock("anthropic.claude-3-haiku-20240307-v1:0", Some("Frankfurt")),
            Some(("deployments.region", None)),
        ),
        (
            bedrock("bedrock/anthropic.claude-3-haiku-20240307-v1:0", Some("us-east-1")),
            Some(("deployments.served_model", Some("anthropic.claude-3-haiku-20240307-v1:0"))),
        ),
        (bedrock("Claude Sonnet", Some("us-east-1")), Some(("deployments.served_model", None))),
        (
            bedrock(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
                Some("us-east-1"),
            ),
            None,
        ),
        (
            bedrock(
                "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123",
                Some("eu-west-1"),
            ),
            None,
        ),
        (
            bedrock(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0",
                Some("us-west-2"),
            ),
            Some(("deployments.region", Some("us-east-1"))),
        ),
        (
            bedrock("arn:aws:s3:::bucket", Some("us-east-1")),
            Some(("deployments.served_model", None)),
        ),
        (
            ExternalDeployment {
                endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com".into(),
                ..bedrock("anthropic.claude-3-haiku-20240307-v1:0", Some("us-east-1"))
            },
            Some(("deployments.endpoint", Some(""))),
        ),
        (
            ExternalDeployment {
                api_key_stored: true,
                ..bedrock("anthropic.claude-3-haiku-20240307-v1:0", Some("us-east-1"))
            },
            Some(("deployments.api_key", None)),
        ),
        // Azure
        (azure("https://team.openai.azure.com", "gpt-4o-team"), None),
        (azure("https://team.openai.azure.com/", "gpt-4o"), None),
        (
            azure("http://team.openai.azure.com", "gpt-4o"),
            Some(("deployments.endpoint", None)),
        ),
        (
            azure(
                "https://team.openai.azure.com/openai/deployments/gpt-4o/chat/completions",
                "gpt-4o",
            ),
            Some(("deployments.endpoint", Some("https://team.openai.azure.com"))),
        ),
        (
            azure("https://team.openai.azure.com", "azure/gpt-4o"),
            Some(("deployments.served_model", Some("gpt-4o"))),
        ),
        (
            azure("https://team.openai.azure.com", "gpt 4o"),
            Some(("deployments.served_model", None)),
        ),
    ]
}

#[test]
fn every_rule_names_its_field_and_offers_the_fix_where_it_is_plain() {
    for (deployment, expected) in table() {
        let got = check_platform_rules(&deployment);
        match (expected, got) {
            (None, Ok(())) => {}
            (Some((field, fix)), Err(broken)) => {
                assert_eq!(broken.field, field, "{deployment:?}: {}", broken.reason);
                assert_eq!(
                    broken.fix.as_deref(),
                    fix,
                    "{deployment:?}: {}",
                    broken.reason
                );
                assert!(!broken.reason.is_empty());
            }
            (expected, got) => panic!("{deployment:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

#[test]
fn a_fixed_value_passes_the_rule_it_broke() {
    for (deployment, expected) in table() {
        let Some((field, Some(_))) = expected else {
            continue;
        };
        let broken = check_platform_rules(&deployment).expect_err("broken");
        let fix = broken.fix.expect("fix");
        let mut fixed = deployment.clone();
        match field {
            "deployments.endpoint" => fixed.endpoint = fix,
            "deployments.served_model" => fixed.served_model = fix,
            "deployments.region" => fixed.region = Some(fix),
            other => panic!("{other}"),
        }
        assert_eq!(check_platform_rules(&fixed), Ok(()), "{fixed:?}");
    }
}

#[test]
fn the_v1_fix_keeps_the_path_and_drops_what_follows_v1() {
    assert_eq!(with_single_v1("http://h:8000"), "http://h:8000/v1");
    assert_eq!(with_single_v1("http://h/proxy/"), "http://h/proxy/v1");
    assert_eq!(with_single_v1("http://h/v1/v1/models"), "http://h/v1");
}
