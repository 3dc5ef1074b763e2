//! Is an OpenAI-compatible deployment there, does it take our key, and does it serve the
//! model we route to it? One `GET <endpoint>/models` answers all three.
//!
//! The result says what is known and when it was learnt: reachable (with the time the
//! answer took), unreachable (with the reason), a refused key, or a missing model. A
//! deployment nobody checked yet is never shown as ready.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How long a check waits for an answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// It answered with the model among its models.
    Reachable,
    /// No answer, or not an OpenAI-compatible one.
    Unreachable,
    /// It answered 401 or 403: the key is missing or wrong.
    WrongKey,
    /// It answered, but does not serve the model.
    ModelMissing,
    /// Bedrock or Azure: only GitLab's AI gateway, with its credentials, can reach it.
    CheckedByGitlab,
}

/// One check of one deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DeploymentCheck {
    /// What it found.
    pub reachability: Reachability,
    /// In words, with the fix where there is one.
    pub message: String,
    /// When (ms since the epoch).
    pub checked_at_ms: u64,
    /// How long the answer took, when one came.
    pub latency_ms: Option<u64>,
    /// The models it lists (`data[].id`), when it answered.
    pub models: Vec<String>,
}

/// Asks `endpoint` (a base URL ending in `/v1`) for its models with `api_key`, and
/// whether `served_model` is among them. Never fails: an error is an unreachable result.
pub async fn check_deployment(
    client: &reqwest::Client,
    endpoint: &str,
    api_key: Option<&str>,
    served_model: &str,
) -> DeploymentCheck {
    let url = format!("{}/models", endpoint.trim_end_matches('/'));
    let started = Instant::now();
    let mut request = client.get(&url).timeout(CHECK_TIMEOUT);
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let result = match request.send().await {
        Ok(response) => {
            let status = response.status();
            let body = response.bytes().await;
            Answer::Http(status.as_u16(), body.ok().map(|b| b.to_vec()))
        }
        Err(error) => Answer::NoAnswer(describe_error(&error)),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    judge(
        result,
        latency_ms,
        endpoint,
        served_model,
        api_key.is_some(),
    )
}

/// Checks an external deployment of the settings with its key (from its variable or the
/// secret store). When its own endpoint fails the check, its replicas are asked in turn:
/// the deployment serves while one of them does. Bedrock and Azure deployments are reached by GitLab's AI gateway with its
/// own credentials: they are not checked from here ([`Reachability::CheckedByGitlab`]).
pub async fn check_external(
    client: &reqwest::Client,
    deployment: &crate::settings::ExternalDeployment,
    key: Option<&duows_base::Secret>,
) -> DeploymentCheck {
    if !deployment.platform.through_gateway() {
        return DeploymentCheck {
            reachability: Reachability::CheckedByGitlab,
            message: format!(
                "{} is reached by GitLab's AI gateway with its own credentials, not from this machine: GitLab's connection check tests it (`duows gitlab apply` runs it)",
                deployment.platform.label()
            ),
            checked_at_ms: duows_base::clock::now_ms(),
            latency_ms: None,
            models: Vec::new(),
        };
    }
    let own = check_deployment(
        client,
        &deployment.endpoint,
        key.map(duows_base::Secret::expose),
        &deployment.served_model,
    )
    .await;
    if own.reachability == Reachability::Reachable {
        return own;
    }
    for replica in &deployment.replicas {
        let replica_key = replica.key(key);
        let check = check_deployment(
            client,
            &replica.endpoint,
            replica_key.as_ref().map(duows_base::Secret::expose),
            &deployment.served_model,
        )
        .await;
        if check.reachability == Reachability::Reachable {
            return DeploymentCheck {
                message: format!(
                    "served by its replica {}; its own endpoint: {}",
                    replica.endpoint, own.message
                ),
                ..check
            };
        }
    }
    own
}

/// What came back.
enum Answer {
    NoAnswer(String),
    Http(u16, Option<Vec<u8>>),
}

fn describe_error(error: &reqwest::Error) -> String {
    // reqwest's own text names the URL; its source chain names the cause.
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if error.is_timeout() {
        format!("no answer within {} s", CHECK_TIMEOUT.as_secs())
    } else if error.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        cause.to_string()
    }
}

