//! The chat parameters with a structure: `messages` (roles and their content rules),
//! `tools` and `tool_choice`.

use super::{invalid, missing, object, string, typed_object, Check};
use crate::json_shape::Json;

/// OpenAI's roles. Others pass with the rules of `user` (vLLM accepts custom roles, such as
/// Llama's `ipython`).
const ROLES: &str = "system, developer, user, assistant, tool or function";

pub(super) fn messages(value: Option<&Json<'_>>) -> Check {
    let list = match value {
        None => {
            return Err(missing(
                "messages",
                "a chat completion needs `messages`: an array like \
                 [{\"role\": \"user\", \"content\": \"Hello\"}]"
                    .into(),
            ))
        }
        Some(Json::Array(list)) => list,
        Some(other) => {
            return Err(invalid(
                "messages",
                format!("messages must be an array of message objects, got {other}"),
            ))
        }
    };
    if list.is_empty() {
        return Err(invalid(
            "messages",
            "messages must hold at least one message".into(),
        ));
    }
    list.iter()
        .enumerate()
        .try_for_each(|(i, m)| message(&format!("messages[{i}]"), m))
}

fn message(at: &str, m: &Json<'_>) -> Check {
    if !matches!(m, Json::Object(_)) {
        return Err(invalid(
            at,
            format!("{at} must be an object with a `role` and `content`, got {m}"),
        ));
    }
    let role = match m.get("role") {
        None | Some(Json::Null) => {
            return Err(missing(
                format!("{at}.role"),
                format!("{at} needs a `role`: {ROLES}"),
            ))
        }
        Some(Json::Str(Some(role))) if !role.is_empty() => role.as_ref(),
        Some(other) => {
            return Err(invalid(
                format!("{at}.role"),
                format!("{at}.role must be one of {ROLES}, got {other}"),
            ))
        }
    };
    let present = |key: &str| m.get(key).is_some_and(|v| *v != Json::Null);
    let content = m.get("content").filter(|v| **v != Json::Null);
    let content_at = format!("{at}.content");
    match content {
        Some(content) => content_shape(&content_at, content)?,
        None => {
            let allowed = match role {
                "assistant" => present("tool_calls") || present("function_call"),
                "function" => true,
                _ => false,
            };
            if !allowed {
                let rule = if role == "assistant" {
                    "an assistant message needs `content` unless it has `tool_calls`"
                } else {
                    "a message needs `content`: a string or an array of content parts"
                };
                return Err(missing(
                    content_at,
                    format!("{at}.content is missing: {rule}"),
                ));
            }
        }
    }
    if let Some(name) = m.get("name").filter(|v| **v != Json::Null) {
        string(&format!("{at}.name"), name)?;
    }
    match role {
        "tool" => match m.get("tool_call_id") {
            Some(id) if id.is_str() => {}
            None | Some(Json::Null) => {
                return Err(missing(
                    format!("{at}.tool_call_id"),
                    format!(
                        "{at} is a tool message: it needs the `tool_call_id` of the call it \
                         answers"
                    ),
                ))
            }
            Some(other) => string(&format!("{at}.tool_call_id"), other)?,
        },
        "function" if !m.get("name").is_some_and(Json::is_str) => {
            return Err(missing(
                format!("{at}.name"),
                format!("{at} is a function message: it needs the function's `name`"),
            ))
        }
        _ => {}
    }
    if let Some(calls) = m.get("tool_calls").filter(|v| **v != Json::Null) {
        let Json::Array(calls) = calls else {
            return Err(invalid(
                format!("{at}.tool_calls"),
                format!("{at}.tool_calls must be an array, got {calls}"),
            ));
        };
        for (i, call) in calls.iter().enumerate() {
            object(&format!("{at}.tool_calls[{i}]"), call)?;
        }
    }
    Ok(())
}

/// `content`: a string, or an array of parts that each have a string `type`.
fn content_shape(at: &str, content: &Json<'_>) -> Check {
    match content {
        Json::Str(_) => Ok(()),
        Json::Array(parts) => parts
            .iter()
            .enumerate()
            .try_for_each(|(i, part)| typed_object(&format!("{at}[{i}]"), part)),
        other => Err(invalid(
            at,
            format!("{at} must be a string or an array of content parts, got {other}"),
        )),
    }
}

pub(super) fn tools(v: &Json<'_>) -> Check {
    let Json::Array(tools) = v else {
        return Err(invalid(
            "tools",
            format!("tools must be an array of tool objects, got {v}"),
        ));
    };
    for (i, tool) in tools.iter().enumerate() {
        let at = format!("tools[{i}]");
        typed_object(&at, tool)?;
        if tool.get("type").and_then(Json::text) != Some("function") {
            continue;
        }
        let function_at = format!("{at}.function");
        match tool.get("function") {
            Some(function) => object(&function_at, function)?,
            None => {
                return Err(missing(
                    function_at,
                    format!("{at} is a function tool: it needs a `function` object"),
                ))
            }
        }
        match tool.get("function").and_then(|f| f.get("name")) {
            Some(name) if name.is_str() => {}
            _ => {
                return Err(missing(
                    format!("{function_at}.name"),
                    format!("{function_at} needs a string `name`"),
                ))
            }
        }
    }
    Ok(())
}

pub(super) fn tool_choice(v: &Json<'_>) -> Check {
    match v {
        Json::Str(Some(choice)) if matches!(choice.as_ref(), "none" | "auto" | "required") => {
            Ok(())
        }
        Json::Object(_) => typed_object("tool_choice", v),
        other => Err(invalid(
            "tool_choice",
            format!(
                "tool_choice must be \"none\", \"auto\", \"required\" or an object naming a \
                 tool, got {other}"
            ),
        )),
    }
}
