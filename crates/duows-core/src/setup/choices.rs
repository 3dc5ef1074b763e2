//! What the person chose in the setup wizard, kept in `<data folder>/setup.json` so that
//! closing the app mid-way loses nothing: the path (recommended model, own weights, plan
//! only), the Duo features wanted, the model and how it is served, and how GitLab was
//! configured. Everything else the wizard shows is read from the machine
//! ([`super::progress`]); this file holds only the choices no other state records.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;

/// The format this build writes.
pub const SETUP_VERSION: u32 = 1;

/// How the person wants to set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SetupPath {
    /// Download and serve the recommended model.
    Recommended,
    /// Serve weights already on this machine (a model folder or a GGUF file).
    OwnWeights,
    /// Only plan: choose a model and see its command line; nothing is installed or started.
    PlanOnly,
}

/// The engine that serves the chosen model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SetupEngine {
    /// vLLM on the GPUs.
    Vllm,
    /// llama.cpp's server with a GGUF file (the CPU, or small GPUs).
    LlamaCpp,
}

/// How GitLab was told about this app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum GitlabOutcome {
    /// Configured through GitLab's API by this app.
    Applied,
    /// The person enters the values in GitLab's admin pages.
    Manual,
    /// Left for later.
    Skipped,
}

/// The wizard's choices. Defaults: nothing chosen yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct SetupChoices {
    /// Format version (written as [`SETUP_VERSION`]).
    #[serde(default)]
    pub version: u32,
    /// The path chosen on the welcome step.
    #[serde(default)]
    pub path: Option<SetupPath>,
    /// When the system check last ran (milliseconds since the epoch).
    #[serde(default)]
    pub checked_at_ms: Option<u64>,
    /// The Duo features wanted (catalog keys, e.g. `code_completions`).
    #[serde(default)]
    pub features: Vec<String>,
    /// The catalog model to serve.
    #[serde(default)]
    pub model: Option<String>,
    /// The engine serving it.
    #[serde(default)]
    pub engine: Option<SetupEngine>,
    /// llama.cpp: the catalog's GGUF file of this quantization (e.g. `Q4_K_M`).
    #[serde(default)]
    pub gguf: Option<String>,
    /// Own weights: the model folder (vLLM) or the GGUF file (llama.cpp), an absolute path.
    #[serde(default)]
    pub weights_path: Option<String>,
    /// Start even though the memory estimate says the model does not fit ("continue
    /// anyway" on the model step).
    #[serde(default)]
    pub override_memory_estimate: bool,
    /// How GitLab was configured, once that step is behind.
    #[serde(default)]
    pub gitlab: Option<GitlabOutcome>,
    /// When the person finished the wizard (milliseconds since the epoch).
    #[serde(default)]
    pub finished_at_ms: Option<u64>,
}

/// A choice that cannot be kept, with the field at fault and the fix where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ChoiceRefused {
    /// The field at fault (`model`, `features[2]`, …).
    pub field: String,
    /// What is wrong.
    pub reason: String,
    /// What to enter instead, when there is one answer.
    pub fix: Option<String>,
}

fn refused(field: impl Into<String>, reason: impl Into<String>) -> ChoiceRefused {
    ChoiceRefused {
        field: field.into(),
        reason: reason.into(),
        fix: None,
    }
}

impl SetupChoices {
    /// Checks the choices against the catalog: known features and model, a GGUF file the
    /// model has, an absolute path for own weights, an engine that can serve the choice.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), ChoiceRefused> {
        if self.version > SETUP_VERSION {
            return Err(refused(
                "version",
                format!(
                    "written by a newer version ({}); this one reads {SETUP_VERSION}",
                    self.version
                ),
            ));
        }
        for (i, key) in self.features.iter().enumerate() {
            if catalog.feature(key).is_none() {
                return Err(refused(
                    format!("features[{i}]"),
                    format!("`{key}` is not a Duo feature"),
                ));
            }
        }
        let model = match &self.model {
            Some(id) => Some(
                catalog
                    .model(id)
                    .ok_or_else(|| refused("model", format!("`{id}` is not in the catalog")))?,
            ),
            None => None,
        };
        if let (Some(quant), Some(model)) = (&self.gguf, model) {
            if !model
                .gguf
                .iter()
                .any(|g| g.quant.eq_ignore_ascii_case(quant))
            {
                let known: Vec<&str> = model.gguf.iter().map(|g| g.quant.as_str()).collect();
                let mut error = refused(
                    "gguf",
                    if known.is_empty() {
                        format!("{} has no GGUF file: it is served by vLLM", model.name)
                    } else {
                        format!(
                            "{} has no GGUF file `{quant}` (it has {})",
                            model.name,
                            known.join(", ")
                        )
                    },
                );
                error.fix = known.first().map(|q| (*q).to_owned());
                return Err(error);
            }
        }
        if self.engine == Some(SetupEngine::LlamaCpp)
            && self.gguf.is_none()
            && self.weights_path.is_none()
        {
            let mut error = refused(
                "gguf",
                "llama.cpp serves a GGUF file: choose the catalog's, or give your own file",
            );
            error.fix = model.and_then(|m| m.gguf.first()).map(|g| g.quant.clone());
            return Err(error);
        }
        if self.engine == Some(SetupEngine::Vllm) && self.gguf.is_some() {
            return Err(refused(
                "gguf",
                "vLLM serves the model's checkpoint; a GGUF file is for llama.cpp",
            ));
        }
        if let Some(path) = &self.weights_path {
            if path.trim().is_empty() || !Path::new(path).is_absolute() {
                return Err(refused(
                    "weights_path",
                    "give the full path of the folder (or GGUF file), starting with /",
                ));
            }
        }
        Ok(())
    }
}

