//! The log viewer's reads: which logs exist under `<data>/logs` (the programs' own logs, the
//! gateway's request log, each engine's log), and the newest lines of some of them that hold
//! a search text or belong to one request.
//!
//! A request is followed by its correlation id: the gateway logs the client's id and the id
//! it sent the engine (`upstream_request_id`), so a search for either finds the gateway's
//! line and, through the other id, the engine's lines too. Only each file's end is read (the
//! newest `TAIL_BYTES`), so a large log costs the same as a small one. Logs hold no secrets
//! (keys are hidden where they are written), so lines are returned as written; the request
//! log's JSON is turned into one readable line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How much of each log's end is searched.
pub const TAIL_BYTES: u64 = 4 << 20;
/// Lines returned at most.
pub const MAX_LINES: usize = 2000;

/// One log the viewer can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LogSource {
    /// What to ask for: `app:duows`, `app:desktop`, `gateway` or `engine:<name>`.
    pub id: String,
    /// A name for people: "Server (duows)", "Gateway requests", "Engine mistral".
    pub label: String,
    /// `app`, `gateway` or `engine`.
    pub kind: String,
}

/// One line of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LogLine {
    /// The log it came from (a [`LogSource::id`]).
    pub source: String,
    /// The line, readable.
    pub text: String,
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LogSearch {
    /// The logs that exist now.
    pub sources: Vec<LogSource>,
    /// The newest matching lines, oldest first, grouped by log in the order asked.
    pub lines: Vec<LogLine>,
    /// Whether more lines matched than were returned.
    pub truncated: bool,
    /// The ids the correlation filter followed (the one given and those linked to it).
    pub correlation_ids: Vec<String>,
}

/// What to look for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LogQuery {
    /// Log ids to read; empty: all of them.
    pub sources: Vec<String>,
    /// Text a line must hold (any case).
    pub search: Option<String>,
    /// A request's correlation id: only lines of that request.
    pub correlation_id: Option<String>,
    /// Lines returned at most (up to [`MAX_LINES`]).
    pub limit: usize,
}

/// The logs under `logs_dir`.
pub fn log_sources(logs_dir: &Path) -> Vec<LogSource> {
    let mut sources = Vec::new();
    for (program, label) in [("duows", "Server (duows)"), ("desktop", "Desktop app")] {
        if logs_dir.join(format!("{program}.log")).is_file() {
            sources.push(source(format!("app:{program}"), label.into(), "app"));
        }
    }
    if logs_dir.join("gateway").join("requests.jsonl").is_file() {
        sources.push(source(
            "gateway".into(),
            "Gateway requests".into(),
            "gateway",
        ));
    }
    let mut engines: Vec<String> = std::fs::read_dir(logs_dir.join("engines"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()?
                .strip_suffix(".log")
                .map(str::to_owned)
        })
        .collect();
    engines.sort();
    for name in engines {
        sources.push(source(
            format!("engine:{name}"),
            format!("Engine {name}"),
            "engine",
        ));
    }
    sources
}

fn source(id: String, label: String, kind: &str) -> LogSource {
    LogSource {
        id,
        label,
        kind: kind.into(),
    }
}

fn path_of(logs_dir: &Path, id: &str) -> Option<PathBuf> {
    if let Some(program) = id.strip_prefix("app:") {
        return Some(logs_dir.join(format!("{program}.log")));
    }
    if id == "gateway" {
        return Some(logs_dir.join("gateway").join("requests.jsonl"));
    }
    id.strip_prefix("engine:")
        .map(|name| logs_dir.join("engines").join(format!("{name}.log")))
}

/// Searches the logs under `logs_dir` (only those [`log_sources`] lists: a query cannot name
/// another file).
pub fn search_logs(logs_dir: &Path, query: &LogQuery) -> LogSearch {
    let sources = log_sources(logs_dir);
    let chosen: Vec<&LogSource> = sources
        .iter()
        .filter(|s| query.sources.is_empty() || query.sources.contains(&s.id))
        .collect();
    let read = |s: &LogSource| -> Vec<String> {
        path_of(logs_dir, &s.id)
            .map(|p| tail_lines(&p))
            .unwrap_or_default()
    };
    let mut ids: Vec<String> = Vec::new();
    if let Some(id) = query
        .correlation_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        ids.push(id.to_owned());
        // The gateway's line links the client's id and the engine's.
        if let Some(gateway) = sources.iter().find(|s| s.id == "gateway") {
            for line in read(gateway).iter().filter(|l| l.contains(id)) {
                if let Ok(record) = serde_json::from_str::<serde_json::Value>(line) {
                    for key in ["request_id", "upstream_request_id"] {
                        if let Some(linked) = record[key].as_str() {
                            if !ids.iter().any(|i| i == linked) {
                                ids.push(linked.to_owned());
                            }
                        }
                    }
                }
            }
        }
    }
    let needle = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let limit = query.limit.clamp(1, MAX_LINES);
    let mut lines: Vec<LogLine> = Vec::new();
    let mut matched = 0usize;
    for s in chosen {
        for raw in read(s) {
            if !ids.is_empty() && !ids.iter().any(|id| raw.contains(id.as_str())) {
                continue;
            }
            let text = if s.kind == "gateway" {
                request_line(&raw)
            } else {
                raw
            };
            if needle
                .as_ref()
                .is_some_and(|n| !text.to_lowercase().contains(n.as_str()))
            {
                continue;
            }
            matched += 1;
            lines.push(LogLine {
                source: s.id.clone(),
                text,
            });
        }
    }
    // Keep the newest of each log in proportion: the last `limit` overall.
    let truncated = matched > limit;
    if truncated {
        lines.drain(..lines.len() - limit);
    }
    LogSearch {
        sources,
        lines,
        truncated,
        correlation_ids: ids,
    }
}

