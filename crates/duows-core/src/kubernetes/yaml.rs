//! JSON values written as YAML in block style, the way `kubectl get -o yaml` writes
//! manifests: maps' keys in order, lists with `- ` at the key's indentation. A string is
//! written plain only when YAML reads it back as the same string; any other is written
//! double-quoted with JSON's escapes (a JSON string is a valid YAML double-quoted scalar).

use serde_json::Value;

/// One document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// Several documents, separated by `---`.
pub fn documents(values: &[Value]) -> String {
    values.iter().map(to_yaml).collect::<Vec<_>>().join("---\n")
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first key of a list item continues the `- ` line.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&string(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_list(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, indent + 2),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, indent + 2);
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// A map's value after `key:`; lists under a key sit at the key's indentation.
fn write_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, indent);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// A string plain when YAML 1.1 and 1.2 both read it back as that string, else quoted.
fn string(s: &str) -> String {
    if plain(s) {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
    }
}

fn plain(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let mut chars = s.chars();
    let first = chars.next();
    let second = chars.next();
    // A leading `-` is plain unless it starts a list item (`- `) or a document (`---`).
    let starts_well = match first {
        Some(c) if c.is_ascii_alphabetic() || "/_.".contains(c) => true,
        Some('-') => second.is_some_and(|c| c != ' ') && !s.starts_with("---"),
        _ => false,
    };
    starts_well
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=@+%,".contains(c))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && !looks_numeric(s)
}

/// Numbers, in any of the forms YAML resolves (`1e3`, `.5`, `0x1F`, `1_000`, `.inf`).
fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    lower == ".inf"
        || lower == ".nan"
        || t.replace('_', "").parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || lower.starts_with("0b")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_maps_lists_and_scalars_in_block_style() {
        let doc = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {
                "replicas": 1,
                "template": {"spec": {"containers": [
                    {"name": "vllm", "args": ["serve", "--port", "8000"], "env": [], "resources": {}}
                ]}}
            }
        });
        assert_eq!(
            to_yaml(&doc),
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - args:\n        - serve\n        - --port\n        - \"8000\"\n        env: []\n        name: vllm\n        resources: {}\n"
        );
    }

    #[test]
    fn quotes_what_yaml_would_read_otherwise() {
        for (text, written) in [
            ("8000", "\"8000\""),
            ("0.95", "\"0.95\""),
            ("1e3", "\"1e3\""),
            ("true", "\"true\""),
            ("on", "\"on\""),
            ("null", "\"null\""),
            ("", "\"\""),
            ("--max-model-len", "--max-model-len"),
            ("key: value", "\"key: value\""),
            ("http://svc:8000/v1", "\"http://svc:8000/v1\""),
            ("#comment", "\"#comment\""),
            ("*alias", "\"*alias\""),
            ("a \"quoted\" word", "\"a \\\"quoted\\\" word\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("zai-org/GLM-5.1-FP8", "zai-org/GLM-5.1-FP8"),
            ("/dev/shm", "/dev/shm"),
            ("nvidia.com/gpu", "nvidia.com/gpu"),
        ] {
            assert_eq!(string(text), written, "{text:?}");
        }
    }

    #[test]
    fn documents_are_separated() {
        let text = documents(&[json!({"a": 1}), json!({"b": [1, {"c": "d", "e": [true]}]})]);
        assert_eq!(text, "a: 1\n---\nb:\n- 1\n- c: d\n  e:\n  - true\n");
    }
}