/// Why the choices file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SetupFileError {
    /// Reading or writing the file failed.
    #[error("the setup file {path} could not be {action}: {source}")]
    Io {
        /// `read` or `written`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not the format this build reads; it is left as it is.
    #[error(
        "the setup file {path} is not readable ({reason}); remove it to start the setup again"
    )]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The choices file in the data folder.
#[derive(Debug, Clone)]
pub struct SetupFile {
    path: PathBuf,
}

impl SetupFile {
    /// The file `setup.json` in the data folder at `root`.
    pub fn in_folder(root: &Path) -> Self {
        Self {
            path: root.join("setup.json"),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved choices; none yet when the file does not exist.
    pub fn load(&self) -> Result<SetupChoices, SetupFileError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SetupChoices::default())
            }
            Err(source) => {
                return Err(SetupFileError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let choices: SetupChoices =
            serde_json::from_slice(&bytes).map_err(|e| SetupFileError::Unreadable {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        if choices.version > SETUP_VERSION {
            return Err(SetupFileError::Unreadable {
                path: self.path.clone(),
                reason: format!("written by a newer version ({})", choices.version),
            });
        }
        Ok(choices)
    }

    /// Writes `choices` atomically (they are checked by the caller).
    pub fn save(&self, choices: &SetupChoices) -> Result<(), SetupFileError> {
        let mut choices = choices.clone();
        choices.version = SETUP_VERSION;
        let mut json = serde_json::to_vec_pretty(&choices).map_err(|e| SetupFileError::Io {
            action: "written",
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        json.push(b'\n');
        duows_base::files::write_atomic(&self.path, &json, Some(0o600)).map_err(|source| {
            SetupFileError::Io {
                action: "written",
                path: self.path.clone(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::builtin().expect("catalog")
    }

    #[test]
    fn choices_read_back_and_a_missing_file_is_a_fresh_start() {
        let dir = tempfile::tempdir().expect("dir");
        let file = SetupFile::in_folder(dir.path());
        assert_eq!(file.load().expect("load"), SetupChoices::default());
        let choices = SetupChoices {
            path: Some(SetupPath::Recommended),
            features: vec!["code_completions".into()],
            model: Some("mistral-7b-instruct-v0.3".into()),
            engine: Some(SetupEngine::LlamaCpp),
            gguf: Some("Q4_K_M".into()),
            ..SetupChoices::default()
        };
        choices.validate(catalog()).expect("valid");
        file.save(&choices).expect("save");
        let back = file.load().expect("load");
        assert_eq!(back.version, SETUP_VERSION);
        assert_eq!(back.model, choices.model);
    }

    #[test]
    fn an_unreadable_file_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let file = SetupFile::in_folder(dir.path());
        std::fs::write(file.path(), b"{ not json").expect("write");
        let error = file.load().expect_err("unreadable");
        assert!(error.to_string().contains("remove it"), "{error}");
        assert_eq!(std::fs::read(file.path()).expect("read"), b"{ not json");
    }

    #[test]
    fn bad_choices_name_the_field_and_the_fix() {
        let field = |choices: SetupChoices| {
            choices
                .validate(catalog())
                .map(|()| String::new())
                .unwrap_or_else(|e| e.field)
        };
        let base = SetupChoices {
            model: Some("mistral-7b-instruct-v0.3".into()),
            ..SetupChoices::default()
        };
        assert_eq!(
            field(SetupChoices {
                features: vec!["code_completions".into(), "telepathy".into()],
                ..base.clone()
            }),
            "features[1]"
        );
        assert_eq!(
            field(SetupChoices {
                model: Some("gpt-9".into()),
                ..base.clone()
            }),
            "model"
        );
        let no_quant = SetupChoices {
            engine: Some(SetupEngine::LlamaCpp),
            gguf: Some("Q9".into()),
            ..base.clone()
        }
        .validate(catalog())
        .expect_err("no such file");
        assert_eq!(no_quant.field, "gguf");
        assert_eq!(no_quant.fix.as_deref(), Some("Q4_K_M"));
        let without_file = SetupChoices {
            engine: Some(SetupEngine::LlamaCpp),
            ..base.clone()
        }
        .validate(catalog())
        .expect_err("needs a file");
        assert_eq!(without_file.fix.as_deref(), Some("Q4_K_M"));
        assert_eq!(
            field(SetupChoices {
                weights_path: Some("models/mine".into()),
                ..base.clone()
            }),
            "weights_path"
        );
        assert_eq!(
            field(SetupChoices {
                engine: Some(SetupEngine::Vllm),
                gguf: Some("Q4_K_M".into()),
                ..base
            }),
            "gguf"
        );
    }
}
