//! JSON values as the parameter checks see them, built during the one pass that reads a
//! request body: types, numbers, and the text of strings that need it, borrowed from the
//! body. Nothing here is ever written back: the body goes upstream as the client sent it.
//!
//! Long strings that needed unescaping (prompts, code) keep only their type, so reading a
//! message costs no copy of its text. A `prompt` of token ids is summed up, never stored.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The longest unescaped string whose text is kept (roles, `type` values, choices).
const KEEP_TEXT: usize = 64;

/// A JSON value, reduced to what the checks need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    /// An integer literal (any that fits i64 or u64).
    Int(i128),
    /// A number with a fraction or exponent, or too large for an integer.
    Float(f64),
    /// A string, with its text when it borrowed from the body or is short.
    Str(Option<Cow<'a, str>>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// The value of `key`, when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as an integer: `5`, or `5.0` as lenient parsers take it.
    pub fn integer(&self) -> Option<i128> {
        match *self {
            Json::Int(n) => Some(n),
            Json::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i128),
            _ => None,
        }
    }

    /// The value as a number.
    pub fn number(&self) -> Option<f64> {
        match *self {
            Json::Int(n) => Some(n as f64),
            Json::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The text of a string, when kept.
    pub fn text(&self) -> Option<&str> {
        match self {
            Json::Str(Some(text)) => Some(text),
            _ => None,
        }
    }

    pub fn is_str(&self) -> bool {
        matches!(self, Json::Str(_))
    }
}

/// How a value reads in an error message: `-5`, `"yes"`, `an array`.
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Int(n) => write!(f, "{n}"),
            Json::Float(x) => write!(f, "{x}"),
            Json::Str(Some(text)) if text.chars().count() <= 40 => write!(f, "{text:?}"),
            Json::Str(_) => f.write_str("a string"),
            Json::Array(_) => f.write_str("an array"),
            Json::Object(_) => f.write_str("an object"),
        }
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::Int(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Json::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::Str(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::Str(
            (v.len() <= KEEP_TEXT).then(|| Cow::Owned(v.to_owned())),
        ))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<Json<'de>>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value = map.next_value::<Json<'de>>()?;
            fields.push((key, value));
        }
        Ok(Json::Object(fields))
    }
}

/// An object key, borrowed from the body unless it had escapes (serde's own `Cow` always
/// copies).
struct Key<'a>(Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Json<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// What a completion `prompt` holds, summed up without storing token lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prompt<'a> {
    /// Not an array: a string is fine, anything else is not.
    Value(Json<'a>),
    /// An array, summed up.
    List(PromptList),
}

/// A `prompt` array: how many items of each kind, and the first item that is none of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PromptList {
    pub len: usize,
    /// Strings.
    pub texts: usize,
    /// Token ids (integers ≥ 0).
    pub tokens: usize,
    /// Arrays of token ids.
    pub token_lists: usize,
    /// Where the first bad item is (`[3]` or `[3][7]`) and what it is.
    pub bad: Option<(String, String)>,
}

/// One item of a `prompt` array.
enum PromptItem {
    Text,
    Token,
    /// An array of token ids, or the first bad id in it: its index and what it is.
    Tokens(Option<(usize, String)>),
    Other(String),
}

/// Whether a value is a token id, described when it is not.
fn token_fault(value: &Json<'_>) -> Option<String> {
    match value {
        Json::Int(n) if *n >= 0 => None,
        other => Some(other.to_string()),
    }
}

struct PromptItemVisitor;

impl<'de> Visitor<'de> for PromptItemVisitor {
    type Value = PromptItem;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prompt item")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PromptItem::Other(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(match token_fault(&Json::Int(v.into())) {
            None => PromptItem::Token,
            Some(bad) => PromptItem::Other(bad),
        })
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(PromptItem::Token)
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PromptItem::Other(Json::Float(v).to_string()))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(PromptItem::Text)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(PromptItem::Other("null".into()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut bad = None;
        let mut at = 0;
        while let Some(id) = seq.next_element::<TokenId>()? {
            if let (None, Some(what)) = (&bad, id.0) {
                bad = Some((at, what));
            }
            at += 1;
        }
        Ok(PromptItem::Tokens(bad))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(PromptItem::Other("an object".into()))
    }
}

impl<'de> Deserialize<'de> for PromptItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PromptItemVisitor)
    }
}

/// One item of a token list: `None` when it is a token id, else what it is.
struct TokenId(Option<String>);

impl<'de> Deserialize<'de> for TokenId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Json::deserialize(deserializer)?;
        Ok(TokenId(token_fault(&value)))
    }
}

struct PromptVisitor;

impl<'de> Visitor<'de> for PromptVisitor {
    type Value = Prompt<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prompt")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = PromptList::default();
        while let Some(item) = seq.next_element::<PromptItem>()? {
            let at = list.len;
            list.len += 1;
            let bad = match item {
                PromptItem::Text => {
                    list.texts += 1;
                    None
                }
                PromptItem::Token => {
                    list.tokens += 1;
                    None
                }
                PromptItem::Tokens(None) => {
                    list.token_lists += 1;
                    None
                }
                PromptItem::Tokens(Some((inner, what))) => Some((format!("[{at}][{inner}]"), what)),
                PromptItem::Other(what) => Some((format!("[{at}]"), what)),
            };
            if list.bad.is_none() {
                list.bad = bad;
            }
        }
        Ok(Prompt::List(list))
    }
    // Everything else is kept as a plain value.
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Prompt::Value(Json::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        JsonVisitor.visit_i64(v).map(Prompt::Value)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        JsonVisitor.visit_u64(v).map(Prompt::Value)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        JsonVisitor.visit_f64(v).map(Prompt::Value)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        JsonVisitor.visit_borrowed_str(v).map(Prompt::Value)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        JsonVisitor.visit_str(v).map(Prompt::Value)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Prompt::Value(Json::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Prompt::Value(Json::Object(Vec::new())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Prompt<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PromptVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json<'_> {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn values_keep_types_numbers_and_short_text() {
        assert_eq!(json("-5"), Json::Int(-5));
        assert_eq!(json("5.0").integer(), Some(5));
        assert_eq!(json("5.5").integer(), None);
        assert_eq!(
            json("18446744073709551615").integer(),
            Some(u64::MAX.into())
        );
        assert_eq!(json(r#""tool""#).text(), Some("tool"));
        assert_eq!(json(r#""t\u006fol""#).text(), Some("tool"));
        let long = format!("\"{}\\n\"", "x".repeat(100));
        assert_eq!(
            json(&long),
            Json::Str(None),
            "long escaped text is not copied"
        );
        let object = json(r#"{"role":"user","role":"tool","n":[1,{}]}"#);
        assert_eq!(object.get("role").and_then(Json::text), Some("tool"));
        assert_eq!(object.to_string(), "an object");
        assert_eq!(json(r#""yes""#).to_string(), r#""yes""#);
    }

    #[test]
    fn prompts_are_summed_up() {
        fn prompt(text: &str) -> Prompt<'_> {
            serde_json::from_str(text).expect("valid")
        }
        let Prompt::List(list) = prompt(r#"[[1,2],[3],"x",[4,-1],7,null]"#) else {
            panic!("a list")
        };
        assert_eq!(
            (list.len, list.texts, list.tokens, list.token_lists),
            (6, 1, 1, 2)
        );
        assert_eq!(list.bad, Some(("[3][1]".into(), "-1".into())));
        assert_eq!(prompt("null"), Prompt::Value(Json::Null));
        assert_eq!(
            prompt(r#""hi""#),
            Prompt::Value(Json::Str(Some("hi".into())))
        );
    }
}
