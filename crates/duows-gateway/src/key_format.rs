//! The shape of an API key: `dwk_<8-char id>_<43 base64url chars>`. The id is public (it
//! names the key in lists and logs); the rest is 32 random bytes. Only the SHA-256 of the
//! whole key is ever stored.

use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// What every key starts with.
pub const KEY_SCHEME: &str = "dwk_";
/// Length of the public id.
pub const ID_LEN: usize = 8;
/// Length of the secret part: 32 bytes in unpadded base64url.
const SECRET_LEN: usize = 43;

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A fresh random public id.
pub fn new_id() -> String {
    let mut rng = rand::rng();
    (0..ID_LEN)
        .map(|_| char::from(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())]))
        .collect()
}

/// A whole key for `id`, with 32 fresh random bytes.
pub fn new_key(id: &str) -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    format!("{KEY_SCHEME}{id}_{}", base64url(&secret))
}

/// The public prefix shown in lists, `dwk_<id>`.
pub fn prefix(id: &str) -> String {
    format!("{KEY_SCHEME}{id}")
}

/// The public id of a presented key, if it has a key's shape.
pub fn parse_id(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix(KEY_SCHEME)?;
    if rest.len() != ID_LEN + 1 + SECRET_LEN || !rest.is_ascii() {
        return None;
    }
    let (id, secret) = rest.split_at(ID_LEN);
    let secret = secret.strip_prefix('_')?;
    let id_ok = id.bytes().all(|b| ID_ALPHABET.contains(&b));
    let secret_ok = secret.bytes().all(|b| BASE64URL.contains(&b));
    (id_ok && secret_ok).then_some(id)
}

/// Lower-case hex SHA-256 of the whole key, as stored.
pub fn hash_hex(key: &str) -> [u8; 64] {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = [0u8; 64];
    for (i, byte) in digest.iter().enumerate() {
        out[2 * i] = HEX[usize::from(byte >> 4)];
        out[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Unpadded base64url.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64URL[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn keys_have_a_public_id_and_parse_back() {
        let id = new_id();
        assert_eq!(id.len(), ID_LEN);
        let key = new_key(&id);
        assert_eq!(key.len(), 4 + 8 + 1 + 43);
        assert_eq!(parse_id(&key), Some(id.as_str()));
        assert_ne!(new_key(&id), key, "random");
        assert_eq!(parse_id("dwk_short"), None);
        assert_eq!(parse_id(&key.replace("dwk_", "xyz_")), None);
        assert_eq!(parse_id(&format!("{key}x")), None);
        let mut bad = key.clone();
        bad.replace_range(12..13, "!");
        assert_eq!(parse_id(&bad), None);
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            std::str::from_utf8(&hash_hex("abc")).expect("ascii"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
