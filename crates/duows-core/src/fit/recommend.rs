//! Recommendations: which approved models fit, for which Duo feature, ranked.
//!
//! Per feature the models GitLab accepts (family) and lists in the user's GitLab version
//! are ranked by GitLab's rating for that feature, then release state (GA before beta
//! before experimental), then not deprecated, then headroom (concurrency, context).
//! A model whose own checkpoint does not fit may still run as a quantized checkpoint; a
//! machine where nothing fits gets llama.cpp options and the GPU size it would need.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use crate::catalog::{
    Catalog, Deprecation, Family, GgufFile, GitlabVersion, Model, Rating, RatingRange, ReleaseState,
};

use super::memory::GIB;
use super::suggest::required_single_gpu;
use super::{fit_inner, FitConstants, FitError, FitRequest, FitResult, Slot, DEFAULT_CONTEXT};

/// What to recommend for.
#[derive(Debug, Clone)]
pub struct RecommendRequest<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The GPUs.
    pub slots: &'a [Slot],
    /// The user's GitLab version (`None`: the catalog's default).
    pub gitlab: Option<GitlabVersion>,
    /// Only this Duo feature (a key such as `code_completions`).
    pub feature: Option<&'a str>,
    /// Desired context (`None`: the default, shortened if needed).
    pub context: Option<u32>,
    /// Requests that must fit at once.
    pub concurrency: u32,
    /// `--gpu-memory-utilization` (`None`: automatic).
    pub gpu_memory_utilization: Option<f64>,
    /// Judgement constants.
    pub constants: FitConstants,
    /// Memory of the machine, for llama.cpp advice.
    pub system_memory_bytes: Option<u64>,
}

/// The fit badge of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    /// Its own checkpoint fits.
    Fits,
    /// Only a quantized checkpoint fits.
    FitsQuantized,
    /// Nothing fits.
    DoesNotFit,
}

/// One model's answer on this hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ModelAdvice {
    /// The fit of the model's own checkpoint (`model`, `fits`, `tensor_parallel_size`,
    /// `max_model_len`, `concurrency`, …).
    #[serde(flatten)]
    pub fit: FitResult,
    /// Fits, fits with a quantized checkpoint, or does not fit.
    pub badge: Badge,
    /// The best quantized checkpoint that fits, when the own one does not.
    pub quantized: Option<FitResult>,
    /// GitLab family.
    pub family: Family,
    /// Hugging Face repository.
    pub hf_repo: Option<String>,
    /// Release state in the GitLab version.
    pub release: ReleaseState,
    /// Whether GitLab deprecates it in that version.
    pub deprecated: bool,
    /// Deprecation details and replacement.
    pub deprecation: Option<Deprecation>,
    /// Whether GitLab lists it in that version.
    pub listed: bool,
    /// GitLab's ratings in that version.
    pub ratings: Option<RatingRange>,
    /// GPU memory one GPU would need for the desired context, in GiB.
    pub min_gpu_memory_gib: f64,
    /// GGUF files for llama.cpp, with whether each fits in this machine's memory.
    pub gguf: Vec<GgufOption>,
}

/// A GGUF file and whether it fits in system memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GgufOption {
    /// The file.
    #[serde(flatten)]
    pub file: GgufFile,
    /// Whether it fits in the machine's memory with 2 GiB to spare.
    pub fits_in_memory: Option<bool>,
}

/// A model's place in a feature's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RankedModel {
    /// Catalog id.
    pub model: String,
    /// Display name.
    pub name: String,
    /// The checkpoint that fits.
    pub variant: String,
    /// GitLab's rating for this feature.
    pub rating: Rating,
    /// Release state.
    pub release: ReleaseState,
    /// Deprecated in this GitLab version.
    pub deprecated: bool,
    /// Tensor-parallel size.
    pub tensor_parallel_size: u32,
    /// Context.
    pub max_model_len: u32,
    /// Requests of `max_model_len` tokens the KV cache holds at once (a fraction, as vLLM says).
    pub concurrency: f64,
}

/// One feature's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FeatureRanking {
    /// Feature key.
    pub feature: String,
    /// Title.
    pub title: String,
    /// `ga`, `beta` or `experiment`.
    pub state: String,
    /// Chat sub-features fall back to this feature's model.
    pub falls_back_to: Option<String>,
    /// Models that fit, best first.
    pub ranked: Vec<RankedModel>,
    /// Why the list is empty, when it is.
    pub message: Option<String>,
}

