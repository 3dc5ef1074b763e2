//! Which weights a vLLM start serves: the folder the request names (checked against the
//! catalog; a wrong folder is the request's fault), else the checkpoint's download in the
//! models folder (checked: complete, or incomplete with the reason), else none (absent).

use std::path::{Path, PathBuf};

use super::request::{LaunchError, LaunchErrorKind};
use crate::catalog::Variant;
use crate::engine::folder::{cached_snapshot, check_model_folder};
use crate::engine::preflight::WeightsFacts;

/// The folder to serve and what it holds.
pub fn weights_to_serve(
    model_id: &str,
    variant: &Variant,
    given: Option<&Path>,
    models_dir: &Path,
) -> Result<(Option<PathBuf>, WeightsFacts), LaunchError> {
    if let Some(dir) = given {
        check_model_folder(dir, variant).map_err(|e| LaunchError {
            kind: LaunchErrorKind::ModelFolder,
            field: Some("model_dir"),
            message: e.to_string(),
        })?;
        let folder = dir.display().to_string();
        return Ok((Some(dir.to_path_buf()), WeightsFacts::Present { folder }));
    }
    let Some(snapshot) = cached_snapshot(models_dir, &variant.repo, "main") else {
        return Ok((
            None,
            WeightsFacts::Absent {
                repo: variant.repo.clone(),
                model: model_id.to_owned(),
            },
        ));
    };
    let folder = snapshot.display().to_string();
    let facts = match check_model_folder(&snapshot, variant) {
        Ok(_) => WeightsFacts::Present { folder },
        Err(error) => WeightsFacts::Incomplete {
            folder,
            reason: error.to_string(),
            model: model_id.to_owned(),
        },
    };
    Ok((Some(snapshot), facts))
}
