//! The plan as Kubernetes manifests: the fit on the hardware named (one node or several),
//! then `duows_core::kubernetes` with vLLM's image at the release the app installs for the
//! model. Not a command of the table: `duows export kubernetes` writes the files.

use duows_core::catalog::Catalog;
use duows_core::engine::install::release_for_model;
use duows_core::kubernetes::{self, KubernetesExport, KubernetesOptions};

use super::planning::{fit, FitParams};
use crate::{ApiError, ApiState, ErrorCode};

/// What the manifests depend on besides the fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubernetesParams {
    /// `metadata.namespace` of every object.
    pub namespace: Option<String>,
    /// The gateway's image (default `duo-workstation:<this version>`).
    pub gateway_image: Option<String>,
    /// The pods' network interface for NCCL and Gloo (default `eth0`).
    pub interface: Option<String>,
    /// The volume claims' storage class.
    pub storage_class: Option<String>,
}

/// The manifests of the model `params` names, fitted on its hardware.
pub async fn kubernetes_export(
    state: &ApiState,
    params: FitParams,
    options: KubernetesParams,
) -> Result<KubernetesExport, ApiError> {
    if params.config.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "the export is for catalog models: name one with `model`",
        )
        .with_field("config"));
    }
    let result = fit(state, params).await?;
    let catalog = Catalog::builtin().map_err(|e| ApiError::internal(e.to_string()))?;
    let model = catalog
        .model(&result.model)
        .ok_or_else(|| ApiError::internal(format!("{} left the catalog", result.model)))?;
    let variant = model
        .variant(Some(&result.variant))
        .ok_or_else(|| ApiError::internal("the fitted checkpoint left the catalog"))?;
    let release = release_for_model(model).map_or_else(
        || result.vllm_version.clone(),
        |release| release.to_string(),
    );
    let options = KubernetesOptions {
        namespace: options.namespace,
        vllm_image: format!("vllm/vllm-openai:v{release}"),
        gateway_image: options
            .gateway_image
            .unwrap_or_else(|| format!("duo-workstation:{}", env!("CARGO_PKG_VERSION"))),
        interface: options.interface.unwrap_or_else(|| "eth0".into()),
        storage_class: options.storage_class,
    };
    kubernetes::export(model, variant, &result, &options)
        .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e.reason).with_field(e.field))
}
