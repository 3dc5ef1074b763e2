//! Request bodies: read within the size limit, parsed once (JSON syntax, `model`, and the
//! OpenAI parameters of [`crate::params`]), and given the upstream's model name by splicing
//! bytes, so every other field reaches the engine exactly as sent.

use crate::errors::{ErrorCode, OpenAiError};
use crate::model_routes::Endpoint;
use crate::params::{self, Body as Fields};
use axum::body::Body;
use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// Reads and drops the rest of an oversized body, so a client that sends its whole body
/// before reading (most do) receives the 413 instead of a broken connection. Bounded: at
/// most three more times the limit and ten seconds, then the connection is dropped.
async fn drain(stream: &mut axum::body::BodyDataStream, limit: usize) {
    let budget = limit.saturating_mul(3);
    let discard = async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > budget {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), discard).await;
}

/// Reads a whole body of at most `limit` bytes.
pub(crate) async fn read(
    body: Body,
    limit: usize,
    declared: Option<u64>,
) -> Result<Bytes, OpenAiError> {
    let too_large = || {
        OpenAiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            format!("the request body is larger than this gateway accepts ({limit} bytes)"),
        )
    };
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit as u64) {
        drain(&mut stream, limit).await;
        return Err(too_large());
    }
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            OpenAiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BodyUnreadable,
                format!("the request body could not be read: {e}"),
            )
        })?;
        total += chunk.len();
        if total > limit {
            drain(&mut stream, limit).await;
            return Err(too_large());
        }
        match (&mut first, &mut rest) {
            (None, _) => first = Some(chunk),
            (Some(head), None) => {
                let mut buffer =
                    BytesMut::with_capacity(declared.map_or(total * 2, |n| n as usize));
                buffer.extend_from_slice(head);
                buffer.extend_from_slice(&chunk);
                rest = Some(buffer);
            }
            (Some(_), Some(buffer)) => buffer.extend_from_slice(&chunk),
        }
    }
    Ok(match rest {
        Some(buffer) => buffer.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// What the gateway needs from a request body.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The `model` asked for.
    pub model: String,
    /// Where the `model` value (with its quotes) lies in the body.
    model_span: std::ops::Range<usize>,
    /// Whether `"stream": true`.
    pub stream: bool,
}

/// Checks that `body` is a JSON object with a string `model` and valid parameters for
/// `endpoint`.
pub(crate) fn parse(body: &[u8], endpoint: Endpoint) -> Result<Parsed, OpenAiError> {
    let invalid = |message: String| {
        OpenAiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidJson, message)
    };
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(invalid(
            "the request body must be a JSON object, like {\"model\": \"…\", \"messages\": […]}"
                .into(),
        ));
    }
    let head: Fields<'_> = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the request body is not valid JSON: {e}")))?;
    let missing = || {
        OpenAiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MissingModel,
            "the request needs a `model`: a string naming one of the models of `GET /v1/models`",
        )
        .with_param("model")
    };
    let raw = head.model.ok_or_else(missing)?;
    let model: String = serde_json::from_str(raw.get()).map_err(|_| missing())?;
    let start = (raw.get().as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
    let model_span = start..start + raw.get().len();
    if body.get(model_span.clone()) != Some(raw.get().as_bytes()) {
        // A raw value always borrows from the body; anything else is a bug, not bad input.
        return Err(invalid("the request body could not be read as JSON".into()));
    }
    params::check(&head, endpoint).map_err(|fault| {
        let code = if fault.missing {
            ErrorCode::MissingParameter
        } else {
            ErrorCode::InvalidParameter
        };
        OpenAiError::new(StatusCode::BAD_REQUEST, code, fault.message).with_param(fault.param)
    })?;
    let stream = head.streams();
    Ok(Parsed {
        model,
        model_span,
        stream,
    })
}

/// `body` with the `model` value replaced by `literal` (a JSON string); every other byte as
/// the client sent it.
pub(crate) fn with_model(body: &Bytes, parsed: &Parsed, literal: &Bytes) -> Bytes {
    let span = parsed.model_span.clone();
    if body[span.clone()] == literal[..] {
        return body.clone();
    }
    let mut out = BytesMut::with_capacity(body.len() - span.len() + literal.len());
    out.extend_from_slice(&body[..span.start]);
    out.extend_from_slice(literal);
    out.extend_from_slice(&body[span.end..]);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: Endpoint = Endpoint::ChatCompletions;
    const COMPLETIONS: Endpoint = Endpoint::Completions;

    #[test]
    fn model_is_replaced_and_nothing_else_changes() {
        let body = Bytes::from_static(
            br#"  {"temperature": 0.70, "model" : "duo-chat", "messages":[{"role":"user","content":"hi \u00e9"}], "stream": true, "x": 1e400}"#,
        );
        // 1e400 does not fit an f64: it must still pass through untouched.
        let parsed = parse(&body, CHAT).expect("parses");
        assert_eq!(parsed.model, "duo-chat");
        assert!(parsed.stream);
        let out = with_model(&body, &parsed, &Bytes::from_static(b"\"Qwen/Qwen3-8B\""));
        assert_eq!(
            std::str::from_utf8(&out).expect("utf-8"),
            r#"  {"temperature": 0.70, "model" : "Qwen/Qwen3-8B", "messages":[{"role":"user","content":"hi \u00e9"}], "stream": true, "x": 1e400}"#
        );
        let same = with_model(
            &out,
            &parse(&out, CHAT).expect("parses"),
            &Bytes::from_static(b"\"Qwen/Qwen3-8B\""),
        );
        assert_eq!(same.as_ptr(), out.as_ptr(), "no copy when nothing changes");
    }

    #[test]
    fn escaped_model_names_are_read() {
        let parsed =
            parse(br#"{"model":"duo\u002dchat","prompt":"x"}"#, COMPLETIONS).expect("parses");
        assert_eq!(parsed.model, "duo-chat");
        assert!(!parsed.stream);
    }

    #[test]
    fn bad_bodies_say_where() {
        let parse = |body: &[u8]| parse(body, CHAT);
        let e = parse(b"{\n  \"model\": \"x\",\n  oops\n}").expect_err("broken");
        assert_eq!(e.code, ErrorCode::InvalidJson);
        assert!(e.message.contains("line 3 column 3"), "{}", e.message);
        assert_eq!(
            parse(b"[1]").expect_err("array").code,
            ErrorCode::InvalidJson
        );
        assert_eq!(
            parse(b"{} x").expect_err("trailing").code,
            ErrorCode::InvalidJson
        );
        assert_eq!(
            parse(b"{}").expect_err("no model").code,
            ErrorCode::MissingModel
        );
        assert_eq!(
            parse(br#"{"model":3}"#).expect_err("number").code,
            ErrorCode::MissingModel
        );
        assert_eq!(
            parse(br#"{"model":"a","model":"b"}"#)
                .expect_err("twice")
                .code,
            ErrorCode::InvalidJson
        );
        let e = parse(br#"{"model":"a","messages":[{"role":"user","content":"x"}],"top_p":5}"#)
            .expect_err("top_p");
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        assert_eq!(e.param.as_deref(), Some("top_p"));
        assert_eq!(
            parse(br#"{"model":"a"}"#).expect_err("no messages").code,
            ErrorCode::MissingParameter
        );
    }
}
