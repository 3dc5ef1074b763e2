//! The hub's HTTP calls: the commit a revision names, the repository's files from the tree
//! API (sizes and hashes), and one file's bytes, resumed with a range request when part of
//! it is on disk. 401 and 403 mean a gated or private repository, 404 an unknown one.

use std::path::Path;

use futures_util::{FutureExt, StreamExt};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use super::progress::Meter;
use super::types::{DownloadError, DownloadRequest, RepoFile};
use crate::engine::plan::Secret;

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Deserialize)]
struct LfsInfo {
    oid: String,
    size: u64,
}

#[derive(Deserialize)]
struct RepoInfo {
    sha: String,
}

/// A client for one repository on one hub.
pub(super) struct Hub {
    client: reqwest::Client,
    /// The hub's address, without a trailing slash.
    endpoint: String,
    /// Repository id.
    repo: String,
    /// Branch, tag or commit asked for.
    revision: String,
    /// Token for gated or private repositories.
    token: Option<Secret>,
}

impl Hub {
    /// A client for the repository `request` names.
    pub(super) fn new(request: &DownloadRequest) -> Result<Self, DownloadError> {
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(30))
            .read_timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| DownloadError::Http(e.to_string()))?;
        Ok(Self {
            client,
            endpoint: request.endpoint.trim_end_matches('/').to_owned(),
            repo: request.repo.clone(),
            revision: request.revision.clone(),
            token: request.token.clone(),
        })
    }

    /// A GET with the token, when there is one.
    fn get(&self, url: String) -> reqwest::RequestBuilder {
        let builder = self.client.get(url);
        match &self.token {
            Some(token) => builder.bearer_auth(token.expose()),
            None => builder,
        }
    }

    /// The error a response's status means, if any.
    fn status_error(&self, response: &reqwest::Response, revision: &str) -> Option<DownloadError> {
        match response.status().as_u16() {
            200..=299 => None,
            status @ (401 | 403) => Some(DownloadError::Gated {
                repo: self.repo.clone(),
                endpoint: self.endpoint.clone(),
                status,
            }),
            404 => Some(DownloadError::NotFound {
                repo: self.repo.clone(),
                revision: revision.to_owned(),
            }),
            status => Some(DownloadError::Http(format!("the hub answered {status}"))),
        }
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: String,
    ) -> Result<T, DownloadError> {
        let response = self
            .get(url)
            .send()
            .await
            .map_err(|e| DownloadError::Http(e.to_string()))?;
        if let Some(error) = self.status_error(&response, &self.revision) {
            return Err(error);
        }
        response
            .json()
            .await
            .map_err(|e| DownloadError::Http(e.to_string()))
    }

    /// The commit the revision names.
    pub(super) async fn commit(&self) -> Result<String, DownloadError> {
        let url = format!(
            "{}/api/models/{}/revision/{}",
            self.endpoint, self.repo, self.revision
        );
        let info: RepoInfo = self.get_json(url).await?;
        Ok(info.sha)
    }

    /// The files at `commit` that `keep` accepts, with sizes and hashes.
    pub(super) async fn files(
        &self,
        commit: &str,
        keep: fn(&str) -> bool,
    ) -> Result<Vec<RepoFile>, DownloadError> {
        let url = format!(
            "{}/api/models/{}/tree/{commit}?recursive=true",
            self.endpoint, self.repo
        );
        let entries: Vec<TreeEntry> = self.get_json(url).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.kind == "file" && keep(&e.path))
            .map(|e| match e.lfs {
                Some(lfs) => RepoFile {
                    path: e.path,
                    size: lfs.size,
                    hash: lfs.oid,
                    lfs: true,
                },
                None => RepoFile {
                    path: e.path,
                    size: e.size,
                    hash: e.oid,
                    lfs: false,
                },
            })
            .collect())
    }

    /// Fetches `file` at `commit` into `partial`, continuing what is there when the server
    /// allows a range; `cancel` stops it with what was fetched kept.
    pub(super) async fn fetch(
        &self,
        commit: &str,
        file: &RepoFile,
        partial: &Path,
        meter: &Meter<'_>,
        mut cancel: watch::Receiver<bool>,
    ) -> Result<(), DownloadError> {
        let io = |source| DownloadError::Io {
            path: partial.to_path_buf(),
            source,
        };
        let have = tokio::fs::metadata(partial).await.map_or(0, |m| m.len());
        let url = format!(
            "{}/{}/resolve/{commit}/{}",
            self.endpoint, self.repo, file.path
        );
        let mut builder = self.get(url);
        if have > 0 && have < file.size {
            builder = builder.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let response = builder
            .send()
            .await
            .map_err(|e| DownloadError::Http(e.to_string()))?;
        if let Some(error) = self.status_error(&response, commit) {
            return Err(error);
        }
        // 206: the server continues where we stopped; 200: it sends everything again.
        let resumed = response.status().as_u16() == 206;
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(resumed)
            .write(true)
            .truncate(!resumed)
            .open(partial)
            .await
            .map_err(io)?;
        if !resumed && have > 0 {
            meter.take_back(have);
        }
        meter.begin(&file.path);
        let mut body = response.bytes_stream();
        loop {
            let chunk = tokio::select! {
                chunk = body.next() => Ok(chunk),
                // `map` drops the borrow `wait_for` returns: the future stays `Send`.
                _ = cancel.wait_for(|c| *c).map(|r| r.is_ok()) => None.ok_or(()),
            };
            let Ok(chunk) = chunk else {
                let _ = out.flush().await;
                return Err(DownloadError::Cancelled);
            };
            let Some(chunk) = chunk else { break };
            let chunk = chunk.map_err(|e| {
                DownloadError::Http(format!(
                    "{} broke off: {e}; it resumes next time",
                    file.path
                ))
            })?;
            out.write_all(&chunk).await.map_err(io)?;
            meter.received(chunk.len() as u64);
        }
        out.flush().await.map_err(io)
    }
}
