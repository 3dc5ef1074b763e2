//! GitLab's side of the catalog: model families, feature ratings per GitLab version, release
//! states, the Duo features and deprecations, as `catalog/catalog.toml` writes them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// GitLab's model families (`AiAcceptedSelfHostedModels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum Family {
    Codegemma,
    Codellama,
    Codestral,
    Mistral,
    Mixtral,
    Deepseekcoder,
    Llama3,
    #[serde(rename = "CLAUDE_3")]
    Claude3,
    Gpt,
    Gemini,
    General,
}

/// GitLab's name of a family (`AiAcceptedSelfHostedModels`), e.g. `CLAUDE_3`.
pub fn family_name(family: Family) -> &'static str {
    match family {
        Family::Codegemma => "CODEGEMMA",
        Family::Codellama => "CODELLAMA",
        Family::Codestral => "CODESTRAL",
        Family::Mistral => "MISTRAL",
        Family::Mixtral => "MIXTRAL",
        Family::Deepseekcoder => "DEEPSEEKCODER",
        Family::Llama3 => "LLAMA3",
        Family::Claude3 => "CLAUDE_3",
        Family::Gpt => "GPT",
        Family::Gemini => "GEMINI",
        Family::General => "GENERAL",
    }
}

/// The family's label in GitLab's admin page.
pub fn family_label(family: Family) -> &'static str {
    match family {
        Family::Codegemma => "CodeGemma",
        Family::Codellama => "Code Llama",
        Family::Codestral => "Codestral",
        Family::Mistral => "Mistral",
        Family::Mixtral => "Mixtral",
        Family::Deepseekcoder => "DeepSeek Coder",
        Family::Llama3 => "Llama 3",
        Family::Claude3 => "Claude 3",
        Family::Gpt => "GPT",
        Family::Gemini => "Gemini",
        Family::General => "General",
    }
}

/// A family as GitLab writes it in answers (`mistral`, `claude_3`, `GENERAL`).
pub fn family_from_gitlab(text: &str) -> Option<Family> {
    const ALL: [Family; 11] = [
        Family::Codegemma,
        Family::Codellama,
        Family::Codestral,
        Family::Mistral,
        Family::Mixtral,
        Family::Deepseekcoder,
        Family::Llama3,
        Family::Claude3,
        Family::Gpt,
        Family::Gemini,
        Family::General,
    ];
    ALL.into_iter()
        .find(|f| family_name(*f).eq_ignore_ascii_case(text.trim()))
}

/// Release state of a model in GitLab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// Generally available.
    Ga,
    /// Beta: behind the "Use beta models and features" toggle.
    Beta,
    /// Experimental.
    Experimental,
}

/// GitLab's compatibility rating of a model for one kind of feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Fully compatible.
    Full,
    /// Largely compatible.
    Largely,
    /// Partially compatible.
    Partial,
    /// Supported, but GitLab publishes no rating.
    Listed,
    /// Not compatible.
    None,
    /// Not listed for this feature.
    NotListed,
}

impl Rating {
    /// Higher is better; 0 means "do not use for this feature".
    pub fn score(self) -> u8 {
        match self {
            Self::Full => 4,
            Self::Largely => 3,
            Self::Partial => 2,
            Self::Listed => 1,
            Self::None | Self::NotListed => 0,
        }
    }
}

/// Which rating column a feature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RatedAs {
    /// Code completion.
    Completion,
    /// Code generation.
    Generation,
    /// Duo Chat and the features GitLab rates with it.
    Chat,
    /// Agent Platform (18.9+).
    AgentPlatform,
}

/// A GitLab version such as 18.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub struct GitlabVersion {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

impl FromStr for GitlabVersion {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a GitLab version like 18.4");
        let mut parts = text.trim().split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        // A patch level (18.4.2) is accepted and does not matter here.
        if parts.next().is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(bad());
        }
        Ok(Self { major, minor })
    }
}

impl fmt::Display for GitlabVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for GitlabVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GitlabVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A Duo feature that can be mapped to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// GitLab's enum value in lower case, e.g. `code_completions`.
    pub key: String,
    /// Title in GitLab's admin page.
    pub title: String,
    /// Group in GitLab's admin page.
    pub group: String,
    /// `ga`, `beta` or `experiment`: beta and experiment need GitLab's beta toggle.
    pub state: String,
    /// First GitLab version that has it.
    #[serde(default)]
    pub since: Option<GitlabVersion>,
    /// Which rating column applies.
    pub rated_as: RatedAs,
    /// A Chat sub-feature with no model of its own uses this feature's model.
    #[serde(default)]
    pub falls_back_to: Option<String>,
    /// Not available on GitLab Premium.
    #[serde(default)]
    pub not_on_premium: bool,
    /// Families GitLab accepts for it.
    pub families: Vec<Family>,
}

impl Feature {
    /// The stable model name the gateway answers to for this feature (`duo-chat`,
    /// `duo-code-completion`, `duo-chat-explain-code`, …). GitLab is configured once with
    /// `custom_openai/<alias>`; which model serves it is decided in the app.
    pub fn gateway_alias(&self) -> String {
        match self.key.as_str() {
            "code_completions" => "duo-code-completion".into(),
            "code_generations" => "duo-code-generation".into(),
            key => format!("duo-{}", key.trim_start_matches("duo_").replace('_', "-")),
        }
    }
}

/// GitLab's ratings for a model over a range of GitLab versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RatingRange {
    /// First version (inclusive).
    pub from: GitlabVersion,
    /// End (exclusive); `None`: still current.
    #[serde(default)]
    pub until: Option<GitlabVersion>,
    /// Release state in this range, when it differs from the model's.
    #[serde(default)]
    pub release: Option<ReleaseState>,
    /// Code completion.
    pub completion: Rating,
    /// Code generation.
    pub generation: Rating,
    /// Duo Chat.
    pub chat: Rating,
    /// Agent Platform.
    pub agent_platform: Rating,
}

impl RatingRange {
    /// Whether `version` falls in this range.
    pub fn covers(&self, version: GitlabVersion) -> bool {
        self.from <= version && self.until.is_none_or(|until| version < until)
    }

    /// The best of the four ratings.
    pub fn best(&self) -> Rating {
        [
            self.completion,
            self.generation,
            self.chat,
            self.agent_platform,
        ]
        .into_iter()
        .max_by_key(|r| r.score())
        .unwrap_or(Rating::NotListed)
    }

    /// The rating for one column.
    pub fn rating(&self, rated_as: RatedAs) -> Rating {
        match rated_as {
            RatedAs::Completion => self.completion,
            RatedAs::Generation => self.generation,
            RatedAs::Chat => self.chat,
            RatedAs::AgentPlatform => self.agent_platform,
        }
    }
}

/// Deprecation of a model in GitLab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    /// Deprecated from this version.
    pub since: GitlabVersion,
    /// No longer listed from this version.
    #[serde(default)]
    pub removed_in: Option<GitlabVersion>,
    /// The model GitLab recommends instead (a catalog id).
    #[serde(default)]
    pub replacement: Option<String>,
    /// What to tell users.
    pub note: String,
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "full",
            Self::Largely => "largely",
            Self::Partial => "partial",
            Self::Listed => "listed",
            Self::None => "none",
            Self::NotListed => "not listed",
        })
    }
}

impl fmt::Display for ReleaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ga => "GA",
            Self::Beta => "beta",
            Self::Experimental => "experimental",
        })
    }
}
