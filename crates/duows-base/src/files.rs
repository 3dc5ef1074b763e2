//! Files both programs share: atomic writes with a mode, the stamp that tells another
//! program's change, and clean-up of temporary files that a killed writer left behind.
//!
//! A write goes to `.<name>.tmp-<pid>-<n>` beside the file, is synced, then renamed over
//! it, so a reader sees the old file or the new one, never half of either. A process killed
//! between the create and the rename leaves its temporary file; every later write (and
//! [`remove_stale_temps`] at start) removes those whose writer is no longer running.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// A temporary file older than this is removed even if a process of its pid runs (the pid
/// was reused): no write takes that long.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// Distinguishes concurrent writes of one process.
static WRITE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What identifies one version of a file: length, modification time and inode (an atomic
/// rename always changes the inode, even within one clock tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileStamp {
    /// The stamp of a file's metadata.
    pub fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
    }

    /// The stamp of the file at `path`; `None` when there is none.
    pub fn read(path: &Path) -> Option<Self> {
        fs::metadata(path).ok().map(|m| Self::of(&m))
    }
}

/// The prefix of `path`'s temporary files: `.<name>.tmp-`.
fn temp_prefix(path: &Path) -> io::Result<String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other(format!("{} has no file name", path.display())))?;
    Ok(format!(".{name}.tmp-"))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (with `mode` on
/// Unix, e.g. `0o600` for a file of secrets), synced, renamed over `path`, and the folder
/// synced. Stale temporary files of `path` from killed writers are removed first.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let prefix = temp_prefix(path)?;
    remove_stale_temps(path);
    let n = WRITE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{prefix}{}-{n}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode.unwrap_or(0o644));
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // The rename is done; syncing the folder makes it durable. Not every platform can open
    // a folder, and the new content is in place either way, so this is best effort.
    if let Err(error) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(%error, folder = %dir.display(), "folder not synced after a write");
    }
    Ok(())
}

/// Removes the temporary files of `path` whose writer no longer runs (or that are older
/// than an hour); returns the files removed. Errors are ignored: this is housekeeping.
pub fn remove_stale_temps(path: &Path) -> Vec<PathBuf> {
    let Ok(prefix) = temp_prefix(path) else {
        return Vec::new();
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    // Earlier versions named them `<name>.tmp-<pid>`.
    let legacy = prefix.trim_start_matches('.').to_owned();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix).or_else(|| n.strip_prefix(&legacy)))
        else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let abandoned = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        let writer_alive = pid.is_some_and(|pid| pid == std::process::id() || process_runs(pid));
        if (abandoned || !writer_alive) && fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// Whether a process with this id runs on this machine.
fn process_runs(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without /proc, only the age rule removes other processes' files.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_whole_with_its_mode() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keys.json");
        write_atomic(&path, b"one", Some(0o600)).expect("write");
        write_atomic(&path, b"two", Some(0o600)).expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("keys.json")]);
    }

    #[test]
    fn temporary_files_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("settings.json");
        // A pid that cannot run: above the kernel's largest.
        let dead = dir.path().join(".settings.json.tmp-4194999-0");
        let legacy_dead = dir.path().join("settings.json.tmp-4194998");
        let live = dir
            .path()
            .join(format!(".settings.json.tmp-{}-77", std::process::id()));
        let other_file = dir.path().join(".other.json.tmp-4194999-0");
        for file in [&dead, &legacy_dead, &live, &other_file] {
            fs::write(file, b"partial").expect("write");
        }
        write_atomic(&path, b"{}", None).expect("write");
        assert!(!dead.exists(), "a dead writer's file is removed");
        assert!(!legacy_dead.exists(), "so is one named the earlier way");
        assert!(live.exists(), "a running writer's file is kept");
        assert!(
            other_file.exists(),
            "another file's temporaries are not touched"
        );
    }

    #[test]
    fn stamps_change_with_every_write() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f.json");
        assert_eq!(FileStamp::read(&path), None);
        write_atomic(&path, b"same", None).expect("write");
        let first = FileStamp::read(&path);
        write_atomic(&path, b"same", None).expect("write");
        assert_ne!(
            first,
            FileStamp::read(&path),
            "same length, same second: new inode"
        );
    }
}
