//! Error answers of engines (status 4xx or 5xx, streamed requests too) on their way to the
//! client. A clean OpenAI error (`{"error":{"message":…}}`, or vLLM's
//! `{"object":"error","message":…}`) passes as the engine sent it: clients rely on messages
//! such as vLLM's "This model's maximum context length is …". Anything else — a Python
//! traceback, file paths of the engine's install, FastAPI's `{"detail":…}`, plain text, an
//! empty body — never reaches the client: it gets an OpenAI error with the same status, a
//! short cleaned message and the request id, and the engine's whole answer goes to the
//! gateway's log (tracing and the request log) under that id.

use std::time::Duration;

use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::Value;

use crate::errors::{ErrorCode, OpenAiError};
use crate::relay::UpstreamBody;

/// The most of an error answer read; a longer one is no clean error.
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;
/// The longest message given to the client in place of the engine's.
const MAX_MESSAGE_CHARS: usize = 300;
/// Marks a Python traceback.
const TRACEBACK: &str = "Traceback (most recent call last)";
/// Folders that start the file paths of an install.
const PATH_ROOTS: [&str; 17] = [
    "/home/",
    "/usr/",
    "/opt/",
    "/root/",
    "/tmp/",
    "/var/",
    "/srv/",
    "/mnt/",
    "/data/",
    "/nix/",
    "/etc/",
    "/app/",
    "/proc/",
    "/private/",
    "/workspace/",
    "/Users/",
    "/Library/",
];

/// An engine's error answer, read whole (or up to [`MAX_ERROR_BODY`]).
pub(crate) struct ErrorBody {
    pub bytes: Bytes,
    /// Whether the answer ended within the limit and without breaking off.
    pub complete: bool,
}

/// Reads an error answer, each chunk within `idle`.
pub(crate) async fn read(
    first: Option<Bytes>,
    mut body: UpstreamBody,
    idle: Duration,
) -> ErrorBody {
    let mut buffer = BytesMut::new();
    let Some(first) = first else {
        return ErrorBody {
            bytes: Bytes::new(),
            complete: true,
        };
    };
    buffer.extend_from_slice(&first);
    let complete = loop {
        if buffer.len() > MAX_ERROR_BODY {
            buffer.truncate(MAX_ERROR_BODY);
            break false;
        }
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => buffer.extend_from_slice(&chunk),
            Ok(None) => break true,
            Ok(Some(Err(_))) | Err(_) => break false,
        }
    };
    ErrorBody {
        bytes: buffer.freeze(),
        complete,
    }
}

/// What the client gets of an engine's error answer.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// A clean OpenAI error: passed on byte for byte.
    PassOn,
    /// This error instead; the engine's answer goes to the log.
    Replace(OpenAiError),
}

/// Judges an engine's error answer with `status`, from `deployment`, for `request_id`.
pub(crate) fn judge(
    status: StatusCode,
    body: &ErrorBody,
    deployment: &str,
    request_id: &str,
) -> Verdict {
    let parsed: Option<Value> = body
        .complete
        .then(|| serde_json::from_slice(&body.bytes).ok())
        .flatten();
    let (message, openai_shaped) = match &parsed {
        Some(value) => message_of(value),
        None => (None, false),
    };
    let unfit = match &parsed {
        Some(value) => any_string(value, &|s| unfit(s)),
        None => true,
    };
    if openai_shaped && !unfit {
        return Verdict::PassOn;
    }
    let said = message.as_deref().and_then(cleaned).unwrap_or_else(|| {
        format!(
            "the engine answered {} {} without a usable error message",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_owned()
    });
    let code = if status.is_server_error() {
        ErrorCode::UpstreamError
    } else {
        ErrorCode::UpstreamRejected
    };
    Verdict::Replace(OpenAiError::new(
        status,
        code,
        format!(
            "{said} (deployment `{deployment}`; the gateway log has the details under request id \
             {request_id})"
        ),
    ))
}

/// The message of an error body, and whether the body has OpenAI's (or vLLM's) error shape.
fn message_of(value: &Value) -> (Option<String>, bool) {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    if let Some(message) = value.pointer("/error/message").and_then(text) {
        return (Some(message), true);
    }
    if value.get("object").and_then(Value::as_str) == Some("error") {
        if let Some(message) = value.get("message").and_then(text) {
            return (Some(message), true);
        }
    }
    // Other shapes: `{"error": "…"}`, `{"message": "…"}`, FastAPI's `{"detail": …}`.
    let other = value
        .get("error")
        .and_then(text)
        .or_else(|| value.get("message").and_then(text))
        .or_else(|| value.get("detail").and_then(text))
        .or_else(|| {
            let first = value.pointer("/detail/0")?;
            let msg = first.get("msg")?.as_str()?;
            let place: Vec<String> = first
                .get("loc")?
                .as_array()?
                .iter()
                .skip(1)
                .map(|p| p.to_string().trim_matches('"').to_owned())
                .collect();
            Some(format!("{}: {msg}", place.join(".")))
        });
    (other, false)
}

/// Whether any string in `value` passes `test`.
fn any_string(value: &Value, test: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => test(s),
        Value::Array(items) => items.iter().any(|v| any_string(v, test)),
        Value::Object(fields) => fields.iter().any(|(k, v)| test(k) || any_string(v, test)),
        _ => false,
    }
}

