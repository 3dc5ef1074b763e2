//! The gateway's traffic per alias over a recent window, from its request log
//! (`logs/gateway/requests.jsonl`, one JSON object per answered request): requests per
//! second, errors, and the median and 99th-percentile latency; and the same per replica of
//! a deployment with several ([`super::replica_traffic`]). The log is read from its end
//! backwards and only as far as the window reaches.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::replica_traffic::{replica_figures, ByReplica, ReplicaTraffic};

/// Read at most this much of the log's end (a busy hour); older lines are left.
const MAX_READ: u64 = 32 << 20;
const CHUNK: u64 = 256 << 10;

/// One alias's traffic (or a deployment's, for requests that named it directly).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AliasTraffic {
    /// The alias (e.g. `duo-chat`), the deployment or model named, or `unknown`.
    pub alias: String,
    /// Requests answered in the window.
    pub requests: u64,
    /// Requests per second over the window.
    pub requests_per_second: f64,
    /// Requests answered with an error (HTTP 4xx or 5xx).
    pub errors: u64,
    /// Median latency, in ms.
    pub latency_p50_ms: Option<f64>,
    /// 99th-percentile latency, in ms.
    pub latency_p99_ms: Option<f64>,
}

/// The traffic of every alias over a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct GatewayTraffic {
    /// The window's length in seconds.
    pub window_s: u64,
    /// Per alias, by name.
    pub aliases: Vec<AliasTraffic>,
    /// Every request of the window together (alias `all`).
    pub total: Option<AliasTraffic>,
    /// Per replica of each deployment with several, in the gateway's order.
    pub replicas: Vec<ReplicaTraffic>,
    /// Whether the log reached back less far than the window (rotated, or too much to read).
    pub partial: bool,
}

#[derive(Deserialize)]
struct Line {
    time: String,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    deployment: Option<String>,
    #[serde(default)]
    model: Option<String>,
    /// The replica that answered, for a deployment with several.
    #[serde(default)]
    replica: Option<String>,
    status: u16,
    latency_ms: f64,
}

/// The traffic of the `window_s` seconds before `now_ms` in the request log at `path`; empty
/// when there is no log yet.
pub fn gateway_traffic(path: &Path, now_ms: u64, window_s: u64) -> std::io::Result<GatewayTraffic> {
    let since_ms = now_ms.saturating_sub(window_s * 1000);
    let (lines, reached) = match File::open(path) {
        Ok(file) => tail_since(file, since_ms)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), true),
        Err(e) => return Err(e),
    };
    Ok(summarise(&lines, since_ms, now_ms, window_s, !reached))
}

/// The per-alias figures of `lines` (raw log lines) within `(since_ms, now_ms]`.
pub fn summarise(
    lines: &[String],
    since_ms: u64,
    now_ms: u64,
    window_s: u64,
    partial: bool,
) -> GatewayTraffic {
    let mut by_alias: BTreeMap<String, (u64, Vec<f64>)> = BTreeMap::new();
    let mut all = (0u64, Vec::new());
    let mut by_replica = ByReplica::new();
    for line in lines {
        let Ok(record) = serde_json::from_str::<Line>(line) else {
            continue;
        };
        let Some(at) = parse_time_ms(&record.time) else {
            continue;
        };
        if at <= since_ms || at > now_ms {
            continue;
        }
        let error = u64::from(record.status >= 400);
        if let (Some(replica), Some(deployment)) = (&record.replica, &record.deployment) {
            let entry = by_replica
                .entry((deployment.clone(), replica.clone()))
                .or_default();
            entry.0 += error;
            entry.1.push(record.latency_ms);
        }
        let alias = record
            .alias
            .or(record.deployment)
            .or(record.model)
            .unwrap_or_else(|| "unknown".into());
        let entry = by_alias.entry(alias).or_default();
        entry.0 += error;
        entry.1.push(record.latency_ms);
        all.0 += error;
        all.1.push(record.latency_ms);
    }
    let figures = |alias: String, (errors, mut latencies): (u64, Vec<f64>)| {
        latencies.sort_by(f64::total_cmp);
        AliasTraffic {
            alias,
            requests: latencies.len() as u64,
            requests_per_second: latencies.len() as f64 / window_s.max(1) as f64,
            errors,
            latency_p50_ms: nearest_rank(&latencies, 0.5),
            latency_p99_ms: nearest_rank(&latencies, 0.99),
        }
    };
    GatewayTraffic {
        window_s,
        total: (!all.1.is_empty()).then(|| figures("all".into(), all)),
        aliases: by_alias.into_iter().map(|(a, v)| figures(a, v)).collect(),
        replicas: replica_figures(by_replica, window_s, nearest_rank),
        partial,
    }
}

