//! The vLLM releases the app installs (`fit::vllm::INSTALLABLE`) as builds: the CUDA each
//! one's wheel is compiled for, the NVIDIA driver that runs it, and which release a model
//! gets.
//!
//! Every release the app installs is vLLM's PyPI wheel, which carries pre-compiled C++ and
//! CUDA 12.9 binaries. CUDA 12.9 needs driver 575.51.03 or newer on Linux. A driver from
//! 525.60.13 on runs CUDA 12 programs only through CUDA's minor-version compatibility (no
//! PTX JIT compilation, and some features need the newer driver); below 525.60.13 CUDA 12
//! cannot run at all. [`driver_verdict`] says which of the three a driver is, as a pure
//! function, for the pre-start checks.

use crate::catalog::Model;
use crate::fit::vllm::{release_for, VllmVersion, INSTALLABLE};
use crate::hardware::MIN_CUDA12_DRIVER;

/// How one installable vLLM release is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseBuild {
    /// The release.
    pub vllm: VllmVersion,
    /// The CUDA version its wheel is compiled for.
    pub cuda: &'static str,
    /// The oldest Linux driver that runs that CUDA without compatibility layers.
    pub min_driver: &'static str,
}

/// The CUDA 12.9 wheels: driver 575.51.03 is CUDA 12.9's minimum on Linux.
const fn cuda_12_9(vllm: VllmVersion) -> ReleaseBuild {
    ReleaseBuild {
        vllm,
        cuda: "12.9",
        min_driver: "575.51.03",
    }
}

/// One build per release of [`INSTALLABLE`], in its order.
pub const RELEASE_BUILDS: &[ReleaseBuild] = &[
    cuda_12_9(VllmVersion::new(0, 18, 1)),
    cuda_12_9(VllmVersion::new(0, 19, 1)),
    cuda_12_9(VllmVersion::new(0, 20, 2)),
];

/// The release installed when no model is named: the newest, which serves every model of
/// the catalog (the catalog's rules refuse a `min_vllm` no release reaches).
pub fn newest_release() -> VllmVersion {
    INSTALLABLE
        .last()
        .copied()
        .unwrap_or(VllmVersion::new(0, 18, 1))
}

/// The release the app installs for `model`: the oldest at least its `min_vllm`. `None`
/// for a cloud model, or one no release serves.
pub fn release_for_model(model: &Model) -> Option<VllmVersion> {
    release_for(&model.serving.as_ref()?.min_vllm)
}

/// How `version` is built, when it is a release the app installs.
pub fn build_of(version: VllmVersion) -> Option<&'static ReleaseBuild> {
    RELEASE_BUILDS.iter().find(|b| b.vllm == version)
}

/// What a driver can do with a vLLM build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverFit {
    /// It runs the build's CUDA as it is.
    Ok,
    /// It runs CUDA 12 only through minor-version compatibility: a warning.
    MinorVersionCompatibility,
    /// It cannot run CUDA 12: vLLM cannot start.
    TooOld,
    /// Its version is not known (a description without one) or not a version.
    Unknown,
}

/// A driver judged against the vLLM that would run, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverVerdict {
    /// The judgement.
    pub fit: DriverFit,
    /// What was found.
    pub message: String,
    /// What to do, when it is not [`DriverFit::Ok`].
    pub fix: Option<String>,
}