/// Whether a text shows a traceback or file paths.
pub(crate) fn unfit(text: &str) -> bool {
    text.contains(TRACEBACK) || text.contains("File \"") || text.split_whitespace().any(is_path)
}

/// Whether a word is a file path of the engine's machine.
fn is_path(word: &str) -> bool {
    let word = word.trim_matches(|c: char| "\"'`()[]{},;".contains(c));
    let bytes = word.as_bytes();
    let windows = bytes.len() > 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/');
    windows
        || word.contains("site-packages")
        || word.contains("dist-packages")
        || word.contains(".py:")
        || (word.ends_with(".py") && word.contains('/'))
        || PATH_ROOTS.iter().any(|root| word.starts_with(root))
}

/// A message fit for clients: no traceback, paths replaced by `<path>`, one short line;
/// `None` when nothing is left.
fn cleaned(message: &str) -> Option<String> {
    let line = match message.find(TRACEBACK) {
        // A traceback ends with the exception: `ValueError: …`.
        Some(0) => message.lines().rev().find(|l| !l.trim().is_empty())?,
        Some(at) => message[..at].lines().next()?,
        None => message.lines().find(|l| !l.trim().is_empty())?,
    };
    let line = line.split("File \"").next().unwrap_or("");
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| if is_path(w) { "<path>" } else { w })
        .collect();
    let mut text = words.join(" ");
    if text.chars().count() > MAX_MESSAGE_CHARS {
        text = text.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
    }
    let text = text.trim_end_matches([':', ' ']).to_owned();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(status: u16, body: &str) -> Verdict {
        let body = ErrorBody {
            bytes: Bytes::from(body.to_owned()),
            complete: true,
        };
        judge(
            StatusCode::from_u16(status).expect("status"),
            &body,
            "qwen",
            "req-42",
        )
    }

    fn replaced(status: u16, body: &str) -> OpenAiError {
        match verdict(status, body) {
            Verdict::Replace(error) => error,
            Verdict::PassOn => panic!("passed on: {body}"),
        }
    }

    #[test]
    fn clean_openai_and_vllm_errors_pass_on() {
        for body in [
            r#"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}"#,
            r#"{"error":{"message":"The model `Qwen/Qwen3-8B` does not exist.","type":"NotFoundError","param":"model","code":404}}"#,
        ] {
            assert!(matches!(verdict(400, body), Verdict::PassOn), "{body}");
        }
    }

    #[test]
    fn tracebacks_and_paths_are_replaced_and_the_rest_kept() {
        let traceback = r#"{"error":{"message":"Traceback (most recent call last):\n  File \"/home/ann/.local/lib/python3.12/site-packages/llama_cpp/server/app.py\", line 4, in create\n    x = body.top_p * 2\nTypeError: unsupported operand type(s) for *: 'NoneType' and 'int'","type":"internal_server_error"}}"#;
        let e = replaced(500, traceback);
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code, ErrorCode::UpstreamError);
        assert!(
            e.message.starts_with("TypeError: unsupported operand"),
            "{}",
            e.message
        );
        assert!(e.message.contains("req-42") && e.message.contains("`qwen`"));
        assert!(!e.message.contains("/home") && !e.message.contains("site-packages"));

        let path = r#"{"object":"error","message":"cannot open /opt/models/qwen/tokenizer.json: denied","code":400}"#;
        let e = replaced(400, path);
        assert_eq!(e.code, ErrorCode::UpstreamRejected);
        assert!(
            e.message.starts_with("cannot open <path> denied"),
            "{}",
            e.message
        );

        let e = replaced(
            422,
            r#"{"detail":[{"loc":["body","top_p"],"msg":"Input should be a valid number","type":"float_parsing"}]}"#,
        );
        assert!(
            e.message
                .starts_with("top_p: Input should be a valid number"),
            "{}",
            e.message
        );
        let e = replaced(400, "");
        assert!(
            e.message.starts_with("the engine answered 400 Bad Request"),
            "{}",
            e.message
        );
        let e = replaced(500, "Internal Server Error");
        assert!(
            e.message.starts_with("the engine answered 500"),
            "{}",
            e.message
        );
    }

    #[test]
    fn paths_are_told_from_model_names_and_routes() {
        for word in [
            "/usr/lib/x.so",
            "C:\\Users\\ann",
            "\"/home/a/b.py\",",
            "app.py:12",
            "x/site-packages/y",
        ] {
            assert!(is_path(word), "{word}");
        }
        for word in ["Qwen/Qwen3-8B", "/v1/chat/completions", "and/or", "4096"] {
            assert!(!is_path(word), "{word}");
        }
    }
}
