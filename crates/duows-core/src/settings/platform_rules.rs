//! GitLab's rules for a self-hosted model's values, per platform, each naming the field at
//! fault and, where the right value is plain, offering it as the fix: an OpenAI-compatible
//! endpoint ends in `/v1`; a Bedrock model id's cross-region prefix (`us.`, `eu.`, `apac.`)
//! matches the AI gateway's region and an inference profile is given by its ARN; an Azure
//! deployment is a plain name at the resource's address; GitLab's length limits (name,
//! endpoint and identifier 255 characters).

use super::deployment::{ExternalDeployment, Platform};

/// GitLab's limit for an endpoint and for an identifier.
pub const MAX_FIELD_LEN: usize = 255;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBroken {
    /// The field at fault (`deployments.endpoint`).
    pub field: &'static str,
    /// What is wrong, in GitLab's terms.
    pub reason: String,
    /// The corrected value, when it is plain.
    pub fix: Option<String>,
}

fn broken(field: &'static str, reason: impl Into<String>, fix: Option<String>) -> RuleBroken {
    RuleBroken {
        field,
        reason: reason.into(),
        fix,
    }
}

/// Checks the endpoint, model, region and key source of `d` for its platform.
pub fn check_platform_rules(d: &ExternalDeployment) -> Result<(), RuleBroken> {
    match d.platform {
        Platform::OpenaiCompatible => {
            check_openai_endpoint(&d.endpoint)?;
            check_served_name(&d.served_model)?;
        }
        Platform::Bedrock => check_bedrock(d)?,
        Platform::AzureOpenai => check_azure(d)?,
    }
    if d.platform != Platform::Bedrock && d.region.is_some() {
        return Err(broken(
            "deployments.region",
            "is only for AWS Bedrock models",
            None,
        ));
    }
    let identifier = d.gitlab_identifier();
    if identifier.len() > MAX_FIELD_LEN {
        return Err(broken(
            "deployments.served_model",
            format!(
                "makes the model identifier {} characters long; GitLab stores at most {MAX_FIELD_LEN}",
                identifier.len()
            ),
            None,
        ));
    }
    Ok(())
}

/// An OpenAI-compatible endpoint: `http(s)://host[:port][/path]/v1`, no credentials, query
/// or fragment, at most 255 characters. A missing, doubled or over-long `/v1` suffix gets the
/// corrected address as its fix.
pub fn check_openai_endpoint(endpoint: &str) -> Result<(), RuleBroken> {
    const FIELD: &str = "deployments.endpoint";
    let trimmed = endpoint.trim().trim_end_matches('/');
    check_address(FIELD, endpoint, trimmed)?;
    if trimmed.ends_with("/v1") && !trimmed.ends_with("/v1/v1") {
        return Ok(());
    }
    Err(broken(
        FIELD,
        format!(
            "`{endpoint}` must end in /v1: GitLab's AI gateway appends /chat/completions to it"
        ),
        Some(with_single_v1(trimmed)),
    ))
}

/// `endpoint` with exactly one `/v1` at the end: what was meant when `/v1` is missing,
/// doubled, or followed by an API path (`/v1/models`, `/v1/chat/completions`).
pub fn with_single_v1(endpoint: &str) -> String {
    let mut base = endpoint.trim().trim_end_matches('/').to_owned();
    for tail in ["/chat/completions", "/completions", "/models"] {
        if let Some(stripped) = base.strip_suffix(tail) {
            base = stripped.to_owned();
        }
    }
    while let Some(stripped) = base.strip_suffix("/v1") {
        base = stripped.to_owned();
    }
    format!("{base}/v1")
}

fn check_address(field: &'static str, given: &str, trimmed: &str) -> Result<(), RuleBroken> {
    let host = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    if trimmed.contains(['@', '?', '#']) {
        return Err(broken(
            field,
            format!(
                "`{given}` must not hold a user, password, query or fragment: the key is given separately"
            ),
            None,
        ));
    }
    if !host.is_some_and(|h| h.len() > 2 && !h.starts_with('/'))
        || trimmed.contains(char::is_whitespace)
    {
        return Err(broken(
            field,
            format!("`{given}` is not an http(s) address, e.g. http://gpu-2:8000/v1"),
            None,
        ));
    }
    if trimmed.len() > MAX_FIELD_LEN {
        return Err(broken(
            field,
            format!(
                "is {} characters long; GitLab takes at most {MAX_FIELD_LEN}",
                trimmed.len()
            ),
            None,
        ));
    }
    Ok(())
}

fn check_served_name(model: &str) -> Result<(), RuleBroken> {
    const FIELD: &str = "deployments.served_model";
    if model.trim().is_empty() || model.contains(char::is_whitespace) {
        return Err(broken(
            FIELD,
            "must name the model the endpoint serves (its data[].id in GET /v1/models)",
            None,
        ));
    }
    if let Some(rest) = model.strip_prefix("custom_openai/") {
        return Err(broken(
            FIELD,
            "is the served name alone; custom_openai/ is added for GitLab",
            Some(rest.to_owned()),
        ));
    }
    Ok(())
}

