//! The OpenAI parameters checked before a completion request goes upstream, so an engine
//! never receives a value it would mishandle: `max_tokens: -5` (read as "no limit" by
//! llama.cpp), `top_p: 5`, `stop: 5`, `prompt: null`, a tool message without content (500s
//! with a traceback). A bad value is answered with 400 in OpenAI's shape, naming the
//! parameter (`messages[2].content`).
//!
//! The rules are OpenAI's and vLLM's (`SamplingParams._verify_args`, the request models of
//! its OpenAI server). Where the two differ, the engine's wider rule wins, since refusing
//! what the engine serves well would only break clients: `stop` may hold more than OpenAI's
//! four strings, roles other than OpenAI's six pass (vLLM's custom roles), `top_k` and
//! `logprobs` take vLLM's -1. Upper bounds that depend on the engine's settings (`n`,
//! `top_logprobs`, `max_tokens` against the context) are left to the engine, whose clean
//! 400 reaches the client. Parameters not listed here pass unchecked (vLLM has many).
//! `null` counts as absent, as OpenAI's API takes it.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json_shape::{Json, Prompt};
use crate::model_routes::Endpoint;

/// The fields of a completion request that the gateway reads, in one pass over the body.
#[derive(Deserialize)]
pub(crate) struct Body<'a> {
    #[serde(borrow)]
    pub model: Option<&'a RawValue>,
    #[serde(borrow)]
    pub stream: Option<Json<'a>>,
    #[serde(borrow)]
    stream_options: Option<Json<'a>>,
    #[serde(borrow)]
    messages: Option<Json<'a>>,
    #[serde(borrow)]
    prompt: Option<Prompt<'a>>,
    #[serde(borrow)]
    prompt_embeds: Option<Json<'a>>,
    #[serde(borrow)]
    max_tokens: Option<Json<'a>>,
    #[serde(borrow)]
    max_completion_tokens: Option<Json<'a>>,
    #[serde(borrow)]
    temperature: Option<Json<'a>>,
    #[serde(borrow)]
    top_p: Option<Json<'a>>,
    #[serde(borrow)]
    n: Option<Json<'a>>,
    #[serde(borrow)]
    best_of: Option<Json<'a>>,
    #[serde(borrow)]
    stop: Option<Json<'a>>,
    #[serde(borrow)]
    presence_penalty: Option<Json<'a>>,
    #[serde(borrow)]
    frequency_penalty: Option<Json<'a>>,
    #[serde(borrow)]
    repetition_penalty: Option<Json<'a>>,
    #[serde(borrow)]
    seed: Option<Json<'a>>,
    #[serde(borrow)]
    logprobs: Option<Json<'a>>,
    #[serde(borrow)]
    top_logprobs: Option<Json<'a>>,
    #[serde(borrow)]
    top_k: Option<Json<'a>>,
    #[serde(borrow)]
    min_p: Option<Json<'a>>,
    #[serde(borrow)]
    logit_bias: Option<Json<'a>>,
    #[serde(borrow)]
    user: Option<Json<'a>>,
    #[serde(borrow)]
    echo: Option<Json<'a>>,
    #[serde(borrow)]
    suffix: Option<Json<'a>>,
    #[serde(borrow)]
    tools: Option<Json<'a>>,
    #[serde(borrow)]
    tool_choice: Option<Json<'a>>,
    #[serde(borrow)]
    parallel_tool_calls: Option<Json<'a>>,
    #[serde(borrow)]
    response_format: Option<Json<'a>>,
}

impl Body<'_> {
    /// Whether `"stream": true`.
    pub fn streams(&self) -> bool {
        self.stream == Some(Json::Bool(true))
    }
}

/// A parameter at fault.
#[derive(Debug, PartialEq)]
pub(crate) struct Fault {
    /// Its name, e.g. `top_p` or `messages[2].content`.
    pub param: String,
    /// What is wrong, for people.
    pub message: String,
    /// Whether it is missing (rather than wrong).
    pub missing: bool,
}

fn invalid(param: impl Into<String>, message: String) -> Fault {
    Fault {
        param: param.into(),
        message,
        missing: false,
    }
}

fn missing(param: impl Into<String>, message: String) -> Fault {
    Fault {
        param: param.into(),
        message,
        missing: true,
    }
}

