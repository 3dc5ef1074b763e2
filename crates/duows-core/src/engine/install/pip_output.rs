//! Reading `pip install` output, line by line, into progress: `Collecting` names the
//! package, `Downloading` and `Using cached` start and finish files, `Progress <done> of
//! <total>` (pip 24.1 and newer with `--progress-bar raw`) counts bytes, and `Installing
//! collected packages` or `Building wheel` ends the download phase. Sizes come from the
//! dry run's plan when it has them, else from pip's own rounded figures.

use super::report::PackagePlan;
use super::types::{InstallPhase, InstallProgress};

/// Reads `pip install` output line by line into progress.
#[derive(Debug)]
pub(super) struct PipOutput {
    plan: PackagePlan,
    /// Bytes of files finished (downloaded or found in the cache).
    finished_bytes: u64,
    /// Files finished.
    finished: usize,
    /// The file being downloaded and its size.
    current: Option<(String, u64)>,
    /// Bytes of the current file so far.
    current_bytes: u64,
    state: InstallProgress,
}

impl PipOutput {
    /// Progress over the files of `plan` (an empty plan: whole files, no total).
    pub(super) fn new(plan: PackagePlan) -> Self {
        let state = InstallProgress {
            phase: InstallPhase::Downloading,
            packages_total: Some(plan.files.len()),
            total_bytes: plan.total_bytes(),
            ..InstallProgress::default()
        };
        Self {
            plan,
            finished_bytes: 0,
            finished: 0,
            current: None,
            current_bytes: 0,
            state,
        }
    }

    /// Takes one line of pip's output.
    pub(super) fn read_line(&mut self, line: &str) {
        let text = line.trim();
        if text.is_empty() {
            return;
        }
        self.state.line = text.to_owned();
        if text.ends_with(".metadata") || text.contains(".metadata (") {
            return; // newer pip fetches each package's metadata first; not a package file
        }
        if let Some(rest) = text.strip_prefix("Collecting ") {
            self.state.package = Some(package_name(rest));
        } else if let Some(rest) = text.strip_prefix("Downloading ") {
            self.finish_current();
            let (file, size) = file_and_size(rest);
            let size = size
                .or_else(|| self.plan.files.get(&file).and_then(|(_, s)| *s))
                .unwrap_or(0);
            self.name_package(&file);
            self.current = Some((file, size));
        } else if let Some(rest) = text.strip_prefix("Using cached ") {
            self.finish_current();
            let (file, size) = file_and_size(rest);
            let size = self
                .plan
                .files
                .get(&file)
                .and_then(|(_, s)| *s)
                .or(size)
                .unwrap_or(0);
            self.name_package(&file);
            self.finished_bytes += size;
            self.finished += 1;
        } else if let Some(rest) = text.strip_prefix("Progress ") {
            if let Some((done, _)) = rest.split_once(" of ") {
                self.current_bytes = done.trim().parse().unwrap_or(self.current_bytes);
            }
        } else if text.starts_with("Installing collected packages")
            || text.starts_with("Building wheel")
            || text.starts_with("Building wheels")
        {
            self.finish_current();
            self.state.phase = InstallPhase::Installing;
            if let Some(total) = self.state.total_bytes {
                self.finished_bytes = self.finished_bytes.max(total);
            }
        }
    }

    fn name_package(&mut self, file: &str) {
        if let Some((name, _)) = self.plan.files.get(file) {
            self.state.package = Some(name.clone());
        }
    }

    fn finish_current(&mut self) {
        if let Some((_, size)) = self.current.take() {
            self.finished_bytes += size.max(self.current_bytes);
            self.finished += 1;
        }
        self.current_bytes = 0;
    }

    /// Progress so far.
    pub(super) fn progress(&mut self) -> &InstallProgress {
        // pip's rounded sizes can overshoot the index's exact total by a little.
        self.state.done_bytes = self.finished_bytes + self.current_bytes;
        if let Some(total) = self.state.total_bytes {
            self.state.done_bytes = self.state.done_bytes.min(total);
        }
        self.state.packages_done = self.finished;
        if let Some(total) = self.state.packages_total {
            self.state.packages_done = self.finished.min(total);
        }
        &self.state
    }
}

/// `"foo[extra]==1.0 (from bar)"` → `"foo"`.
fn package_name(requirement: &str) -> String {
    requirement
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .next()
        .unwrap_or(requirement)
        .to_owned()
}

