//! Reading pip's `pip install --dry-run --report` output: every file pip will fetch, the
//! package it belongs to, and its size as the index announces it (a HEAD request per file,
//! in parallel). Anything unreadable gives an empty plan: progress then counts whole files.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// Every file pip will fetch, from its `--report`, with sizes from the index.
#[derive(Debug, Default)]
pub(super) struct PackagePlan {
    /// File name → (package name, size if known).
    pub(super) files: HashMap<String, (String, Option<u64>)>,
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    install: Vec<ReportItem>,
}

#[derive(Deserialize)]
struct ReportItem {
    download_info: DownloadInfo,
    metadata: ReportMetadata,
}

#[derive(Deserialize)]
struct DownloadInfo {
    url: String,
}

#[derive(Deserialize)]
struct ReportMetadata {
    name: String,
}

impl PackagePlan {
    /// Reads pip's report and asks the index for each file's size (HEAD, in parallel).
    pub(super) async fn read(report: &Path) -> Self {
        let Ok(text) = tokio::fs::read_to_string(report).await else {
            return Self::default();
        };
        let Ok(report) = serde_json::from_str::<Report>(&text) else {
            return Self::default();
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .ok();
        let sizes = futures_util::future::join_all(report.install.iter().map(|item| {
            let client = client.clone();
            let url = item.download_info.url.clone();
            async move { size_of(client?, &url).await }
        }))
        .await;
        let files = report
            .install
            .iter()
            .zip(sizes)
            .map(|(item, size)| {
                let url = item.download_info.url.split('#').next().unwrap_or("");
                let file = url.rsplit('/').next().unwrap_or(url).to_owned();
                (file, (item.metadata.name.clone(), size))
            })
            .collect();
        Self { files }
    }

    /// Bytes of all files, when the plan has files and the index told every size.
    pub(super) fn total_bytes(&self) -> Option<u64> {
        if self.files.is_empty() {
            return None;
        }
        self.files.values().map(|(_, size)| *size).sum()
    }
}

/// The size the server announces for `url` (local files: their length).
async fn size_of(client: reqwest::Client, url: &str) -> Option<u64> {
    if let Some(path) = url.strip_prefix("file://") {
        return std::fs::metadata(path).ok().map(|m| m.len());
    }
    let response = client.head(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