/// The cross-region prefixes of Bedrock inference profiles, with the region each serves.
const CROSS_REGION: &[(&str, &str)] = &[
    ("us-gov.", "us-gov-"),
    ("us.", "us-"),
    ("eu.", "eu-"),
    ("apac.", "ap-"),
    ("jp.", "ap-northeast-"),
    ("au.", "ap-southeast-"),
    ("ca.", "ca-"),
];

fn check_bedrock(d: &ExternalDeployment) -> Result<(), RuleBroken> {
    const MODEL: &str = "deployments.served_model";
    if !d.endpoint.trim().is_empty() {
        return Err(broken(
            "deployments.endpoint",
            "must be empty for AWS Bedrock: GitLab's AI gateway reaches Bedrock with its own AWS credentials and region",
            Some(String::new()),
        ));
    }
    if d.api_key_env.is_some() || d.api_key_stored {
        return Err(broken(
            "deployments.api_key",
            "AWS Bedrock takes no API key here: give the AI gateway AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and AWS_REGION",
            None,
        ));
    }
    let Some(region) = d.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(broken(
            "deployments.region",
            "is needed for AWS Bedrock: the AI gateway's AWS_REGION, e.g. us-east-1",
            None,
        ));
    };
    if !valid_region(region) {
        return Err(broken(
            "deployments.region",
            format!("`{region}` is not an AWS region like us-east-1 or eu-central-1"),
            None,
        ));
    }
    let region = Some(region);
    let model = d.served_model.trim();
    for prefix in ["bedrock/converse/", "bedrock/"] {
        if let Some(rest) = model.strip_prefix(prefix) {
            return Err(broken(
                MODEL,
                format!("is the model id or ARN alone; {prefix} is added for GitLab"),
                Some(rest.to_owned()),
            ));
        }
    }
    if let Some(arn) = model.strip_prefix("arn:") {
        return check_bedrock_arn(arn, region);
    }
    let id_chars = model
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-:".contains(c));
    if model.is_empty() || !id_chars || !model.contains('.') {
        return Err(broken(
            MODEL,
            format!("`{model}` is not a Bedrock model id like anthropic.claude-3-5-sonnet-20240620-v1:0, nor an inference profile ARN"),
            None,
        ));
    }
    let Some((prefix, region_start)) = CROSS_REGION
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
    else {
        return Ok(());
    };
    let Some(region) = region else {
        return Ok(());
    };
    let us_not_gov = *prefix == "us." && region.starts_with("us-gov-");
    if region.starts_with(region_start) && !us_not_gov {
        return Ok(());
    }
    let fix = CROSS_REGION
        .iter()
        .find(|(p, start)| {
            region.starts_with(start) && !(*p == "us." && region.starts_with("us-gov-"))
        })
        .map(|(right, _)| format!("{right}{}", &model[prefix.len()..]));
    Err(broken(
        MODEL,
        format!("the cross-region prefix `{prefix}` does not match the region {region}"),
        fix,
    ))
}

fn check_bedrock_arn(arn: &str, region: Option<&str>) -> Result<(), RuleBroken> {
    const MODEL: &str = "deployments.served_model";
    // aws:bedrock:<region>:<account>:(application-)inference-profile/<id>
    let parts: Vec<&str> = arn.splitn(5, ':').collect();
    let shaped = parts.len() == 5
        && parts[0].starts_with("aws")
        && parts[1] == "bedrock"
        && valid_region(parts[2])
        && parts[3].len() == 12
        && parts[3].chars().all(|c| c.is_ascii_digit())
        && (parts[4].starts_with("inference-profile/")
            || parts[4].starts_with("application-inference-profile/"));
    if !shaped {
        return Err(broken(
            MODEL,
            format!("`arn:{arn}` is not a Bedrock inference profile ARN (arn:aws:bedrock:<region>:<account>:inference-profile/<id>)"),
            None,
        ));
    }
    match region {
        Some(region) if region != parts[2] => Err(broken(
            "deployments.region",
            format!("is {region}, but the inference profile is in {}", parts[2]),
            Some(parts[2].to_owned()),
        )),
        _ => Ok(()),
    }
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_azure(d: &ExternalDeployment) -> Result<(), RuleBroken> {
    const FIELD: &str = "deployments.endpoint";
    let trimmed = d.endpoint.trim().trim_end_matches('/');
    check_address(FIELD, &d.endpoint, trimmed)?;
    if !trimmed.starts_with("https://") {
        return Err(broken(
            FIELD,
            format!(
                "`{}` must be the resource's https address, e.g. https://team.openai.azure.com",
                d.endpoint
            ),
            None,
        ));
    }
    if let Some(at) = trimmed.find("/openai") {
        return Err(broken(
            FIELD,
            "is the resource's address alone; the deployment is given as the model",
            Some(trimmed[..at].to_owned()),
        ));
    }
    let model = d.served_model.trim();
    if let Some(rest) = model.strip_prefix("azure/") {
        return Err(broken(
            "deployments.served_model",
            "is the Azure deployment name alone; azure/ is added for GitLab",
            Some(rest.to_owned()),
        ));
    }
    let ok = (2..=64).contains(&model.len())
        && model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        return Err(broken(
            "deployments.served_model",
            format!("`{model}` is not an Azure deployment name (2-64 letters, digits, -, _ or .)"),
            None,
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "platform_rules_tests.rs"]
mod tests;
