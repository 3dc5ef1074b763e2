//! How the vLLM version that will run changes the memory arithmetic (`vllm-memory` §2).
//!
//! | vLLM | activation peak | CUDA graphs |
//! |---|---|---|
//! | up to 0.16 | about 9.5 fp32 copies of the `[max_num_seqs × vocab]` logits | captured after the KV cache, in the headroom outside the budget |
//! | 0.17 to 0.19 | about 3.6 copies | the same |
//! | 0.20 onward | about 3.6 copies | estimated before the KV cache and taken out of the budget |
//!
//! In every version the sampler warms up with `max_num_seqs` dummy requests *after* the KV
//! cache exists, so its logits (`max_num_seqs × vocab × 4 B`) must fit in the headroom.

use std::fmt;
use std::str::FromStr;

/// A vLLM release, as far as the memory arithmetic cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VllmVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl VllmVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Whether the CUDA-graph estimate comes out of the budget (0.20 onward).
    pub fn graphs_in_budget(self) -> bool {
        self >= Self::new(0, 20, 0)
    }

    /// fp32 copies of the `[max_num_seqs × vocab]` logits the profiling run holds at its
    /// peak: a least-squares fit over 34 single-GPU start-ups of 0.19 gives 3.6; 0.16 and
    /// older measured 2.5 to 4 times more (9.5 reproduces their Qwen3, Llama and GPT-OSS
    /// figures).
    pub fn logits_copies(self) -> f64 {
        if self >= Self::new(0, 17, 0) {
            3.6
        } else {
            9.5
        }
    }
}

impl fmt::Display for VllmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a version string is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a vLLM version such as 0.19.1")]
pub struct VersionError(pub String);

impl FromStr for VllmVersion {
    type Err = VersionError;

    /// Reads `0.19.1`, `0.19`, `v0.20.2`, `0.6.4.post1` or `0.11.0+582e4e37.nv25.11`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError(text.to_owned());
        let core = text
            .trim()
            .trim_start_matches('v')
            .split(['+', '-'])
            .next()
            .ok_or_else(bad)?;
        let mut parts = core.split('.');
        let mut number = |required: bool| -> Result<u32, VersionError> {
            match parts.next() {
                Some(p) => {
                    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().map_err(|_| bad())
                }
                None if required => Err(bad()),
                None => Ok(0),
            }
        };
        Ok(Self::new(number(true)?, number(true)?, number(false)?))
    }
}

/// The vLLM releases the app installs, oldest first: the oldest GitLab documents (0.18.1)
/// and the first that serve the newer models (Gemma 4 needs 0.19, MiniMax-M2.7's recipe
/// 0.20). A model gets the oldest of these that is at least its `min_vllm`.
pub const INSTALLABLE: &[VllmVersion] = &[
    VllmVersion::new(0, 18, 1),
    VllmVersion::new(0, 19, 1),
    VllmVersion::new(0, 20, 2),
];

/// The release the app installs for a model whose oldest serving vLLM is `min_vllm`; `None`
/// when none of [`INSTALLABLE`] is new enough (or `min_vllm` is not a version).
pub fn release_for(min_vllm: &str) -> Option<VllmVersion> {
    let min: VllmVersion = min_vllm.parse().ok()?;
    INSTALLABLE.iter().copied().find(|v| *v >= min)
}

/// vLLM's defaults for `--max-num-seqs` and `--max-num-batched-tokens` on an
/// OpenAI-compatible server: 1024 and 8192 on GPUs of 70 GiB or more other than the A100,
/// 256 and 2048 elsewhere.
pub fn server_defaults(total_bytes: u64, gpu_name: &str) -> (u32, u32) {
    let large = total_bytes >= 70 << 30 && !gpu_name.to_ascii_uppercase().contains("A100");
    if large {
        (1024, 8192)
    } else {
        (256, 2048)
    }
}

/// vLLM's number of CUDA-graph capture sizes up to `max_size` (1, 2, 4, then every 8 up to
/// 256, then every 16): 51 for the default largest size of 512.
pub fn capture_sizes(max_size: u32) -> u32 {
    let small = [1, 2, 4].iter().filter(|&&s| s <= max_size).count() as u32;
    let eights = (8..256).step_by(8).filter(|&s| s <= max_size).count() as u32;
    let sixteens = (256..=max_size).step_by(16).count() as u32;
    small + eights + sixteens
}

/// The largest capture size vLLM picks: twice `max_num_seqs`, at most 512.
pub fn default_max_capture_size(max_num_seqs: u32) -> u32 {
    (max_num_seqs.saturating_mul(2)).clamp(1, 512)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_in_the_forms_vllm_prints() {
        let v = |s: &str| s.parse::<VllmVersion>().expect(s);
        assert_eq!(v("0.19.1"), VllmVersion::new(0, 19, 1));
        assert_eq!(v("v0.20"), VllmVersion::new(0, 20, 0));
        assert_eq!(v("0.6.4.post1"), VllmVersion::new(0, 6, 4));
        assert_eq!(v("0.11.0+582e4e37.nv25.11"), VllmVersion::new(0, 11, 0));
        assert!("latest".parse::<VllmVersion>().is_err());
        assert!("0".parse::<VllmVersion>().is_err());
        assert!(v("0.20.0").graphs_in_budget() && !v("0.19.1").graphs_in_budget());
    }

    #[test]
    fn each_model_gets_the_oldest_release_that_serves_it() {
        assert_eq!(release_for("0.6.4.post1"), Some(VllmVersion::new(0, 18, 1)));
        assert_eq!(release_for("0.19.0"), Some(VllmVersion::new(0, 19, 1)));
        assert_eq!(release_for("0.20.0"), Some(VllmVersion::new(0, 20, 2)));
        assert_eq!(release_for("0.99.0"), None);
        assert_eq!(release_for("nightly"), None);
    }

    #[test]
    fn capture_sizes_match_vllms_logs() {
        // "51 capture sizes, largest 512" in every v0.19 H100 log.
        assert_eq!(capture_sizes(512), 51);
        assert_eq!(capture_sizes(1), 1);
        assert_eq!(capture_sizes(16), 5);
        assert_eq!(default_max_capture_size(1024), 512);
        assert_eq!(default_max_capture_size(8), 16);
    }

    #[test]
    fn server_defaults_follow_the_gpu() {
        assert_eq!(
            server_defaults(79 << 30, "NVIDIA H100 80GB HBM3"),
            (1024, 8192)
        );
        assert_eq!(
            server_defaults(79 << 30, "NVIDIA A100-SXM4-80GB"),
            (256, 2048)
        );
        assert_eq!(
            server_defaults(24 << 30, "NVIDIA GeForce RTX 4090"),
            (256, 2048)
        );
    }
}