/// `"foo-1.0-py3-none-any.whl (16.9 MB)"` or a URL → (file name, size in bytes).
fn file_and_size(text: &str) -> (String, Option<u64>) {
    let (name, size) = match text.rsplit_once(" (") {
        Some((name, size)) => (name, parse_size(size.trim_end_matches(')'))),
        None => (text, None),
    };
    let name = name.split('#').next().unwrap_or(name);
    let file = name.rsplit('/').next().unwrap_or(name).trim().to_owned();
    (file, size)
}

/// `"16.9 MB"`, `"512 kB"`, `"900 bytes"` → bytes (pip prints decimal units).
fn parse_size(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "bytes" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return None,
    };
    Some((number * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PackagePlan {
        PackagePlan {
            files: [
                ("alpha-1.0-py3-none-any.whl", "alpha", Some(4_000_000)),
                ("beta-2.0-py3-none-any.whl", "beta", Some(1_000_000)),
            ]
            .into_iter()
            .map(|(f, n, s)| (f.to_owned(), (n.to_owned(), s)))
            .collect(),
        }
    }

    #[test]
    fn raw_progress_counts_bytes_across_files() {
        let mut output = PipOutput::new(plan());
        assert_eq!(output.progress().total_bytes, Some(5_000_000));
        for line in [
            "Collecting alpha==1.0",
            "  Downloading http://127.0.0.1:9/simple/alpha/alpha-1.0-py3-none-any.whl (4.0 MB)",
            "Progress 0 of 4000000",
            "Progress 1000000 of 4000000",
        ] {
            output.read_line(line);
        }
        let p = output.progress().clone();
        assert_eq!(p.package.as_deref(), Some("alpha"));
        assert_eq!(p.done_bytes, 1_000_000);
        assert_eq!(p.percent(), Some(20.0));
        output.read_line("Collecting beta (from alpha==1.0)");
        output.read_line("  Using cached beta-2.0-py3-none-any.whl (1.0 MB)");
        let p = output.progress().clone();
        assert_eq!(p.package.as_deref(), Some("beta"));
        assert_eq!(
            p.done_bytes, 5_000_000,
            "alpha counted whole, beta from cache"
        );
        assert_eq!(p.packages_done, 2);
        output.read_line("Installing collected packages: beta, alpha");
        assert_eq!(output.progress().phase, InstallPhase::Installing);
        assert_eq!(output.progress().percent(), Some(100.0));
    }

    #[test]
    fn old_pip_counts_whole_files() {
        let mut output = PipOutput::new(PackagePlan::default());
        output.read_line("Downloading alpha-1.0-py3-none-any.whl (16.9 MB)");
        assert_eq!(output.progress().done_bytes, 0);
        output.read_line("Collecting beta");
        output.read_line("Downloading beta-2.0.tar.gz (512 kB)");
        assert_eq!(output.progress().done_bytes, 16_900_000);
        assert_eq!(output.progress().package.as_deref(), Some("beta"));
        assert_eq!(output.progress().total_bytes, None);
    }

    #[test]
    fn metadata_files_are_not_packages() {
        let mut output = PipOutput::new(plan());
        output.read_line("  Downloading http://x/alpha-1.0-py3-none-any.whl.metadata (1.2 kB)");
        output.read_line("  Using cached beta-2.0-py3-none-any.whl.metadata (900 bytes)");
        assert_eq!(output.progress().packages_done, 0);
        assert_eq!(output.progress().done_bytes, 0);
    }

    #[test]
    fn names_and_sizes() {
        assert_eq!(
            package_name("llama-cpp-python[server]==0.3.36"),
            "llama-cpp-python"
        );
        assert_eq!(package_name("numpy>=1.20 (from x)"), "numpy");
        assert_eq!(parse_size("900 bytes"), Some(900));
        assert_eq!(parse_size("1.5 GB"), Some(1_500_000_000));
        assert_eq!(parse_size("many"), None);
        assert_eq!(
            file_and_size("https://files/x/vllm-0.18.1-cp38-abi3-manylinux1_x86_64.whl (400.2 MB)"),
            (
                "vllm-0.18.1-cp38-abi3-manylinux1_x86_64.whl".to_owned(),
                Some(400_200_000)
            )
        );
    }
}
