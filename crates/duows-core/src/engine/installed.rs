//! Which engine programs are installed, and whether they are new enough.
//!
//! llama.cpp's server runs on `DUOWS_LLAMA_CPP_PYTHON`, else the app's own environment.
//! vLLM is looked for in order: `DUOWS_VLLM`, the app's own environment
//! (`<data folder>/venvs/vllm/bin/vllm`), then `vllm` on `PATH`; its version comes from
//! `vllm --version` and is compared with the catalog's `min_vllm` (versions such as
//! `0.6.4.post1` compare by release numbers, then post-release).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A version such as `0.6.4.post1` or `0.10.1.1`: release numbers and a post-release.
/// `0.6.4` and `0.6.4.0` are equal, as pip has it.
#[derive(Debug, Clone)]
pub struct EngineVersion {
    release: Vec<u64>,
    post: u64,
}

impl EngineVersion {
    /// Parses the leading release numbers (`0.10.2`), an optional `.postN`, and ignores
    /// local or dev suffixes (`+cu128`, `.dev3`); `None` if there is no number.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches('v');
        let text = text.split('+').next().unwrap_or(text);
        let mut release = Vec::new();
        let mut post = 0;
        for part in text.split('.') {
            if let Some(n) = part.strip_prefix("post") {
                post = n.parse().unwrap_or(0);
                break;
            }
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            release.push(digits.parse().ok()?);
            if digits.len() != part.len() {
                break; // "4rc1": keep 4, stop
            }
        }
        (!release.is_empty()).then_some(Self { release, post })
    }
}

impl PartialEq for EngineVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for EngineVersion {}

impl PartialOrd for EngineVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EngineVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.release.len().max(other.release.len());
        let at = |v: &Self, i: usize| v.release.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| at(self, i).cmp(&at(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then(self.post.cmp(&other.post))
    }
}

/// What was found of one engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    /// The program that would run.
    pub program: PathBuf,
    /// Where it was found: `DUOWS_VLLM`, `app environment`, `PATH`, or `not found`.
    pub source: String,
    /// The version it reports, when it runs.
    pub version: Option<String>,
    /// What went wrong running it.
    pub problem: Option<String>,
}

impl Installation {
    /// Whether it runs and is at least `minimum`.
    pub fn satisfies(&self, minimum: &str) -> bool {
        match (
            self.version.as_deref().and_then(EngineVersion::parse),
            EngineVersion::parse(minimum),
        ) {
            (Some(found), Some(min)) => found >= min,
            _ => false,
        }
    }
}

/// Where vLLM would be run from for `data_root` (the app's data folder), and why there:
/// `DUOWS_VLLM`, the app's own environment, `PATH`, or (`not found`) plain `vllm`.
pub fn locate_vllm(data_root: &Path) -> (PathBuf, &'static str) {
    let candidates = [
        std::env::var_os("DUOWS_VLLM").map(|p| (PathBuf::from(p), "DUOWS_VLLM")),
        Some((data_root.join("venvs/vllm/bin/vllm"), "app environment"))
            .filter(|(p, _)| p.exists()),
        on_path("vllm").map(|p| (p, "PATH")),
    ];
    candidates
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_else(|| (PathBuf::from("vllm"), "not found"))
}

/// The app's own environment for llama.cpp's server under `data_root`.
pub fn llama_cpp_venv(data_root: &Path) -> PathBuf {
    data_root.join("venvs/llama-cpp")
}

/// The Python that runs llama.cpp's server: `DUOWS_LLAMA_CPP_PYTHON`, else the app's own
/// environment (which may not exist yet).
pub fn locate_llama_cpp_python(data_root: &Path) -> PathBuf {
    std::env::var_os("DUOWS_LLAMA_CPP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| llama_cpp_venv(data_root).join("bin/python"))
}

/// Finds vLLM for `data_root` and asks it its version.
pub fn find_vllm(data_root: &Path) -> Installation {
    let (program, source) = locate_vllm(data_root);
    if source == "not found" {
        return Installation {
            program,
            source: source.into(),
            version: None,
            problem: Some(
                "vLLM is not installed (not in DUOWS_VLLM, the app's environment or PATH)".into(),
            ),
        };
    }
    let (version, problem) = match version_of(&program) {
        Ok(version) => (Some(version), None),
        Err(problem) => (None, Some(problem)),
    };
    Installation {
        program,
        source: source.into(),
        version,
        problem,
    }
}

/// The first `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs `<program> --version` (importing vLLM takes seconds) and reads the version.
fn version_of(program: &Path) -> Result<String, String> {
    let mut child = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{} does not run: {e}", program.display()))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} --version did not answer in 2 minutes",
                    program.display()
                ));
            }
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .rev()
        .find(|word| EngineVersion::parse(word).is_some())
        .map(str::to_owned)
        .ok_or_else(|| {
            let err = String::from_utf8_lossy(&output.stderr);
            format!(
                "{} --version printed no version: {}",
                program.display(),
                err.lines().last().unwrap_or("no output")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> EngineVersion {
        EngineVersion::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn versions_compare_like_pip() {
        assert!(v("0.10.2") > v("0.6.4.post1"));
        assert!(v("0.6.4.post1") > v("0.6.4"));
        assert!(v("0.6.4") == v("0.6.4.0"));
        assert!(v("0.18.0") > v("0.9.1"));
        assert!(v("0.10.1.1+cu128") > v("0.10.1"));
        assert!(v("v0.11.0") >= v("0.11"));
        assert!(EngineVersion::parse("unknown").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_vllm_named_by_the_environment_reports_its_version() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let fake = dir.path().join("vllm");
        std::fs::write(&fake, "#!/bin/sh\necho 0.9.2\n").expect("write");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // The app's own environment is found when DUOWS_VLLM is not set; use that route.
        let venv = dir.path().join("venvs/vllm/bin");
        std::fs::create_dir_all(&venv).expect("mkdir");
        std::fs::copy(&fake, venv.join("vllm")).expect("copy");
        std::fs::set_permissions(venv.join("vllm"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        if std::env::var_os("DUOWS_VLLM").is_some() {
            return; // the environment decides on this machine
        }
        let found = find_vllm(dir.path());
        assert_eq!(found.source, "app environment");
        assert_eq!(found.version.as_deref(), Some("0.9.2"));
        assert!(found.satisfies("0.6.4.post1"));
        assert!(!found.satisfies("0.18.0"));
    }
}
