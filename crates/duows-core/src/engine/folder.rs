//! A local model folder, checked before an engine is pointed at it: a config, a tokenizer,
//! and weight files whose size agrees with the catalog's checkpoint.

use std::path::{Path, PathBuf};

use crate::catalog::Variant;

/// What is wrong with a model folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    /// Not a folder.
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    /// No `config.json` (or Mistral's `params.json`).
    #[error("{0} has no config.json (or params.json): is it the model's folder?")]
    NoConfig(PathBuf),
    /// No tokenizer file.
    #[error("{0} has no tokenizer (tokenizer.json, tokenizer.model or tokenizer.model.v3)")]
    NoTokenizer(PathBuf),
    /// No `.safetensors` files.
    #[error("{0} has no .safetensors weight files")]
    NoWeights(PathBuf),
    /// The weights' size does not match the catalog's checkpoint.
    #[error("the weights in {dir} add up to {found} bytes, but {variant} has {expected}: another checkpoint, or an incomplete download")]
    SizeMismatch {
        /// The folder.
        dir: PathBuf,
        /// The catalog's checkpoint name.
        variant: String,
        /// Catalog bytes.
        expected: u64,
        /// Bytes found.
        found: u64,
    },
}

/// Checks `dir` as a folder holding `variant`'s files. Sizes may differ by 2% (catalog
/// figures for unverified checkpoints are computed) unless the catalog read them.
pub fn check_model_folder(dir: &Path, variant: &Variant) -> Result<u64, FolderError> {
    if !dir.is_dir() {
        return Err(FolderError::NotAFolder(dir.to_path_buf()));
    }
    let has = |name: &str| dir.join(name).is_file();
    if !has("config.json") && !has("params.json") {
        return Err(FolderError::NoConfig(dir.to_path_buf()));
    }
    if ![
        "tokenizer.json",
        "tokenizer.model",
        "tokenizer.model.v3",
        "tekken.json",
    ]
    .iter()
    .any(|t| has(t))
    {
        return Err(FolderError::NoTokenizer(dir.to_path_buf()));
    }
    let mut found = 0u64;
    let mut files = 0usize;
    for entry in std::fs::read_dir(dir)
        .map_err(|_| FolderError::NotAFolder(dir.to_path_buf()))?
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "safetensors") {
            // Follow the hub cache's links to the blobs.
            found += std::fs::metadata(&path).map_or(0, |m| m.len());
            files += 1;
        }
    }
    if files == 0 {
        return Err(FolderError::NoWeights(dir.to_path_buf()));
    }
    let expected = variant.weight_bytes;
    let tolerance = if variant.verified { 0.005 } else { 0.02 };
    if (found as f64 - expected as f64).abs() > expected as f64 * tolerance {
        return Err(FolderError::SizeMismatch {
            dir: dir.to_path_buf(),
            variant: variant.name.clone(),
            expected,
            found,
        });
    }
    Ok(found)
}

/// The snapshot folder of a downloaded repository at `revision` (`main`), if present.
pub fn cached_snapshot(hf_home: &Path, repo: &str, revision: &str) -> Option<PathBuf> {
    let cache = super::download::repo_cache(hf_home, repo);
    let commit = std::fs::read_to_string(cache.join("refs").join(revision)).ok()?;
    let snapshot = cache.join("snapshots").join(commit.trim());
    snapshot.is_dir().then_some(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Quantization;

    fn variant(bytes: u64) -> Variant {
        Variant {
            name: "bf16".into(),
            quantization: Quantization::Bf16,
            repo: "acme/m".into(),
            weight_bytes: bytes,
            verified: true,
            source: String::new(),
            max_tensor_parallel_size: None,
        }
    }

    #[test]
    fn a_complete_folder_passes_and_each_gap_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let v = variant(2000);
        assert!(matches!(
            check_model_folder(d, &v),
            Err(FolderError::NoConfig(_))
        ));
        std::fs::write(d.join("config.json"), "{}").expect("w");
        assert!(matches!(
            check_model_folder(d, &v),
            Err(FolderError::NoTokenizer(_))
        ));
        std::fs::write(d.join("tokenizer.json"), "{}").expect("w");
        assert!(matches!(
            check_model_folder(d, &v),
            Err(FolderError::NoWeights(_))
        ));
        std::fs::write(d.join("model-00001-of-00002.safetensors"), vec![0u8; 1000]).expect("w");
        let err = check_model_folder(d, &v).expect_err("half the weights");
        assert!(err.to_string().contains("incomplete download"), "{err}");
        std::fs::write(d.join("model-00002-of-00002.safetensors"), vec![0u8; 1000]).expect("w");
        assert_eq!(check_model_folder(d, &v), Ok(2000));
        assert!(matches!(
            check_model_folder(&d.join("nope"), &v),
            Err(FolderError::NotAFolder(_))
        ));
    }
}