type Check = Result<(), Fault>;

/// Checks the parameters of a request to `endpoint`; the first fault found.
pub(crate) fn check(body: &Body<'_>, endpoint: Endpoint) -> Check {
    let opt = |value: &Option<Json<'_>>, rule: &dyn Fn(&Json<'_>) -> Check| match value {
        Some(value) => rule(value),
        None => Ok(()),
    };
    match endpoint {
        Endpoint::ChatCompletions => {
            messages(body.messages.as_ref())?;
            opt(&body.logprobs, &|v| boolean("logprobs", v))?;
            opt(&body.top_logprobs, &|v| logprob_count("top_logprobs", v))?;
            opt(&body.tools, &tools)?;
            opt(&body.tool_choice, &tool_choice)?;
            opt(&body.parallel_tool_calls, &|v| {
                boolean("parallel_tool_calls", v)
            })?;
        }
        Endpoint::Completions => {
            prompt(body.prompt.as_ref(), body.prompt_embeds.is_some())?;
            opt(&body.logprobs, &|v| logprob_count("logprobs", v))?;
            opt(&body.best_of, &|v| integer("best_of", v, 1))?;
            opt(&body.echo, &|v| boolean("echo", v))?;
            opt(&body.suffix, &|v| string("suffix", v))?;
        }
    }
    opt(&body.stream, &|v| boolean("stream", v))?;
    opt(&body.stream_options, &|v| object("stream_options", v))?;
    if body.stream_options.is_some() && !body.streams() {
        return Err(invalid(
            "stream_options",
            "stream_options is only allowed with \"stream\": true".into(),
        ));
    }
    opt(&body.max_tokens, &|v| integer("max_tokens", v, 1))?;
    opt(&body.max_completion_tokens, &|v| {
        integer("max_completion_tokens", v, 1)
    })?;
    // OpenAI stops at 2; vLLM and llama.cpp take any temperature of 0 or more, and the
    // engine's wider rule wins here.
    opt(&body.temperature, &|v| {
        number("temperature", v, 0.0..=f64::MAX, "of 0 or more")
    })?;
    opt(&body.top_p, &|v| match v.number() {
        Some(p) if p > 0.0 && p <= 1.0 => Ok(()),
        _ => Err(invalid(
            "top_p",
            format!("top_p must be a number greater than 0 and at most 1, got {v}"),
        )),
    })?;
    opt(&body.n, &|v| integer("n", v, 1))?;
    opt(&body.stop, &stop)?;
    for (name, value) in [
        ("presence_penalty", &body.presence_penalty),
        ("frequency_penalty", &body.frequency_penalty),
    ] {
        opt(value, &|v| number(name, v, -2.0..=2.0, "from -2 to 2"))?;
    }
    opt(&body.repetition_penalty, &|v| match v.number() {
        Some(p) if p > 0.0 => Ok(()),
        _ => Err(invalid(
            "repetition_penalty",
            format!("repetition_penalty must be a number greater than 0, got {v}"),
        )),
    })?;
    opt(&body.seed, &|v| match v.integer() {
        Some(n) if i64::try_from(n).is_ok() => Ok(()),
        _ => Err(invalid(
            "seed",
            format!("seed must be an integer (64-bit), got {v}"),
        )),
    })?;
    opt(&body.top_k, &|v| match v.integer() {
        Some(k) if k >= -1 => Ok(()),
        _ => Err(invalid(
            "top_k",
            format!("top_k must be an integer: at least 1, or 0 or -1 for no limit; got {v}"),
        )),
    })?;
    opt(&body.min_p, &|v| {
        number("min_p", v, 0.0..=1.0, "from 0 to 1")
    })?;
    opt(&body.logit_bias, &logit_bias)?;
    opt(&body.user, &|v| string("user", v))?;
    opt(&body.response_format, &|v| {
        typed_object("response_format", v)
    })?;
    Ok(())
}

fn integer(name: &str, v: &Json<'_>, min: i128) -> Check {
    match v.integer() {
        Some(n) if n >= min => Ok(()),
        _ => Err(invalid(
            name,
            format!("{name} must be an integer of at least {min}, got {v}"),
        )),
    }
}

