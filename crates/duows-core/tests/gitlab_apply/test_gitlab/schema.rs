//! GitLab's GraphQL schemas for the test GitLab: the SDL transcribed from GitLab's reference
//! (`fixtures/gitlab-graphql/`, byte copies of `../shared/docs/gitlab-graphql/`), parsed and
//! validated by apollo-compiler.
//!
//! One adaptation at load time, never in the files: they transcribe the Duo Self-Hosted
//! subset, which lacks `Query.metadata`, the field every GitLab has and this app reads the
//! version from. It is added as GitLab declares it (the fields this app could read; GitLab's
//! `featureFlags` and `kas` are left out, nothing here asks for them).

use std::path::PathBuf;

use apollo_compiler::validation::Valid;
use apollo_compiler::Schema;

/// Which GitLab the test GitLab is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// GitLab 18.6 (`gitlab-18.6.graphql`).
    Gitlab18,
    /// GitLab 19.1 (`gitlab-19.1.graphql`).
    Gitlab19,
    /// A GitLab without Duo Self-Hosted: only `metadata`.
    WithoutDuo,
}

impl Flavor {
    /// The version it reports.
    pub fn version(self) -> &'static str {
        match self {
            Self::Gitlab18 => "18.6.0-ee",
            Self::Gitlab19 => "19.1.0-ee",
            Self::WithoutDuo => "18.6.0",
        }
    }

    /// The SDL file's name, for those that have one.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Self::Gitlab18 => Some("gitlab-18.6.graphql"),
            Self::Gitlab19 => Some("gitlab-19.1.graphql"),
            Self::WithoutDuo => None,
        }
    }
}

/// `Query.metadata`, as GitLab declares it (a subset of its fields).
const METADATA: &str = r#"
extend type Query {
  "Metadata about GitLab."
  metadata: Metadata
}

type Metadata {
  "Enterprise edition."
  enterprise: Boolean!
  "Revision."
  revision: String!
  "Version."
  version: String!
}
"#;

/// The folder of the SDL copies in the repository.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/gitlab-graphql")
}

/// The SDL text of `flavor`, with `metadata` added.
pub fn sdl(flavor: Flavor) -> String {
    match flavor.file_name() {
        Some(name) => {
            let path = fixtures_dir().join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            format!("{text}\n{METADATA}")
        }
        None => format!("schema {{ query: Query }}\ntype Query {{ _unused: Boolean }}\n{METADATA}"),
    }
}

/// The validated schema of `flavor`.
pub fn load(flavor: Flavor) -> Valid<Schema> {
    let name = flavor.file_name().unwrap_or("without-duo.graphql");
    Schema::parse_and_validate(sdl(flavor), name)
        .unwrap_or_else(|invalid| panic!("{name} does not validate:\n{}", invalid.errors))
}
