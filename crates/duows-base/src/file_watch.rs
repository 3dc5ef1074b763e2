//! Noticing at once that another program replaced a file (e.g. `duows features set`
//! rewriting the settings while the server runs): the folder is watched with the
//! platform's file events (inotify on Linux), filtered to one file name.
//!
//! Atomic writes replace a file by renaming over it, which a watch on the file itself
//! would lose; a watch on its folder sees every replacement.

use std::path::{Path, PathBuf};

use notify::{RecursiveMode, Watcher};

/// Why a file cannot be watched.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for changes: {source}")]
pub struct WatchError {
    path: PathBuf,
    #[source]
    source: notify::Error,
}

/// A watch on one file; dropping it ends the watch.
pub struct FileWatch {
    _watcher: notify::RecommendedWatcher,
}

impl FileWatch {
    /// Calls `on_change` (on the watcher's thread) whenever `path` is created, written,
    /// replaced or removed. The folder must exist (it is created if not).
    pub fn start(path: &Path, on_change: impl Fn() + Send + 'static) -> Result<Self, WatchError> {
        let error = |source| WatchError {
            path: path.to_owned(),
            source,
        };
        let folder = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        let _ = std::fs::create_dir_all(&folder);
        let name = path.file_name().map(|n| n.to_owned());
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else {
                    return;
                };
                if event.kind.is_access() {
                    return;
                }
                if event
                    .paths
                    .iter()
                    .any(|p| p.file_name().map(|n| n.to_owned()) == name)
                {
                    on_change();
                }
            })
            .map_err(error)?;
        watcher
            .watch(&folder, RecursiveMode::NonRecursive)
            .map_err(error)?;
        Ok(Self { _watcher: watcher })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_replacement_by_rename_is_noticed_and_other_files_are_not() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("settings.json");
        let (tx, rx) = mpsc::channel();
        let _watch = FileWatch::start(&path, move || {
            let _ = tx.send(());
        })
        .expect("watch");
        std::fs::write(dir.path().join("other.json"), b"{}").expect("write");
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        crate::files::write_atomic(&path, b"{}", None).expect("write");
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the replacement is noticed");
    }
}
