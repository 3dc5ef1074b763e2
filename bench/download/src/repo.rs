//! A generated model repository: shards shaped like safetensors files (an 8-byte header
//! length, a JSON header naming one BF16 tensor, then its bytes) filled with pseudo-random
//! data, plus a small `config.json` and `tokenizer.json`, and a manifest listing each file's
//! size and SHA-256 (`manifest.txt`: `<path> <size> <sha256>` a line).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// One file of the repository.
pub struct RepoFile {
    /// Path in the repository.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 in hex.
    pub sha256: String,
}

/// Writes shards of the given sizes (MiB) and the small files into `dir`, with the manifest.
pub fn generate(dir: &Path, shard_mib: &[u64]) -> std::io::Result<Vec<RepoFile>> {
    std::fs::create_dir_all(dir)?;
    let mut files = vec![
        write_file(dir, "config.json", &mut |out| {
            out.write_all(br#"{"architectures":["LlamaForCausalLM"],"hidden_size":4096,"num_hidden_layers":32,"torch_dtype":"bfloat16"}"#)
        })?,
        write_file(dir, "tokenizer.json", &mut |out| {
            let vocab: Vec<String> = (0..20_000).map(|i| format!("\"t{i}\":{i}")).collect();
            write!(
                out,
                r#"{{"model":{{"type":"BPE","vocab":{{{}}}}}}}"#,
                vocab.join(",")
            )
        })?,
    ];
    let count = shard_mib.len();
    for (i, mib) in shard_mib.iter().enumerate() {
        let path = format!("model-{:05}-of-{count:05}.safetensors", i + 1);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ (i as u64 + 1);
        files.push(write_file(dir, &path, &mut |out| {
            write_shard(out, i, mib << 20, &mut seed)
        })?);
    }
    let mut manifest = String::new();
    for f in &files {
        manifest.push_str(&format!("{} {} {}\n", f.path, f.size, f.sha256));
    }
    std::fs::write(dir.join("manifest.txt"), manifest)?;
    Ok(files)
}

/// The files `manifest.txt` in `dir` lists.
pub fn read_manifest(dir: &Path) -> std::io::Result<Vec<RepoFile>> {
    let text = std::fs::read_to_string(dir.join("manifest.txt"))?;
    text.lines()
        .map(|line| {
            let mut parts = line.split(' ');
            match (parts.next(), parts.next().map(str::parse), parts.next()) {
                (Some(path), Some(Ok(size)), Some(sha256)) => Ok(RepoFile {
                    path: path.to_owned(),
                    size,
                    sha256: sha256.to_owned(),
                }),
                _ => Err(std::io::Error::other(format!("bad manifest line: {line}"))),
            }
        })
        .collect()
}

/// A writer that hashes what passes through it and counts it.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_file(
    dir: &Path,
    path: &str,
    content: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<RepoFile> {
    let mut out = Hashing {
        inner: BufWriter::with_capacity(1 << 20, File::create(dir.join(path))?),
        hasher: Sha256::new(),
        size: 0,
    };
    content(&mut out)?;
    out.flush()?;
    let sha256 = out
        .hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(RepoFile {
        path: path.to_owned(),
        size: out.size,
        sha256,
    })
}

/// A safetensors file of about `bytes` bytes holding one BF16 tensor of pseudo-random data.
fn write_shard(
    out: &mut dyn Write,
    index: usize,
    bytes: u64,
    seed: &mut u64,
) -> std::io::Result<()> {
    let columns = 4096u64;
    let rows = (bytes / (2 * columns)).max(1);
    let data = rows * columns * 2;
    let header = format!(
        r#"{{"__metadata__":{{"format":"pt"}},"model.layers.{index}.weight":{{"dtype":"BF16","shape":[{rows},{columns}],"data_offsets":[0,{data}]}}}}"#
    );
    // The header is padded with spaces to a multiple of 8, as safetensors writers do.
    let padded = header.len().div_ceil(8) * 8;
    out.write_all(&(padded as u64).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    out.write_all(&vec![b' '; padded - header.len()])?;
    let mut block = vec![0u8; 1 << 20];
    let mut left = data;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            // xorshift64*: fast, and incompressible enough for a transfer benchmark.
            *seed ^= *seed >> 12;
            *seed ^= *seed << 25;
            *seed ^= *seed >> 27;
            word.copy_from_slice(&seed.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}