/// `logprobs` of a completion, `top_logprobs` of a chat: a count, or vLLM's -1 for all.
fn logprob_count(name: &str, v: &Json<'_>) -> Check {
    match v.integer() {
        Some(n) if n >= -1 => Ok(()),
        _ => Err(invalid(
            name,
            format!("{name} must be an integer of at least 0, got {v}"),
        )),
    }
}

fn number(name: &str, v: &Json<'_>, range: std::ops::RangeInclusive<f64>, said: &str) -> Check {
    match v.number() {
        Some(x) if range.contains(&x) => Ok(()),
        _ => Err(invalid(
            name,
            format!("{name} must be a number {said}, got {v}"),
        )),
    }
}

fn boolean(name: &str, v: &Json<'_>) -> Check {
    match v {
        Json::Bool(_) => Ok(()),
        _ => Err(invalid(
            name,
            format!("{name} must be true or false, got {v}"),
        )),
    }
}

fn string(name: &str, v: &Json<'_>) -> Check {
    match v {
        Json::Str(_) => Ok(()),
        _ => Err(invalid(name, format!("{name} must be a string, got {v}"))),
    }
}

fn object(name: &str, v: &Json<'_>) -> Check {
    match v {
        Json::Object(_) => Ok(()),
        _ => Err(invalid(name, format!("{name} must be an object, got {v}"))),
    }
}

/// An object with a string `type`, like `response_format` or a content part.
fn typed_object(name: &str, v: &Json<'_>) -> Check {
    object(name, v)?;
    match v.get("type") {
        Some(kind) if kind.is_str() => Ok(()),
        Some(kind) => Err(invalid(
            format!("{name}.type"),
            format!("{name}.type must be a string, got {kind}"),
        )),
        None => Err(missing(
            format!("{name}.type"),
            format!("{name} needs a `type`"),
        )),
    }
}

fn stop(v: &Json<'_>) -> Check {
    let empty = |param: String| {
        invalid(
            param.clone(),
            format!("{param} must not be an empty string"),
        )
    };
    match v {
        Json::Str(Some(text)) if text.is_empty() => Err(empty("stop".into())),
        Json::Str(_) => Ok(()),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::Str(Some(text)) if text.is_empty() => {
                        return Err(empty(format!("stop[{i}]")))
                    }
                    Json::Str(_) => {}
                    other => {
                        return Err(invalid(
                            format!("stop[{i}]"),
                            format!("stop[{i}] must be a string, got {other}"),
                        ))
                    }
                }
            }
            Ok(())
        }
        other => Err(invalid(
            "stop",
            format!("stop must be a string or an array of strings, got {other}"),
        )),
    }
}

fn logit_bias(v: &Json<'_>) -> Check {
    object("logit_bias", v)?;
    let Json::Object(fields) = v else {
        return Ok(());
    };
    for (token, bias) in fields {
        number(
            &format!("logit_bias.{token}"),
            bias,
            -100.0..=100.0,
            "from -100 to 100",
        )?;
    }
    Ok(())
}

fn prompt(value: Option<&Prompt<'_>>, has_embeds: bool) -> Check {
    const KINDS: &str =
        "a string, an array of strings, an array of token ids or an array of arrays of token ids";
    match value {
        None if has_embeds => Ok(()),
        None => Err(missing(
            "prompt",
            format!("a completion needs a `prompt`: {KINDS}"),
        )),
        Some(Prompt::Value(Json::Str(_))) => Ok(()),
        Some(Prompt::Value(other)) => Err(invalid(
            "prompt",
            format!("prompt must be {KINDS}, got {other}"),
        )),
        Some(Prompt::List(list)) => {
            if let Some((at, what)) = &list.bad {
                let param = format!("prompt{at}");
                let expected = if at.matches('[').count() == 2 {
                    "a token id (an integer of at least 0)"
                } else {
                    "a string, a token id or an array of token ids"
                };
                return Err(invalid(
                    param.clone(),
                    format!("{param} must be {expected}, got {what}"),
                ));
            }
            let kinds = [list.texts, list.tokens, list.token_lists];
            if kinds.iter().filter(|n| **n > 0).count() > 1 {
                return Err(invalid(
                    "prompt",
                    format!("prompt must be {KINDS}, not a mix of them"),
                ));
            }
            Ok(())
        }
    }
}

mod chat;
use chat::{messages, tool_choice, tools};

#[cfg(test)]
mod tests;