fn judge(
    answer: Answer,
    latency_ms: u64,
    endpoint: &str,
    served_model: &str,
    sent_key: bool,
) -> DeploymentCheck {
    let checked_at_ms = duows_base::clock::now_ms();
    let result = |reachability, message: String, latency: Option<u64>, models| DeploymentCheck {
        reachability,
        message,
        checked_at_ms,
        latency_ms: latency,
        models,
    };
    let (status, body) = match answer {
        Answer::NoAnswer(reason) => {
            return result(
                Reachability::Unreachable,
                format!("{endpoint} does not answer: {reason}"),
                None,
                Vec::new(),
            )
        }
        Answer::Http(status, body) => (status, body),
    };
    if status == 401 || status == 403 {
        let message = if sent_key {
            format!(
                "{endpoint} refused the key ({status}): check the key in its environment variable"
            )
        } else {
            format!("{endpoint} needs an API key ({status}): name the environment variable that holds it")
        };
        return result(
            Reachability::WrongKey,
            message,
            Some(latency_ms),
            Vec::new(),
        );
    }
    let models = body
        .filter(|_| (200..300).contains(&status))
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v.get("data")?.as_array().map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get("id")?.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
        });
    let Some(models) = models else {
        let hint = if endpoint.trim_end_matches('/').ends_with("/v1") {
            ""
        } else {
            " (OpenAI-compatible endpoints end in /v1)"
        };
        return result(
            Reachability::Unreachable,
            format!("{endpoint}/models answered {status}, not a list of models{hint}"),
            Some(latency_ms),
            Vec::new(),
        );
    };
    if models.iter().any(|m| m == served_model) {
        return result(
            Reachability::Reachable,
            format!("{endpoint} answered in {latency_ms} ms and serves {served_model}"),
            Some(latency_ms),
            models,
        );
    }
    let listed = if models.is_empty() {
        "none".to_owned()
    } else {
        models.join(", ")
    };
    result(
        Reachability::ModelMissing,
        format!("{endpoint} does not serve {served_model}; it serves: {listed}"),
        Some(latency_ms),
        models,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Option<Vec<u8>> {
        Some(json.as_bytes().to_vec())
    }

    #[test]
    fn each_answer_gets_its_verdict() {
        let models = r#"{"object":"list","data":[{"id":"mistral"},{"id":"codestral"}]}"#;
        let e = "http://gpu-2:8000/v1";
        let ok = judge(Answer::Http(200, body(models)), 12, e, "codestral", true);
        assert_eq!(ok.reachability, Reachability::Reachable);
        assert_eq!(ok.latency_ms, Some(12));
        let missing = judge(Answer::Http(200, body(models)), 3, e, "llama", true);
        assert_eq!(missing.reachability, Reachability::ModelMissing);
        assert!(
            missing.message.contains("mistral, codestral"),
            "{}",
            missing.message
        );
        let key = judge(Answer::Http(401, None), 3, e, "llama", false);
        assert_eq!(key.reachability, Reachability::WrongKey);
        assert!(key.message.contains("needs an API key"), "{}", key.message);
        let html = judge(
            Answer::Http(200, body("<html>")),
            3,
            "http://gl:8000",
            "m",
            true,
        );
        assert_eq!(html.reachability, Reachability::Unreachable);
        assert!(html.message.contains("end in /v1"), "{}", html.message);
        let gone = judge(Answer::NoAnswer("dns error".into()), 3, e, "m", true);
        assert_eq!(gone.reachability, Reachability::Unreachable);
        assert_eq!(gone.latency_ms, None);
    }

    #[tokio::test]
    async fn a_host_that_does_not_exist_is_unreachable_with_the_reason() {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        // A port nothing listens on: bind one, then let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let check = check_deployment(
            &client,
            &format!("http://127.0.0.1:{port}/v1"),
            Some("k"),
            "m",
        )
        .await;
        assert_eq!(check.reachability, Reachability::Unreachable);
        assert!(
            check.message.contains("cannot connect"),
            "{}",
            check.message
        );
        assert!(check.checked_at_ms > 0);
    }
}
