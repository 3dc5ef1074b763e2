//! Making a request fit an engine's context. GitLab's AI gateway asks Duo Chat for
//! `max_tokens: 8192` whatever the model; an engine whose context minus the prompt is smaller
//! rejects that with 400, and GitLab shows the user a bare error. When the engine's answer
//! says how long its context is and how long the prompt was, the gateway lowers `max_tokens`
//! (or `max_completion_tokens`) to what fits and sends the request once more.
//!
//! The messages read, as the engines write them:
//! - vLLM up to 0.10: `This model's maximum context length is 4096 tokens. However, you
//!   requested 8292 tokens (100 in the messages, 8192 in the completion).`
//! - vLLM from 0.11: `'max_tokens' or 'max_completion_tokens' is too large: 8192. This model's
//!   maximum context length is 4096 tokens and your request has 105 input tokens
//!   (8192 > 4096 - 105).`
//! - llama.cpp's server: `the request exceeds the available context size (4096 tokens), try
//!   increasing it` carries no prompt length, so it is not retried.

use bytes::Bytes;
use serde_json::Value;

/// The fields that bound the answer's length, in the order they are honoured.
const LENGTH_FIELDS: [&str; 2] = ["max_completion_tokens", "max_tokens"];

/// The answer length the request asked for, if any.
pub(crate) fn requested_max_tokens(body: &[u8]) -> Option<u64> {
    let value: Value = serde_json::from_slice(body).ok()?;
    LENGTH_FIELDS
        .iter()
        .find_map(|field| value.get(field).and_then(Value::as_u64))
}

/// The largest answer length that fits, read from the engine's error `message`, when it is
/// smaller than `requested` and at least 1.
pub(crate) fn fitting_max_tokens(message: &str, requested: u64) -> Option<u64> {
    let context = number_after(message, "maximum context length is ")?;
    let prompt = number_after(message, "your request has ")
        .or_else(|| number_before(message, " in the messages"))?;
    let fits = context.checked_sub(prompt)?;
    (fits >= 1 && fits < requested).then_some(fits)
}

/// The request body with its answer length set to `max_tokens` (every length field it has).
pub(crate) fn with_max_tokens(body: &[u8], max_tokens: u64) -> Option<Bytes> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object_mut()?;
    let mut changed = false;
    for field in LENGTH_FIELDS {
        if let Some(slot) = object.get_mut(field).filter(|v| v.is_u64()) {
            *slot = Value::from(max_tokens);
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    serde_json::to_vec(&value).ok().map(Bytes::from)
}

/// The whole number that follows `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<u64> {
    let start = text.find(marker)? + marker.len();
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The whole number that ends just before `marker` in `text`.
fn number_before(text: &str, marker: &str) -> Option<u64> {
    let end = text.find(marker)?;
    let digits: String = text[..end]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vllm_messages_of_both_generations_give_the_room_left() {
        let old = "This model's maximum context length is 4096 tokens. However, you requested 8292 tokens (100 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.";
        assert_eq!(fitting_max_tokens(old, 8192), Some(3996));
        let new = "'max_tokens' or 'max_completion_tokens' is too large: 8192. This model's maximum context length is 4096 tokens and your request has 105 input tokens (8192 > 4096 - 105). None";
        assert_eq!(fitting_max_tokens(new, 8192), Some(3991));
        let commas = "This model's maximum context length is 32,768 tokens and your request has 1,024 input tokens";
        assert_eq!(fitting_max_tokens(commas, 40_000), Some(31_744));
    }

    #[test]
    fn nothing_to_do_when_the_prompt_alone_is_too_long_or_the_message_is_another() {
        let full = "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens (5000 in the messages, 4000 in the completion).";
        assert_eq!(
            fitting_max_tokens(full, 4000),
            None,
            "the prompt does not fit"
        );
        let llama =
            "the request exceeds the available context size (4096 tokens), try increasing it";
        assert_eq!(fitting_max_tokens(llama, 8192), None);
        assert_eq!(fitting_max_tokens("invalid temperature", 8192), None);
    }

    #[test]
    fn the_body_keeps_everything_but_the_length() {
        let body = br#"{"model":"duo-chat","max_tokens":8192,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
        assert_eq!(requested_max_tokens(body), Some(8192));
        let lowered = with_max_tokens(body, 3991).expect("rewritten");
        let value: Value = serde_json::from_slice(&lowered).expect("json");
        assert_eq!(value["max_tokens"], 3991);
        assert_eq!(value["stream"], true);
        assert_eq!(value["messages"][0]["content"], "hi");
        assert_eq!(with_max_tokens(br#"{"model":"m"}"#, 10), None);
        assert_eq!(requested_max_tokens(br#"{"model":"m"}"#), None);
    }
}
