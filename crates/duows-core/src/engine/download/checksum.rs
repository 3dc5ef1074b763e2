//! The sums the hub publishes for a file, computed the same way: SHA-256 for LFS files,
//! git's blob SHA-1 (of `"blob <size>\0"` and the content) for small non-LFS files.

use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::types::RepoFile;

/// The sum the hub publishes for the file: SHA-256 (LFS), or git's blob SHA-1.
pub(super) async fn checksum(path: &Path, file: &RepoFile) -> std::io::Result<String> {
    let path = path.to_path_buf();
    let lfs = file.lfs;
    tokio::task::spawn_blocking(move || {
        let mut input = std::fs::File::open(&path)?;
        if lfs {
            digest_hex(Sha256::new(), &mut input)
        } else {
            // git names a blob by SHA-1 of "blob <size>\0" and the content.
            let mut hasher = Sha1::new();
            hasher.update(format!("blob {}\0", input.metadata()?.len()).as_bytes());
            digest_hex(hasher, &mut input)
        }
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Feeds the rest of `input` to `hasher`, 1 MiB at a time; the digest in hex.
fn digest_hex<D: Digest>(mut hasher: D, input: &mut impl std::io::Read) -> std::io::Result<String> {
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