/// `575.57.08` → `[575, 57, 8]`: driver versions compare part by part.
fn driver_parts(version: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = version.trim().split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

/// Whether driver `found` is older than `minimum`.
fn older(found: &[u32], minimum: &str) -> bool {
    driver_parts(minimum).is_some_and(|min| found < min.as_slice())
}

/// Judges the driver `driver_version` (as the probe reports it, e.g. `575.57.08`; absent
/// on described hardware) for `vllm`, the release that would run. A release the app does
/// not install has no known build: only CUDA 12's floor is checked then.
pub fn driver_verdict(vllm: Option<VllmVersion>, driver_version: Option<&str>) -> DriverVerdict {
    let build = vllm.and_then(build_of);
    let name = match (vllm, build) {
        (Some(v), Some(b)) => format!("vLLM {v} (built for CUDA {})", b.cuda),
        (Some(v), None) => format!("vLLM {v}"),
        (None, _) => "vLLM".to_owned(),
    };
    let wanted = build.map_or(MIN_CUDA12_DRIVER, |b| b.min_driver);
    let update = format!("update the NVIDIA driver to {wanted} or newer");
    let Some((text, found)) = driver_version.and_then(|t| Some((t, driver_parts(t)?))) else {
        return DriverVerdict {
            fit: DriverFit::Unknown,
            message: format!(
                "the NVIDIA driver's version is not known: {name} needs {wanted} or newer"
            ),
            fix: Some(format!("check `nvidia-smi`; {update} if it is older")),
        };
    };
    if older(&found, MIN_CUDA12_DRIVER) {
        return DriverVerdict {
            fit: DriverFit::TooOld,
            message: format!(
                "NVIDIA driver {text} is older than {MIN_CUDA12_DRIVER}: CUDA 12 programs such as {name} cannot run"
            ),
            fix: Some(update),
        };
    }
    match build {
        Some(b) if older(&found, b.min_driver) => DriverVerdict {
            fit: DriverFit::MinorVersionCompatibility,
            message: format!(
                "NVIDIA driver {text} is older than {}, which CUDA {} needs: {name} runs only through CUDA's minor-version compatibility (no PTX JIT compilation; some kernels may fail)",
                b.min_driver, b.cuda
            ),
            fix: Some(update),
        },
        _ => DriverVerdict {
            fit: DriverFit::Ok,
            message: format!("NVIDIA driver {text} runs {name}"),
            fix: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn every_installable_release_has_its_build() {
        let built: Vec<VllmVersion> = RELEASE_BUILDS.iter().map(|b| b.vllm).collect();
        assert_eq!(built, INSTALLABLE);
        assert_eq!(newest_release(), VllmVersion::new(0, 20, 2));
    }

    #[test]
    fn each_model_gets_the_oldest_release_that_serves_it() {
        let catalog = Catalog::builtin().expect("catalog");
        let release = |id: &str| release_for_model(catalog.model(id).expect(id));
        assert_eq!(
            release("codestral-22b-v0.1"),
            Some(VllmVersion::new(0, 18, 1))
        );
        assert_eq!(release("gemma-4-31b-it"), Some(VllmVersion::new(0, 19, 1)));
        assert_eq!(release("minimax-m2.7"), Some(VllmVersion::new(0, 20, 2)));
        assert_eq!(release("gpt-4o"), None, "cloud");
        for model in catalog.models.iter().filter(|m| m.self_hostable()) {
            assert!(release_for_model(model).is_some(), "{}", model.id);
        }
    }

    #[test]
    fn a_driver_runs_cuda_12_9_natively_through_compatibility_or_not_at_all() {
        let v = Some(VllmVersion::new(0, 19, 1));
        let ok = driver_verdict(v, Some("575.57.08"));
        assert_eq!(ok.fit, DriverFit::Ok);
        assert!(ok.fix.is_none());
        assert_eq!(driver_verdict(v, Some("575.51.03")).fit, DriverFit::Ok);
        assert_eq!(driver_verdict(v, Some("580.65")).fit, DriverFit::Ok);
        let compat = driver_verdict(v, Some("550.54.15"));
        assert_eq!(compat.fit, DriverFit::MinorVersionCompatibility);
        assert!(compat.message.contains("CUDA 12.9"), "{}", compat.message);
        assert_eq!(
            compat.fix.as_deref(),
            Some("update the NVIDIA driver to 575.51.03 or newer")
        );
        assert_eq!(
            driver_verdict(v, Some("525.60.13")).fit,
            DriverFit::MinorVersionCompatibility
        );
        let old = driver_verdict(v, Some("470.223.02"));
        assert_eq!(old.fit, DriverFit::TooOld);
        assert!(old.message.contains("cannot run"), "{}", old.message);
        assert_eq!(driver_verdict(v, None).fit, DriverFit::Unknown);
        assert_eq!(driver_verdict(v, Some("n/a")).fit, DriverFit::Unknown);
    }

    #[test]
    fn a_vllm_the_app_did_not_install_is_held_to_cuda_12_only() {
        let own = Some(VllmVersion::new(0, 11, 0));
        assert_eq!(driver_verdict(own, Some("550.54.15")).fit, DriverFit::Ok);
        assert_eq!(
            driver_verdict(own, Some("515.105.01")).fit,
            DriverFit::TooOld
        );
        assert_eq!(driver_verdict(None, Some("550.54.15")).fit, DriverFit::Ok);
    }
}
