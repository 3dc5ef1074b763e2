//! The hub's HTTP calls: the commit a revision names, the repository's files from the tree
//! API (sizes and hashes), and a byte range of one file. 401 and 403 mean a gated or
//! private repository, 404 an unknown one; a range request that fails on the way, or that
//! the server answers as busy or broken, is worth another try ([`TryError::Broken`]).

use serde::Deserialize;

use super::retry::TryError;
use super::types::{DownloadError, DownloadRequest, FileFilter, RepoFile};
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
    /// `connections` is how many requests may be open at once, so as many stay pooled; a
    /// connection silent for `stall` fails its request.
    pub(super) fn new(
        request: &DownloadRequest,
        connections: usize,
        stall: std::time::Duration,
    ) -> Result<Self, DownloadError> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .tcp_nodelay(true)
            .connect_timeout(std::time::Duration::from_secs(30))
            .read_timeout(stall)
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
        keep: &FileFilter,
    ) -> Result<Vec<RepoFile>, DownloadError> {
        let url = format!(
            "{}/api/models/{}/tree/{commit}?recursive=true",
            self.endpoint, self.repo
        );
        let entries: Vec<TreeEntry> = self.get_json(url).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.kind == "file" && keep.keeps(&e.path))
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

    /// Where `file`'s bytes at `commit` are served (before any redirect to a CDN).
    pub(super) fn file_url(&self, commit: &str, file: &RepoFile) -> String {
        format!(
            "{}/{}/resolve/{commit}/{}",
            self.endpoint, self.repo, file.path
        )
    }

    /// A GET of bytes `start..end` of `url`. The token goes only to the hub itself, never to
    /// the address a redirect led to. A 200 means the server ignored the range.
    pub(super) async fn get_range(
        &self,
        url: &str,
        commit: &str,
        start: u64,
        end: u64,
    ) -> Result<reqwest::Response, TryError> {
        let builder = if url.starts_with(&format!("{}/", self.endpoint)) {
            self.get(url.to_owned())
        } else {
            self.client.get(url)
        };
        let last = end.saturating_sub(1).max(start);
        let response = builder
            .header(reqwest::header::RANGE, format!("bytes={start}-{last}"))
            .send()
            .await
            .map_err(|e| TryError::from_request(&e))?;
        let status = response.status().as_u16();
        match self.status_error(&response, commit) {
            Some(error) if TryError::retryable_status(status) => {
                Err(TryError::Broken(error.to_string()))
            }
            Some(error) => Err(TryError::Fatal(error)),
            None => Ok(response),
        }
    }
}
