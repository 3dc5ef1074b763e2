//! Join tokens and node keys: 32 random bytes from the OS, hex, with a prefix that says what
//! they are (`dwj_` a join token, `dwn_` a node key). Only their SHA-256 hash is kept; a
//! presented value is compared with the hash in constant time.

use sha2::{Digest, Sha256};

/// A fresh random secret with `prefix`.
pub fn new_secret(prefix: &str) -> std::io::Result<String> {
    let random = duows_base::secret::Secret::random()?;
    Ok(format!("{prefix}{}", random.expose()))
}

/// The hash kept at rest (hex SHA-256).
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `presented` hashes to `stored`, compared in constant time.
pub fn secret_matches(presented: &str, stored: &str) -> bool {
    duows_base::access::constant_time_eq(hash_secret(presented).as_bytes(), stored.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_match_only_their_hash() {
        let a = new_secret("dwj_").expect("random");
        let b = new_secret("dwj_").expect("random");
        assert!(a.starts_with("dwj_") && a.len() == 4 + 64, "{a}");
        assert_ne!(a, b);
        let stored = hash_secret(&a);
        assert!(!stored.contains(&a[4..]));
        assert!(secret_matches(&a, &stored));
        assert!(!secret_matches(&b, &stored));
        assert!(!secret_matches("", &stored));
    }
}