/// The value at rank ⌈q·n⌉ of sorted values.
fn nearest_rank(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// The log's lines from its end back to the first one older than `since_ms`; and whether
/// they reach that far (else the file began, or the read limit came, first).
fn tail_since(mut file: File, since_ms: u64) -> std::io::Result<(Vec<String>, bool)> {
    let size = file.metadata()?.len();
    let mut end = size;
    let mut carry: Vec<u8> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    while end > 0 && size - end < MAX_READ {
        let start = end.saturating_sub(CHUNK);
        let mut chunk = vec![0; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&carry);
        // The first line of the chunk may be cut: keep it for the next round, unless the
        // file starts here.
        let cut = if start == 0 {
            0
        } else {
            chunk
                .iter()
                .position(|&b| b == b'\n')
                .map_or(chunk.len(), |i| i + 1)
        };
        carry = chunk[..cut].to_vec();
        let mut older_seen = false;
        let mut batch: Vec<String> = Vec::new();
        for raw in chunk[cut..].split(|&b| b == b'\n') {
            let Ok(text) = std::str::from_utf8(raw) else {
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            if time_of(text).is_some_and(|t| t <= since_ms) {
                older_seen = true;
            }
            batch.push(text.to_owned());
        }
        batch.append(&mut lines);
        lines = batch;
        if older_seen {
            return Ok((lines, true));
        }
        end = start;
    }
    Ok((lines, end == 0))
}

fn time_of(line: &str) -> Option<u64> {
    let at = line.find("\"time\":\"")? + 8;
    parse_time_ms(line.get(at..at + 24)?)
}

/// `2026-03-14T14:03:27.123Z` (the gateway's format) → ms since the epoch.
pub fn parse_time_ms(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let millis = if b[19] == b'.' { num(20..23)? } else { 0 };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
    u64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(at_ms: u64, alias: Option<&str>, status: u16, latency_ms: f64) -> String {
        let time = duows_base::clock::rfc3339(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(at_ms),
        );
        let alias = alias.map_or(String::new(), |a| format!(",\"alias\":\"{a}\""));
        format!(
            "{{\"time\":\"{time}\",\"request_id\":\"r\",\"key_id\":null,\"model\":\"m\"{alias},\"deployment\":\"d\",\"status\":{status},\"stream\":false,\"latency_ms\":{latency_ms},\"ttfb_ms\":null}}"
        )
    }

    #[test]
    fn the_gateways_times_are_read_to_the_millisecond() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            parse_time_ms("2000-03-01T00:00:01.250Z"),
            Some(951_868_801_250)
        );
        let now = duows_base::clock::now_ms();
        let written = duows_base::clock::rfc3339(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(now),
        );
        assert_eq!(parse_time_ms(&written), Some(now), "{written}");
        assert_eq!(parse_time_ms("yesterday"), None);
    }

    #[test]
    fn traffic_is_counted_per_alias_within_the_window() {
        let now = 1_800_000_000_000;
        let lines: Vec<String> = [
            line(now - 120_000, Some("duo-chat"), 200, 9999.0), // before the window
            line(now - 50_000, Some("duo-chat"), 200, 100.0),
            line(now - 40_000, Some("duo-chat"), 200, 300.0),
            line(now - 30_000, Some("duo-chat"), 502, 200.0),
            line(now - 20_000, None, 404, 1.0), // named a deployment directly
            "not json".into(),
        ]
        .into();
        let mut lines = lines;
        lines.push(line(now - 10_000, None, 200, 4.0).replace(
            "\"status\"",
            "\"replica\":\"http://gpu-3:8000/v1\",\"status\"",
        ));
        let traffic = summarise(&lines, now - 60_000, now, 60, false);
        assert_eq!(traffic.aliases.len(), 2);
        let chat = &traffic.aliases[1];
        assert_eq!(
            (chat.alias.as_str(), chat.requests, chat.errors),
            ("duo-chat", 3, 1)
        );
        assert_eq!(chat.latency_p50_ms, Some(200.0));
        assert_eq!(chat.latency_p99_ms, Some(300.0));
        assert!((chat.requests_per_second - 0.05).abs() < 1e-9);
        assert_eq!(traffic.aliases[0].alias, "d");
        let total = traffic.total.expect("total");
        assert_eq!((total.requests, total.errors), (5, 2));
        let replicas: Vec<(&str, &str, u64)> = traffic
            .replicas
            .iter()
            .map(|r| (r.deployment.as_str(), r.replica.as_str(), r.requests))
            .collect();
        assert_eq!(replicas, [("d", "http://gpu-3:8000/v1", 1)]);
    }

    #[test]
    fn the_log_is_read_from_its_end_only_as_far_as_the_window() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("requests.jsonl");
        let now = 1_800_000_000_000u64;
        let mut file = File::create(&path).expect("file");
        // Two hours at one request a second: far more than a chunk.
        for i in (0..7200u64).rev() {
            writeln!(
                file,
                "{}",
                line(now - i * 1000, Some("code"), 200, (i % 100) as f64)
            )
            .expect("write");
        }
        drop(file);
        let traffic = gateway_traffic(&path, now, 300).expect("read");
        let code = &traffic.aliases[0];
        assert_eq!(code.requests, 300, "the last five minutes exactly");
        assert!(!traffic.partial);
        assert!((code.requests_per_second - 1.0).abs() < 1e-9);
        let missing = gateway_traffic(&dir.path().join("none.jsonl"), now, 60).expect("no log");
        assert_eq!(
            missing,
            GatewayTraffic {
                window_s: 60,
                ..GatewayTraffic::default()
            }
        );
    }
}
