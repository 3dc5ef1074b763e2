//! The install flow against a local package index (PEP 503) that holds two small wheels the
//! test builds (and a current pip, which the installer updates to first): a real `python3 -m venv` and a real pip, progress by package and bytes, a
//! cancel that stops pip's whole process group, and a second attempt that fetches no file
//! twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use duows_core::engine::install::{
    install, InstallError, InstallPhase, InstallProgress, InstallSpec,
};
use duows_core::engine::{EngineKind, ProcessLauncher};
use tokio::sync::watch;

#[derive(Default)]
struct Index {
    root: PathBuf,
    /// Serve the test's wheels slowly (so a cancel lands mid-download).
    slow: AtomicBool,
    /// Bytes of the test's wheels sent so far.
    wheel_bytes: AtomicUsize,
    /// File name → bodies sent to the end.
    completed: Mutex<HashMap<String, usize>>,
}

async fn file(State(index): State<Arc<Index>>, UrlPath(path): UrlPath<String>) -> Response {
    let mut full = index.root.join("simple").join(&path);
    if full.is_dir() {
        full = full.join("index.html");
    }
    let Ok(data) = std::fs::read(&full) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // pip's own wheel (the update step) is served plainly; the test's wheels are watched.
    let is_wheel = path.ends_with(".whl") && path.contains("duows_probe");
    let length = data.len();
    let content_type = if path.ends_with(".html") || !path.contains('.') || path.ends_with('/') {
        "text/html"
    } else {
        "application/octet-stream"
    };
    let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
    let slow = is_wheel && index.slow.load(Ordering::SeqCst);
    let chunks: Vec<Bytes> = data.chunks(64 * 1024).map(Bytes::copy_from_slice).collect();
    let count = chunks.len();
    let tracker = Arc::clone(&index);
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let chunk = chunks.get(i).cloned();
        let tracker = Arc::clone(&tracker);
        let name = name.clone();
        async move {
            let chunk = chunk?;
            if slow {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if is_wheel {
                tracker.wheel_bytes.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            if i + 1 == count && is_wheel {
                *tracker
                    .completed
                    .lock()
                    .expect("lock")
                    .entry(name)
                    .or_default() += 1;
            }
            Some((Ok::<_, std::io::Error>(chunk), i + 1))
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, length)
        .header(
            header::CACHE_CONTROL,
            "max-age=365000000, immutable, public",
        )
        .body(Body::from_stream(stream))
        .expect("response")
}

async fn start_index(root: &Path) -> (Arc<Index>, String) {
    let index = Arc::new(Index {
        root: root.to_path_buf(),
        ..Index::default()
    });
    let app = Router::new()
        .route("/simple/{*path}", get(file))
        .with_state(Arc::clone(&index));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (index, format!("http://{addr}/simple/"))
}

fn spec(dir: &Path, index_url: &str) -> InstallSpec {
    InstallSpec {
        engine: EngineKind::LlamaCpp,
        venv: dir.join("venvs/probe"),
        requirements: vec!["duows-probe==1.0.0".into()],
        needed_bytes: 1 << 20,
        env: vec![
            ("PIP_INDEX_URL".into(), index_url.into()),
            // pip caches downloads only from https or trusted hosts; PyPI is https.
            ("PIP_TRUSTED_HOST".into(), host_of(index_url)),
            (
                "PIP_CACHE_DIR".into(),
                dir.join("pip-cache").display().to_string(),
            ),
            // Ignore this machine's pip.conf (mirrors, find-links): only the test index.
            ("PIP_CONFIG_FILE".into(), "/dev/null".into()),
        ],
        python: PathBuf::from("python3"),
        check_import: "duows_probe".into(),
        distribution: "duows-probe".into(),
    }
}

/// `"http://127.0.0.1:4321/simple/"` → `"127.0.0.1:4321"`.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// Processes whose command line mentions `needle` (pip runs from the venv's python).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

fn python_venv_works() -> bool {
    let dir = std::env::temp_dir().join(format!("duows-venv-check-{}", std::process::id()));
    let ok = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    let _ = std::fs::remove_dir_all(&dir);
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_from_a_local_index_with_progress_cancel_and_reuse() {
    if !python_venv_works() {
        assert!(
            std::env::var_os("DUOWS_REQUIRE_CPU_ENGINE").is_none(),
            "python3 with venv is required (Debian: apt-get install python3-venv)"
        );
        eprintln!("skipped: python3 -m venv does not work here");
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pip_wheel = std::fs::read_dir(repo.join(".tools/wheels"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pip-"))
        });
    let Some(pip_wheel) = pip_wheel else {
        assert!(
            std::env::var_os("DUOWS_REQUIRE_CPU_ENGINE").is_none(),
            "no pip wheel in .tools/wheels: run scripts/cpu-engine.sh"
        );
        eprintln!("skipped: no pip wheel in .tools/wheels (scripts/cpu-engine.sh keeps one)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let script = repo.join("tests/engine/make_package_index.py");
    let built = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir.path().join("index"))
        .arg(&pip_wheel)
        .status()
        .expect("python3");
    assert!(built.success(), "building the test index failed");
    let (index, url) = start_index(&dir.path().join("index")).await;
    let spec = spec(dir.path(), &url);
    let launcher = ProcessLauncher::new().expect("launcher");

    // First attempt: slow wheels, cancelled once a wheel download has begun.
    index.slow.store(true, Ordering::SeqCst);
    let (progress, _) = watch::channel(InstallProgress::default());
    let (cancel_tx, cancel) = watch::channel(false);
    let watcher = Arc::clone(&index);
    tokio::spawn(async move {
        // Half of the 3 MiB wheel: pip has reported bytes by then, and is mid-file.
        while watcher.wheel_bytes.load(Ordering::SeqCst) < 1536 * 1024 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = cancel_tx.send(true);
    });
    let mut first_seen = progress.subscribe();
    let partial = tokio::spawn(async move {
        let mut partial = 0;
        while first_seen.changed().await.is_ok() {
            let p = first_seen.borrow_and_update().clone();
            if p.phase == InstallPhase::Downloading
                && p.done_bytes > 0
                && p.total_bytes.is_some_and(|t| p.done_bytes < t)
            {
                partial = partial.max(p.done_bytes);
            }
        }
        partial
    });
    let first = install(&spec, &launcher, &progress, cancel).await;
    assert!(
        matches!(first, Err(InstallError::Cancelled)),
        "cancel ends the install: {first:?}"
    );
    let venv = spec.venv.display().to_string();
    assert!(
        processes_mentioning(&venv).is_empty(),
        "no pip process is left after a cancel: {:?}",
        processes_mentioning(&venv)
    );
    assert_eq!(
        progress.borrow().packages_total,
        Some(2),
        "resolution found both packages before the download began"
    );
    assert_eq!(
        progress.borrow().total_bytes.map(|t| t > 3_000_000),
        Some(true)
    );
    drop(progress);
    let partial = partial.await.expect("watcher");
    assert!(
        partial > 64 * 1024,
        "bytes were reported while a wheel was still downloading (saw {partial})"
    );

    // Second attempt: full speed; it finishes and fetches no file twice.
    index.slow.store(false, Ordering::SeqCst);
    let (progress, mut seen) = watch::channel(InstallProgress::default());
    let phases = Arc::new(Mutex::new(Vec::<(InstallPhase, Option<String>)>::new()));
    let log = Arc::clone(&phases);
    let recorder = tokio::spawn(async move {
        while seen.changed().await.is_ok() {
            let p = seen.borrow_and_update().clone();
            let mut log = log.lock().expect("lock");
            if log.last() != Some(&(p.phase, p.package.clone())) {
                log.push((p.phase, p.package));
            }
        }
    });
    let (_keep, cancel) = watch::channel(false);
    let installed = install(&spec, &launcher, &progress, cancel)
        .await
        .expect("the second attempt installs");
    assert_eq!(installed.version, "1.0.0");
    let last = progress.borrow().clone();
    assert_eq!(last.phase, InstallPhase::Done);
    assert_eq!(last.packages_total, Some(2));
    assert_eq!(last.packages_done, 2);
    assert_eq!(last.percent(), Some(100.0));
    drop(progress);
    recorder.await.expect("recorder");
    let phases = phases.lock().expect("lock").clone();
    for phase in [
        InstallPhase::Resolving,
        InstallPhase::Downloading,
        InstallPhase::Installing,
        InstallPhase::Verifying,
    ] {
        assert!(
            phases.iter().any(|(p, _)| *p == phase),
            "{phase:?} reported: {phases:?}"
        );
    }
    assert!(
        phases
            .iter()
            .any(|(_, package)| package.as_deref() == Some("duows-probe-dep")),
        "the current package is named: {phases:?}"
    );
    let completed = index.completed.lock().expect("lock").clone();
    assert!(
        completed.values().all(|n| *n == 1),
        "each wheel is fetched to the end once over both attempts: {completed:?}"
    );
    assert_eq!(completed.len(), 2, "{completed:?}");
}
