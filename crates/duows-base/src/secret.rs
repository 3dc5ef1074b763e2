//! A secret value (an engine's API key, a gateway key): it prints as `<hidden>` in `Debug`,
//! `Display` and serialised output, so it cannot leak into a log, a plan shown to the user
//! or an API answer. [`Secret::expose`] is the one way to read it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret value: never printed, logged or serialised.
#[derive(Clone, PartialEq, Eq, ts_rs::TS)]
#[ts(type = "string")]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A fresh random key: 32 bytes from the OS, hex.
    pub fn random() -> std::io::Result<Self> {
        let mut bytes = [0u8; 32];
        std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// The value, for the one place that needs it (a child's environment, an auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<hidden>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_its_value() {
        let secret = Secret::new("sk-123");
        assert_eq!(format!("{secret} {secret:?}"), "<hidden> <hidden>");
        assert_eq!(
            serde_json::to_string(&secret).expect("json"),
            "\"<hidden>\""
        );
        assert_eq!(secret.expose(), "sk-123");
        let read: Secret = serde_json::from_str("\"sk-456\"").expect("json");
        assert_eq!(read.expose(), "sk-456");
        let random = Secret::random().expect("random");
        assert_eq!(random.expose().len(), 64);
        assert_ne!(random, Secret::random().expect("random"));
    }
}
