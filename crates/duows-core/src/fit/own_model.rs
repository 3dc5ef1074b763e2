//! The fit of a model read from the user's own `config.json` (not in the catalog): the same
//! fit, with what was read and what was estimated first in the explanation, and a warning
//! that GitLab does not list the model.

use crate::catalog::ConfigModel;

use super::{fit_on_nodes, FitError, FitRequest, FitResult};

/// Fits `own` (whose model and checkpoint `request` carries) and says where its numbers come from.
pub fn fit_config_model(
    own: &ConfigModel,
    request: &FitRequest<'_>,
) -> Result<FitResult, FitError> {
    fit_config_model_on_nodes(own, request, 1)
}

/// [`fit_config_model`] on `nodes` identical nodes ([`fit_on_nodes`]).
pub fn fit_config_model_on_nodes(
    own: &ConfigModel,
    request: &FitRequest<'_>,
    nodes: u32,
) -> Result<FitResult, FitError> {
    let mut result = fit_on_nodes(request, nodes)?;
    let mut explanation = vec![format!(
        "{} is read from {}, not from the catalog.",
        own.model.name,
        own.config_path.display()
    )];
    explanation.extend(own.read.iter().cloned());
    explanation.extend(own.estimated.iter().map(|e| format!("Estimated: {e}")));
    explanation.append(&mut result.explanation);
    result.explanation = explanation;
    result.warnings.insert(
        0,
        format!(
            "{} is not in GitLab's list of approved models: it can only be used for GitLab's GENERAL family (any OpenAI-compatible model), without GitLab's ratings.",
            own.model.name
        ),
    );
    Ok(result)
}