/// A request-log record as one readable line:
/// `2026-03-14T14:03:27.123Z 200 duo-chat → mistral 412 ms id=… upstream=… error=…`.
pub fn request_line(raw: &str) -> String {
    let Ok(record) = serde_json::from_str::<serde_json::Value>(raw) else {
        return raw.to_owned();
    };
    let text = |key: &str| record[key].as_str().map(str::to_owned);
    let mut parts = vec![
        text("time").unwrap_or_default(),
        record["status"].to_string(),
    ];
    let target = text("alias")
        .or_else(|| text("model"))
        .unwrap_or_else(|| "-".into());
    match text("deployment") {
        Some(deployment) if deployment != target => parts.push(format!("{target} → {deployment}")),
        _ => parts.push(target),
    }
    if let Some(ms) = record["latency_ms"].as_f64() {
        parts.push(if ms < 10.0 {
            format!("{ms:.1} ms")
        } else {
            format!("{ms:.0} ms")
        });
    }
    if let Some(id) = text("request_id") {
        parts.push(format!("id={id}"));
    }
    if let Some(id) = text("upstream_request_id") {
        parts.push(format!("upstream={id}"));
    }
    if let Some(error) = text("error") {
        parts.push(format!("error={error}"));
    }
    parts.join(" ")
}

/// The complete lines of the newest `TAIL_BYTES` of a file (none when it cannot be read).
fn tail_lines(path: &Path) -> Vec<String> {
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = size.saturating_sub(TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // cut in the middle
    }
    lines
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn logs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        fs::create_dir_all(root.join("gateway")).expect("gateway");
        fs::create_dir_all(root.join("engines")).expect("engines");
        fs::write(
            root.join("duows.log"),
            "INFO starting\nWARN deployment gpu-2 unreachable\n",
        )
        .expect("app");
        fs::write(
            root.join("gateway/requests.jsonl"),
            concat!(
                r#"{"time":"2026-03-14T14:03:27.123Z","request_id":"client-1","upstream_request_id":"up-9","model":"duo-chat","alias":"duo-chat","deployment":"mistral","status":200,"latency_ms":412.4}"#,
                "\n",
                r#"{"time":"2026-03-14T14:03:28.000Z","request_id":"client-2","model":"x","deployment":null,"status":404,"latency_ms":0.3,"error":"model_not_found"}"#,
                "\n"
            ),
        )
        .expect("gateway");
        fs::write(
            root.join("engines/mistral.log"),
            "INFO Received request up-9: prompt 12 tokens\nINFO Received request up-10\nINFO Finished request up-9\n",
        )
        .expect("engine");
        dir
    }

    #[test]
    fn the_logs_that_exist_are_listed() {
        let dir = logs();
        let ids: Vec<String> = log_sources(dir.path()).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["app:duows", "gateway", "engine:mistral"]);
    }

    #[test]
    fn a_correlation_id_finds_the_gateways_line_and_the_engines_lines_of_that_request() {
        let dir = logs();
        let found = search_logs(
            dir.path(),
            &LogQuery {
                correlation_id: Some("client-1".into()),
                limit: 100,
                ..LogQuery::default()
            },
        );
        assert_eq!(found.correlation_ids, ["client-1", "up-9"]);
        let texts: Vec<(&str, &str)> = found
            .lines
            .iter()
            .map(|l| (l.source.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("gateway", "2026-03-14T14:03:27.123Z 200 duo-chat → mistral 412 ms id=client-1 upstream=up-9"),
                ("engine:mistral", "INFO Received request up-9: prompt 12 tokens"),
                ("engine:mistral", "INFO Finished request up-9"),
            ]
        );
    }

    #[test]
    fn a_search_is_any_case_within_the_logs_asked_and_keeps_the_newest() {
        let dir = logs();
        let query = |search: &str, sources: &[&str], limit| LogQuery {
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            search: Some(search.into()),
            limit,
            ..LogQuery::default()
        };
        let found = search_logs(dir.path(), &query("UNREACHABLE", &["app:duows"], 10));
        assert_eq!(found.lines.len(), 1);
        let found = search_logs(dir.path(), &query("model_not_found", &["gateway"], 10));
        assert_eq!(
            found.lines[0].text,
            "2026-03-14T14:03:28.000Z 404 x 0.3 ms id=client-2 error=model_not_found"
        );
        let found = search_logs(dir.path(), &query("request", &["engine:mistral"], 2));
        assert!(found.truncated);
        assert_eq!(found.lines.len(), 2);
        assert_eq!(
            found.lines[1].text, "INFO Finished request up-9",
            "the newest are kept"
        );
        let outside = search_logs(dir.path(), &query("", &["engine:../../etc/passwd"], 10));
        assert!(outside.lines.is_empty(), "only listed logs are read");
    }
}