/// A cloud-only model that can be configured in GitLab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CloudOption {
    /// Catalog id.
    pub model: String,
    /// Display name.
    pub name: String,
    /// Family.
    pub family: Family,
    /// An example of its GitLab identifier.
    pub identifier_example: String,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Recommendation {
    /// Catalog data version.
    pub catalog_version: String,
    /// The GitLab version the ratings are for.
    pub gitlab_version: GitlabVersion,
    /// Every self-hostable model (of the feature, when one was named), best first.
    pub models: Vec<ModelAdvice>,
    /// Rankings per Duo feature.
    pub features: Vec<FeatureRanking>,
    /// Cloud-only models.
    pub cloud: Vec<CloudOption>,
    /// What to do when little or nothing fits.
    pub advice: Vec<String>,
}

/// Recommends models for the hardware.
pub fn recommend(request: &RecommendRequest<'_>) -> Result<Recommendation, FitError> {
    recommend_on_nodes(request, 1)
}

/// Recommends models for `nodes` identical machines with the request's GPUs each: a model
/// that fits on one is fitted there, a larger one split into pipeline stages across them.
pub fn recommend_on_nodes(
    request: &RecommendRequest<'_>,
    nodes: u32,
) -> Result<Recommendation, FitError> {
    let catalog = request.catalog;
    if let Some(context) = request.context {
        let longest = catalog
            .models
            .iter()
            .filter_map(|m| m.arch.as_ref())
            .map(|a| a.context)
            .max()
            .unwrap_or(0);
        if !(16..=longest).contains(&context) {
            return Err(FitError {
                field: "context",
                reason: format!(
                    "must be between 16 and {longest} tokens (the longest native context in the catalog); each model uses at most its own"
                ),
            });
        }
    }
    let version = request.gitlab.unwrap_or(catalog.default_gitlab);
    let features: Vec<_> = match request.feature {
        Some(key) => vec![catalog.feature(key).ok_or_else(|| FitError {
            field: "feature",
            reason: format!(
                "`{key}` is not a Duo feature; known: {}",
                catalog
                    .features
                    .iter()
                    .map(|f| f.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?],
        None => catalog.features.iter().collect(),
    };
    let relevant = |model: &Model| features.iter().any(|f| f.families.contains(&model.family));
    let mut models = Vec::new();
    for model in catalog
        .models
        .iter()
        .filter(|m| m.self_hostable() && relevant(m))
    {
        models.push(advise(request, model, version, nodes)?);
    }
    // Fitting first; then what GitLab lists and rates best in this version, GA first,
    // not deprecated, and the most headroom.
    models.sort_by_key(|m| {
        let best = m.ratings.as_ref().map_or(0, |r| r.best().score());
        let usable = if m.fit.fits {
            Some(&m.fit)
        } else {
            m.quantized.as_ref()
        };
        (
            m.badge,
            !m.listed,
            Reverse(best),
            m.release,
            m.deprecated,
            Reverse(usable.map_or(0, FitResult::whole_requests)),
        )
    });
    let rankings = features
        .iter()
        .map(|feature| {
            let mut ranked: Vec<RankedModel> = models
                .iter()
                .filter(|m| m.listed && feature.families.contains(&m.family))
                .filter_map(|m| {
                    let rating = m.ratings.as_ref()?.rating(feature.rated_as);
                    let usable = if m.fit.fits {
                        Some(&m.fit)
                    } else {
                        m.quantized.as_ref()
                    }?;
                    (rating.score() > 0).then(|| RankedModel {
                        model: m.fit.model.clone(),
                        name: m.fit.name.clone(),
                        variant: usable.variant.clone(),
                        rating,
                        release: m.release,
                        deprecated: m.deprecated,
                        tensor_parallel_size: usable.tensor_parallel_size,
                        max_model_len: usable.max_model_len,
                        concurrency: usable.concurrency,
                    })
                })
                .collect();
            ranked.sort_by_key(|r| {
                (
                    Reverse(r.rating.score()),
                    r.release,
                    r.deprecated,
                    Reverse(r.concurrency.floor() as u32),
                    Reverse(r.max_model_len),
                )
            });
            let message = ranked.is_empty().then(|| {
                format!(
                    "No approved model for {} fits this hardware in GitLab {version}.",
                    feature.title
                )
            });
            FeatureRanking {
                feature: feature.key.clone(),
                title: feature.title.clone(),
                state: feature.state.clone(),
                falls_back_to: feature.falls_back_to.clone(),
                ranked,
                message,
            }
        })
        .collect();
    let cloud = catalog
        .models
        .iter()
        .filter(|m| relevant(m))
        .filter_map(|m| {
            m.cloud.as_ref().map(|c| CloudOption {
                model: m.id.clone(),
                name: m.name.clone(),
                family: m.family,
                identifier_example: c.identifier_example.clone(),
            })
        })
        .collect();
    let advice = advice(request, &models);
    Ok(Recommendation {
        catalog_version: catalog.version.clone(),
        gitlab_version: version,
        models,
        features: rankings,
        cloud,
        advice,
    })
}

fn advise(
    request: &RecommendRequest<'_>,
    model: &Model,
    version: GitlabVersion,
    nodes: u32,
) -> Result<ModelAdvice, FitError> {
    let Some(own) = model.variants.first() else {
        return Err(FitError {
            field: "model",
            reason: format!("{} has no checkpoint", model.id),
        });
    };
    let fit_request = |variant| FitRequest {
        model,
        variant,
        slots: request.slots,
        context: request
            .context
            .map(|c| c.min(model.arch.as_ref().map_or(c, |a| a.context))),
        concurrency: request.concurrency,
        tensor_parallel_size: None,
        gpu_memory_utilization: request.gpu_memory_utilization,
        constants: request.constants.clone(),
    };
    let own_fit = fit_inner(&fit_request(own), nodes, true)?;
    let quantized = if own_fit.fits {
        None
    } else {
        super::suggest::best_smaller_variant_on(&fit_request(own), nodes)
    };
    let badge = match (&own_fit.fits, &quantized) {
        (true, _) => Badge::Fits,
        (false, Some(_)) => Badge::FitsQuantized,
        (false, None) => Badge::DoesNotFit,
    };
    let desired = request
        .context
        .unwrap_or(DEFAULT_CONTEXT)
        .min(own_fit.native_context);
    let min_gpu = model.arch.as_ref().map_or(0, |arch| {
        required_single_gpu(&fit_request(own), arch, desired)
    });
    let ratings = model.ratings_in(version).cloned();
    Ok(ModelAdvice {
        badge,
        quantized,
        family: model.family,
        hf_repo: model.hf_repo.clone(),
        release: model.release_in(version),
        deprecated: model.deprecated_in(version),
        deprecation: model.deprecation.clone(),
        listed: ratings.is_some(),
        ratings,
        min_gpu_memory_gib: (min_gpu as f64 / GIB * 10.0).ceil() / 10.0,
        gguf: model
            .gguf
            .iter()
            .map(|file| GgufOption {
                file: file.clone(),
                fits_in_memory: request
                    .system_memory_bytes
                    .map(|ram| file.bytes as f64 + 2.0 * GIB <= ram as f64),
            })
            .collect(),
        fit: own_fit,
    })
}

fn advice(request: &RecommendRequest<'_>, models: &[ModelAdvice]) -> Vec<String> {
    let mut out = Vec::new();
    if models.iter().any(|m| m.badge != Badge::DoesNotFit) {
        return out;
    }
    if request.slots.is_empty() {
        out.push("No GPU: vLLM needs an NVIDIA GPU.".to_owned());
    } else {
        out.push("No approved model fits these GPUs.".to_owned());
    }
    if let Some(smallest) = models
        .iter()
        .filter(|m| m.listed)
        .min_by(|a, b| a.min_gpu_memory_gib.total_cmp(&b.min_gpu_memory_gib))
    {
        out.push(format!(
            "The smallest, {}, needs a GPU with at least {:.1} GiB of memory.",
            smallest.fit.name, smallest.min_gpu_memory_gib
        ));
    }
    let cpu: Vec<String> = models
        .iter()
        .flat_map(|m| m.gguf.iter().map(move |g| (m, g)))
        .filter(|(_, g)| g.fits_in_memory == Some(true))
        .map(|(m, g)| {
            format!(
                "{} {} ({:.1} GiB)",
                m.fit.name,
                g.file.quant,
                g.file.bytes as f64 / GIB
            )
        })
        .collect();
    if !cpu.is_empty() {
        out.push(format!(
            "On the CPU with llama.cpp (slow, but it works for trying Duo out): {}.",
            cpu.join(", ")
        ));
    }
    out
}
