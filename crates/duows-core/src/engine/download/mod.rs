//! Model weights from the Hugging Face hub, into the hub's own cache layout so vLLM finds
//! them offline (`HF_HOME`, `HF_HUB_OFFLINE=1`).
//!
//! The file list, sizes and SHA-256 sums come from the hub's tree API. Files are cut into
//! pieces fetched over many connections at once (byte ranges) into
//! `blobs/<sha256>.incomplete`, with each piece's progress recorded beside it, so an
//! interrupted download resumes every piece where it stopped; a piece whose connection drops
//! or stalls is tried again from where it got to, a few times with growing waits, before the
//! download gives up. A finished file is checked against the hub's SHA-256 (git's SHA-1 for
//! small non-LFS files) before it is renamed into place and linked from
//! `snapshots/<commit>/`. Free disk is checked before anything is fetched, and a gated
//! model's 401/403 says where to accept its licence.
//!
//! - `types`: what to download, the files of a repository, why a download failed.
//! - `progress`: [`DownloadProgress`] and the meter the parallel fetches report to.
//! - `hub`: the hub's HTTP calls: the commit a revision names, the tree API, and a byte
//!   range of one file.
//! - `ranges`: the pieces of a file, how far each has come, and their record on disk.
//! - `connections`: how many connections: the limits ([`TransferLimits`]) and the growth
//!   from a few to as many as raise the throughput.
//! - `retry`: a broken piece's further tries (how many, the waits between them, what counts
//!   as a stall) and which failures are worth one.
//! - `partial`: writing at an offset of the partial file, and the book of its pieces.
//! - `transfer`: the connections taking pieces from one queue, writing them at their
//!   offsets, and finishing each file as its last piece lands.
//! - `cache`: the hub cache's layout (`models--<org>--<name>/blobs|snapshots|refs`),
//!   storing a checked blob and linking it from the snapshot.
//! - `checksum`: the sums the hub publishes (SHA-256, or git's blob SHA-1).
//! - `sequence`: the download itself ([`download`]): disk check, the transfer, links.

mod cache;
mod checksum;
mod connections;
mod hub;
mod partial;
mod progress;
mod ranges;
mod retry;
mod sequence;
mod transfer;
mod types;

pub use cache::{bytes_in_cache, downloaded_file, repo_cache};
pub use connections::TransferLimits;
pub use progress::DownloadProgress;
pub use retry::PieceRetry;
pub use sequence::{download, download_with};
pub use types::{vllm_files, DownloadError, DownloadRequest, FileFilter, RepoFile};
