//! The hub cache's layout under `HF_HOME`, as vLLM and the hub's own tools read it offline:
//!
//! ```text
//! <hf_home>/hub/models--<org>--<name>/
//!     blobs/<hash>               a finished, checked file, named by its hash
//!     blobs/<hash>.incomplete    a file being fetched (resumed next time)
//!     blobs/<hash>.incomplete.ranges  which pieces of it are on disk (see `ranges`)
//!     snapshots/<commit>/<path>  a relative link to ../../blobs/<hash>
//!     refs/<revision>            the commit a branch or tag named
//! ```

use std::path::{Path, PathBuf};

use super::checksum::checksum;
use super::ranges::bytes_on_disk;
use super::types::{DownloadError, RepoFile};

/// The cache folder of a repository.
pub fn repo_cache(hf_home: &Path, repo: &str) -> PathBuf {
    hf_home
        .join("hub")
        .join(format!("models--{}", repo.replace('/', "--")))
}

/// Where a finished download of `path` in `repo` at `revision` (a branch, tag or commit)
/// lies in the cache under `hf_home`: its snapshot link, when that resolves to a file. A file
/// still being fetched, or fetched at another commit than the revision names now, is not
/// there.
pub fn downloaded_file(hf_home: &Path, repo: &str, revision: &str, path: &str) -> Option<PathBuf> {
    let root = repo_cache(hf_home, repo);
    let commit = std::fs::read_to_string(root.join("refs").join(revision))
        .map(|c| c.trim().to_owned())
        .unwrap_or_else(|_| revision.to_owned());
    let file = root.join("snapshots").join(commit).join(path);
    std::fs::metadata(&file)
        .is_ok_and(|m| m.is_file())
        .then_some(file)
}

/// The bytes of `repo`'s files already in the cache under `hf_home`: finished files, and
/// what partial files hold (by their ranges record, else their length). For saying how
/// much a download still has to fetch before it asks the hub; files of another commit
/// count too.
pub fn bytes_in_cache(hf_home: &Path, repo: &str) -> u64 {
    let Ok(entries) = std::fs::read_dir(repo_cache(hf_home, repo).join("blobs")) else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".incomplete.ranges") {
            continue;
        }
        let len = entry.metadata().map_or(0, |m| m.len());
        if !name.ends_with(".incomplete") {
            total += len;
            continue;
        }
        let record = path.with_file_name(format!("{name}.ranges"));
        // The record names the file's size in its header; without one, the partial file
        // was written from its start.
        let size = std::fs::read_to_string(&record)
            .ok()
            .and_then(|text| text.lines().next()?.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(len);
        total += bytes_on_disk(&record, &path, size);
    }
    total
}

/// One repository's folder in the cache.
pub(super) struct RepoCache {
    root: PathBuf,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl RepoCache {
    /// The cache of `repo` under `hf_home`.
    pub(super) fn new(hf_home: &Path, repo: &str) -> Self {
        Self {
            root: repo_cache(hf_home, repo),
        }
    }

    /// `blobs/`: every file's content, named by its hash.
    pub(super) fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    /// `snapshots/<commit>/`: the model folder to give an engine.
    pub(super) fn snapshot(&self, commit: &str) -> PathBuf {
        self.root.join("snapshots").join(commit)
    }

    /// Where `file` lies once fetched and checked.
    fn blob(&self, file: &RepoFile) -> PathBuf {
        self.blobs().join(&file.hash)
    }

    /// Where `file` lies while it is being fetched.
    pub(super) fn partial(&self, file: &RepoFile) -> PathBuf {
        self.blobs().join(format!("{}.incomplete", file.hash))
    }

    /// The record of which pieces of the partial file are on disk.
    pub(super) fn record(&self, file: &RepoFile) -> PathBuf {
        self.blobs()
            .join(format!("{}.incomplete.ranges", file.hash))
    }

    /// Whether `file` is fetched and checked.
    pub(super) fn has(&self, file: &RepoFile) -> bool {
        self.blob(file).is_file()
    }

    /// Bytes of `file` fetched so far by an unfinished download.
    pub(super) fn partial_len(&self, file: &RepoFile) -> u64 {
        bytes_on_disk(&self.record(file), &self.partial(file), file.size)
    }

    /// Creates `blobs/` and `snapshots/<commit>/`.
    pub(super) async fn create(&self, commit: &str) -> Result<(), DownloadError> {
        for dir in [self.blobs(), self.snapshot(commit)] {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(io_error(&dir))?;
        }
        Ok(())
    }

    /// Checks a fetched `file` against its hash and moves it into `blobs/`; a damaged
    /// file is deleted.
    pub(super) async fn store(&self, file: &RepoFile) -> Result<(), DownloadError> {
        let partial = self.partial(file);
        let found = checksum(&partial, file).await.map_err(io_error(&partial))?;
        if found != file.hash {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(DownloadError::Checksum {
                path: file.path.clone(),
                expected: file.hash.clone(),
                found,
            });
        }
        tokio::fs::rename(&partial, self.blob(file))
            .await
            .map_err(io_error(&partial))
    }

    /// `snapshots/<commit>/<path>` → `../../blobs/<hash>` (relative, as the hub's cache does).
    pub(super) async fn link(&self, commit: &str, file: &RepoFile) -> Result<(), DownloadError> {
        let target = self.snapshot(commit).join(&file.path);
        let io = io_error(&target);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(io_error(&target))?;
        }
        let depth = file.path.matches('/').count() + 2;
        let relative = PathBuf::from("../".repeat(depth))
            .join("blobs")
            .join(&file.hash);
        let _ = tokio::fs::remove_file(&target).await;
        #[cfg(unix)]
        tokio::fs::symlink(&relative, &target).await.map_err(io)?;
        #[cfg(not(unix))]
        {
            let _ = relative;
            tokio::fs::copy(self.blob(file), &target)
                .await
                .map(|_| ())
                .map_err(io)?;
        }
        Ok(())
    }

    /// Records under `refs/` which commit `revision` named (nothing when it is the commit).
    pub(super) async fn write_ref(
        &self,
        revision: &str,
        commit: &str,
    ) -> Result<(), DownloadError> {
        let refs = self.root.join("refs");
        tokio::fs::create_dir_all(&refs)
            .await
            .map_err(io_error(&refs))?;
        if revision != commit {
            let path = refs.join(revision);
            tokio::fs::write(&path, commit)
                .await
                .map_err(io_error(&path))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_cache_count_finished_files_and_what_partial_ones_hold() {
        let home = tempfile::tempdir().expect("home");
        assert_eq!(
            bytes_in_cache(home.path(), "acme/m"),
            0,
            "nothing fetched yet"
        );
        let blobs = repo_cache(home.path(), "acme/m").join("blobs");
        std::fs::create_dir_all(&blobs).expect("blobs");
        std::fs::write(blobs.join("aaaa"), [0u8; 100]).expect("finished");
        std::fs::write(blobs.join("bbbb.incomplete"), [0u8; 60]).expect("single stream");
        // Fetched over two connections into a file of its full size: the record counts.
        std::fs::write(blobs.join("cccc.incomplete"), [0u8; 200]).expect("pieces");
        std::fs::write(
            blobs.join("cccc.incomplete.ranges"),
            "duows-ranges 1 200\n0 100 50\n100 200 30\n",
        )
        .expect("record");
        assert_eq!(bytes_in_cache(home.path(), "acme/m"), 100 + 60 + 80);
    }
}
