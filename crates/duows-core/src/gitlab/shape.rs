//! Which of GitLab's API shapes a version has ([`ApiShape`]): 18.x and 19.x differ in the
//! model mutations' arguments, the families and the features they accept.

use serde::Serialize;

use crate::catalog::{Family, GitlabVersion};

/// The shape of GitLab's Duo Self-Hosted API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ApiShape {
    /// GitLab 17.9 to 18.x: `endpoint: String!`, no `provider`, no gateway timeout.
    Gitlab18,
    /// GitLab 19.0 and newer: `provider: AiSelfHostedModelProvider!` required.
    Gitlab19,
}

/// The oldest GitLab with the API this app uses (GitLab Duo Self-Hosted's general availability).
pub const OLDEST_SUPPORTED: GitlabVersion = GitlabVersion {
    major: 17,
    minor: 9,
};

impl ApiShape {
    /// The shape of `version`'s API; `None` before [`OLDEST_SUPPORTED`].
    pub fn for_version(version: GitlabVersion) -> Option<Self> {
        if version < OLDEST_SUPPORTED {
            None
        } else if version.major < 19 {
            Some(Self::Gitlab18)
        } else {
            Some(Self::Gitlab19)
        }
    }

    /// The families its `AiAcceptedSelfHostedModels` enum has.
    pub fn families(self) -> &'static [Family] {
        const COMMON: [Family; 10] = [
            Family::Claude3,
            Family::Codegemma,
            Family::Codellama,
            Family::Codestral,
            Family::Deepseekcoder,
            Family::General,
            Family::Gpt,
            Family::Llama3,
            Family::Mistral,
            Family::Mixtral,
        ];
        const WITH_GEMINI: [Family; 11] = [
            Family::Claude3,
            Family::Codegemma,
            Family::Codellama,
            Family::Codestral,
            Family::Deepseekcoder,
            Family::Gemini,
            Family::General,
            Family::Gpt,
            Family::Llama3,
            Family::Mistral,
            Family::Mixtral,
        ];
        match self {
            Self::Gitlab18 => &COMMON,
            Self::Gitlab19 => &WITH_GEMINI,
        }
    }

    /// The feature keys its `AiFeatures` enum has (lower case).
    pub fn features(self) -> &'static [&'static str] {
        const GITLAB_18: [&str; 17] = [
            "code_completions",
            "code_generations",
            "duo_agent_platform",
            "duo_chat",
            "duo_chat_explain_code",
            "duo_chat_explain_vulnerability",
            "duo_chat_fix_code",
            "duo_chat_refactor_code",
            "duo_chat_summarize_comments",
            "duo_chat_troubleshoot_job",
            "duo_chat_write_tests",
            "generate_commit_message",
            "glab_ask_git_command",
            "resolve_vulnerability",
            "review_merge_request",
            "summarize_new_merge_request",
            "summarize_review",
        ];
        const GITLAB_19: [&str; 22] = [
            "code_completions",
            "code_generations",
            "duo_agent_platform",
            "duo_agent_platform_agentic_chat",
            "duo_chat",
            "duo_chat_explain_code",
            "duo_chat_explain_vulnerability",
            "duo_chat_fix_code",
            "duo_chat_refactor_code",
            "duo_chat_summarize_comments",
            "duo_chat_troubleshoot_job",
            "duo_chat_write_tests",
            "generate_commit_message",
            "glab_ask_git_command",
            "resolve_vulnerability",
            "review_merge_request",
            "review_merge_request_dap",
            "sast_vulnerability_fp_detection",
            "sast_vulnerability_resolution",
            "secret_vulnerability_fp_detection",
            "summarize_new_merge_request",
            "summarize_review",
        ];
        match self {
            Self::Gitlab18 => &GITLAB_18,
            Self::Gitlab19 => &GITLAB_19,
        }
    }

    /// Whether the model mutations take (and require) `provider`.
    pub fn has_model_provider(self) -> bool {
        self == Self::Gitlab19
    }

    /// Whether `duoSettingsUpdate` takes `aiGatewayTimeoutSeconds`.
    pub fn has_gateway_timeout(self) -> bool {
        self == Self::Gitlab19
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_follows_the_version() {
        let v = |major, minor| GitlabVersion { major, minor };
        assert_eq!(ApiShape::for_version(v(17, 8)), None);
        assert_eq!(ApiShape::for_version(v(17, 9)), Some(ApiShape::Gitlab18));
        assert_eq!(ApiShape::for_version(v(18, 11)), Some(ApiShape::Gitlab18));
        assert_eq!(ApiShape::for_version(v(19, 1)), Some(ApiShape::Gitlab19));
    }
}
