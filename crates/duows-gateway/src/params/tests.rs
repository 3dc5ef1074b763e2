use super::*;

const CHAT: Endpoint = Endpoint::ChatCompletions;
const COMPLETIONS: Endpoint = Endpoint::Completions;

fn fault(endpoint: Endpoint, body: &str) -> Option<Fault> {
    let parsed: Body<'_> = serde_json::from_str(body).expect("valid JSON");
    check(&parsed, endpoint).err()
}

/// A chat body: `extra` spliced after a valid `messages`.
fn chat(extra: &str) -> String {
    format!(r#"{{"model":"m","messages":[{{"role":"user","content":"hi"}}]{extra}}}"#)
}

#[test]
fn good_bodies_pass() {
    let chats = [
        chat(""),
        chat(r#","max_tokens":1,"max_completion_tokens":4096,"temperature":0,"top_p":1"#),
        chat(r#","temperature":2.5,"top_p":1e-7,"n":3,"seed":-9223372036854775808"#),
        chat(r#","stop":"\n","presence_penalty":-2,"frequency_penalty":2,"min_p":0"#),
        chat(r#","stop":["a","b","c","d","e"],"top_k":-1,"repetition_penalty":1.1"#),
        chat(r#","stream":true,"stream_options":{"include_usage":true},"user":"u""#),
        chat(r#","logprobs":true,"top_logprobs":5,"logit_bias":{"50256":-100}"#),
        chat(r#","max_tokens":null,"stop":null,"seed":null,"stream":false"#),
        chat(r#","response_format":{"type":"json_object"},"parallel_tool_calls":false"#),
        chat(
            r#","tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":"auto""#,
        ),
        chat(r#","tool_choice":{"type":"function","function":{"name":"f"}}"#),
        chat(r#","max_tokens":64.0,"guided_json":{"x":1},"chat_template_kwargs":{}"#),
        r#"{"model":"m","messages":[
            {"role":"system","content":"s"},
            {"role":"developer","content":[{"type":"text","text":"d"}]},
            {"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"x"}}],"name":"n"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
            {"role":"tool","content":"42","tool_call_id":"c1"},
            {"role":"assistant","function_call":{"name":"f","arguments":"{}"}},
            {"role":"function","name":"f","content":null},
            {"role":"ipython","content":"custom roles pass"}
        ]}"#
        .to_owned(),
    ];
    for body in &chats {
        assert_eq!(fault(CHAT, body), None, "{body}");
    }
    for body in [
        r#"{"model":"m","prompt":"def f():"}"#,
        r#"{"model":"m","prompt":["a","b"],"echo":true,"best_of":2,"logprobs":5}"#,
        r#"{"model":"m","prompt":[1,2,3],"suffix":"x","logprobs":-1}"#,
        r#"{"model":"m","prompt":[[1,2],[3]],"stop":["\n"]}"#,
        r#"{"model":"m","prompt":"","max_tokens":16,"top_k":0}"#,
        r#"{"model":"m","prompt_embeds":"base64"}"#,
    ] {
        assert_eq!(fault(COMPLETIONS, body), None, "{body}");
    }
}

#[test]
fn bad_bodies_name_the_parameter() {
    let cases: &[(Endpoint, String, &str, &str)] = &[
        (CHAT, chat(r#","max_tokens":-5"#), "max_tokens", "max_tokens must be an integer of at least 1, got -5"),
        (CHAT, chat(r#","max_tokens":0"#), "max_tokens", "got 0"),
        (CHAT, chat(r#","max_tokens":"5""#), "max_tokens", r#"got "5""#),
        (CHAT, chat(r#","max_tokens":2.5"#), "max_tokens", "got 2.5"),
        (CHAT, chat(r#","max_completion_tokens":-1"#), "max_completion_tokens", "at least 1"),
        (CHAT, chat(r#","temperature":-0.1"#), "temperature", "of 0 or more, got -0.1"),
        (CHAT, chat(r#","temperature":"hot""#), "temperature", "of 0 or more"),
        (CHAT, chat(r#","top_p":5"#), "top_p", "greater than 0 and at most 1, got 5"),
        (CHAT, chat(r#","top_p":0"#), "top_p", "got 0"),
        (CHAT, chat(r#","n":0"#), "n", "at least 1"),
        (CHAT, chat(r#","stop":5"#), "stop", "a string or an array of strings, got 5"),
        (CHAT, chat(r#","stop":["a",7]"#), "stop[1]", "must be a string, got 7"),
        (CHAT, chat(r#","stop":[""]"#), "stop[0]", "empty string"),
        (CHAT, chat(r#","presence_penalty":3"#), "presence_penalty", "from -2 to 2"),
        (CHAT, chat(r#","frequency_penalty":-2.5"#), "frequency_penalty", "from -2 to 2"),
        (CHAT, chat(r#","seed":"42""#), "seed", "integer"),
        (CHAT, chat(r#","seed":18446744073709551615"#), "seed", "64-bit"),
        (CHAT, chat(r#","stream":"yes""#), "stream", r#"true or false, got "yes""#),
        (CHAT, chat(r#","stream_options":true,"stream":true"#), "stream_options", "an object"),
        (CHAT, chat(r#","stream_options":{"include_usage":true}"#), "stream_options", "only allowed"),
        (CHAT, chat(r#","logprobs":1"#), "logprobs", "true or false"),
        (CHAT, chat(r#","top_logprobs":-2"#), "top_logprobs", "at least 0"),
        (CHAT, chat(r#","top_k":-5"#), "top_k", "got -5"),
        (CHAT, chat(r#","top_k":1.5"#), "top_k", "integer"),
        (CHAT, chat(r#","min_p":1.5"#), "min_p", "from 0 to 1"),
        (CHAT, chat(r#","repetition_penalty":0"#), "repetition_penalty", "greater than 0"),
        (CHAT, chat(r#","user":5"#), "user", "a string"),
        (CHAT, chat(r#","logit_bias":{"5":200}"#), "logit_bias.5", "from -100 to 100"),
        (CHAT, chat(r#","response_format":{}"#), "response_format.type", "needs a `type`"),
        (CHAT, chat(r#","tools":{}"#), "tools", "an array"),
        (CHAT, chat(r#","tools":[{"type":"function"}]"#), "tools[0].function", "needs a `function`"),
        (CHAT, chat(r#","tools":[{"type":"function","function":{}}]"#), "tools[0].function.name", "name"),
        (CHAT, chat(r#","tool_choice":"sometimes""#), "tool_choice", "\"auto\""),
        (CHAT, chat(r#","parallel_tool_calls":"no""#), "parallel_tool_calls", "true or false"),
        (CHAT, r#"{"model":"m"}"#.into(), "messages", "needs `messages`"),
        (CHAT, r#"{"model":"m","messages":null}"#.into(), "messages", "needs `messages`"),
        (CHAT, r#"{"model":"m","messages":[]}"#.into(), "messages", "at least one"),
        (CHAT, r#"{"model":"m","messages":"hi"}"#.into(), "messages", "an array"),
        (CHAT, r#"{"model":"m","messages":["hi"]}"#.into(), "messages[0]", "an object"),
        (CHAT, r#"{"model":"m","messages":[{"content":"x"}]}"#.into(), "messages[0].role", "needs a `role`"),
        (CHAT, r#"{"model":"m","messages":[{"role":3,"content":"x"}]}"#.into(), "messages[0].role", "one of"),
        (CHAT, r#"{"model":"m","messages":[{"role":"user"}]}"#.into(), "messages[0].content", "needs `content`"),
        (CHAT, r#"{"model":"m","messages":[{"role":"user","content":5}]}"#.into(), "messages[0].content", "got 5"),
        (CHAT, r#"{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}"#.into(), "messages[0].content[0].type", "needs a `type`"),
        (CHAT, r#"{"model":"m","messages":[{"role":"assistant","content":null}]}"#.into(), "messages[0].content", "unless it has `tool_calls`"),
        (CHAT, r#"{"model":"m","messages":[{"role":"user","content":"q"},{"role":"tool","content":null,"tool_call_id":"c"}]}"#.into(), "messages[1].content", "needs `content`"),
        (CHAT, r#"{"model":"m","messages":[{"role":"tool","content":"42"}]}"#.into(), "messages[0].tool_call_id", "tool_call_id"),
        (CHAT, r#"{"model":"m","messages":[{"role":"tool","content":"42","tool_call_id":1}]}"#.into(), "messages[0].tool_call_id", "a string"),
        (CHAT, r#"{"model":"m","messages":[{"role":"function","content":"42"}]}"#.into(), "messages[0].name", "`name`"),
        (CHAT, r#"{"model":"m","messages":[{"role":"assistant","content":"x","tool_calls":{}}]}"#.into(), "messages[0].tool_calls", "an array"),
        (COMPLETIONS, r#"{"model":"m"}"#.into(), "prompt", "needs a `prompt`"),
        (COMPLETIONS, r#"{"model":"m","prompt":null}"#.into(), "prompt", "needs a `prompt`"),
        (COMPLETIONS, r#"{"model":"m","prompt":5}"#.into(), "prompt", "got 5"),
        (COMPLETIONS, r#"{"model":"m","prompt":["a",null]}"#.into(), "prompt[1]", "got null"),
        (COMPLETIONS, r#"{"model":"m","prompt":[[1,-2]]}"#.into(), "prompt[0][1]", "a token id"),
        (COMPLETIONS, r#"{"model":"m","prompt":["a",1]}"#.into(), "prompt", "not a mix"),
        (COMPLETIONS, r#"{"model":"m","prompt":"x","logprobs":true}"#.into(), "logprobs", "integer"),
        (COMPLETIONS, r#"{"model":"m","prompt":"x","best_of":0}"#.into(), "best_of", "at least 1"),
        (COMPLETIONS, r#"{"model":"m","prompt":"x","echo":"no"}"#.into(), "echo", "true or false"),
        (COMPLETIONS, r#"{"model":"m","prompt":"x","max_tokens":-5}"#.into(), "max_tokens", "got -5"),
    ];
    for (endpoint, body, param, says) in cases {
        let fault = fault(*endpoint, body).unwrap_or_else(|| panic!("refused: {body}"));
        assert_eq!(fault.param, *param, "{body}");
        assert!(
            fault.message.contains(says),
            "{body}: `{}` should say `{says}`",
            fault.message
        );
    }
}

#[test]
fn missing_and_wrong_are_told_apart() {
    assert!(fault(CHAT, r#"{"model":"m"}"#).expect("fault").missing);
    assert!(!fault(CHAT, &chat(r#","top_p":5"#)).expect("fault").missing);
}
