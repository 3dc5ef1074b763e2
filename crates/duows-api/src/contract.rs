//! The command table: one list of every command of the API surface, in
//! `contract/commands.json`, from which the HTTP routes ([`crate::http`]), the desktop
//! shell's permissions (its build script) and the UI transport are made. Tests check the
//! Tauri handlers, the window's capability and the API contract document against it, so
//! adding a command is one table entry plus its function, or a test names what lacks it.

use std::sync::OnceLock;

use serde::Deserialize;

/// The table's text, as the build embeds it.
pub const TABLE_JSON: &str = include_str!("../../../contract/commands.json");

/// How the HTTP body is made from a command's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFrom {
    /// The `params` argument.
    Params,
    /// The `settings` argument.
    Settings,
    /// The arguments not named in the path.
    Args,
}

/// One command.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The command's name: the Tauri command, the UI's call.
    pub name: String,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The HTTP path, with `{argument}` for arguments in the path.
    pub path: String,
    /// Where the HTTP body comes from; none: no body.
    #[serde(default)]
    pub body: Option<BodyFrom>,
    /// Arguments sent in the query string.
    #[serde(default)]
    pub query: Vec<String>,
    /// For a subscription: the event name of its stream.
    #[serde(default)]
    pub stream: Option<String>,
    /// Arguments as the window sends them, for the tests of both transports.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
}

impl CommandSpec {
    /// The HTTP method, path (with the query) and JSON body of a call with `args` (the
    /// window's argument object), made by the table's rules.
    pub fn http_request(
        &self,
        args: &serde_json::Value,
    ) -> (String, String, Option<serde_json::Value>) {
        let empty = serde_json::Map::new();
        let given = args.as_object().unwrap_or(&empty);
        let scalar = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut used = Vec::new();
        let mut path = self.path.clone();
        for (key, value) in given {
            let slot = format!("{{{key}}}");
            if path.contains(&slot) {
                path = path.replace(&slot, &scalar(value));
                used.push(key.clone());
            }
        }
        let query: Vec<String> = self
            .query
            .iter()
            .filter_map(|key| given.get(key).map(|v| format!("{key}={}", scalar(v))))
            .collect();
        used.extend(self.query.iter().cloned());
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let body = match self.body {
            Some(BodyFrom::Params) => given.get("params").cloned(),
            Some(BodyFrom::Settings) => given.get("settings").cloned(),
            Some(BodyFrom::Args) => Some(serde_json::Value::Object(
                given
                    .iter()
                    .filter(|(k, _)| !used.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )),
            None => None,
        };
        (self.method.clone(), path, body)
    }
}

impl CommandSpec {
    /// The Tauri permission that grants it, e.g. `allow-engine-stop`.
    pub fn permission(&self) -> String {
        format!("allow-{}", self.name.replace('_', "-"))
    }
}

#[derive(Deserialize)]
struct Table {
    commands: Vec<CommandSpec>,
}

/// Every command, in the table's order.
pub fn commands() -> &'static [CommandSpec] {
    static TABLE: OnceLock<Vec<CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The table is part of the build: a malformed one fails every test at once.
        #[allow(clippy::expect_used)]
        let table: Table =
            serde_json::from_str(TABLE_JSON).expect("contract/commands.json is malformed");
        table.commands
    })
}

/// The command called `name`.
///
/// # Panics
/// When the table has no such command: a handler registered for a command the table
/// lacks stops the program at start, so every test names it.
pub fn command(name: &str) -> &'static CommandSpec {
    commands()
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("`{name}` is not in contract/commands.json: add it there"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_well_formed() {
        let all = commands();
        assert!(all.len() > 20);
        let mut names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a name twice");
        for c in all {
            assert!(
                matches!(c.method.as_str(), "GET" | "POST" | "PUT" | "DELETE"),
                "{}",
                c.name
            );
            assert!(c.path.starts_with("/api/"), "{}", c.name);
            assert!(
                c.method != "GET" || c.body.is_none(),
                "{}: a GET has no body",
                c.name
            );
        }
    }
}
