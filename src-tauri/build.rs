//! Declares the app's commands so capabilities can grant them one by one: the list is the
//! API's command table (`contract/commands.json`), the one source of every surface.
use std::path::Path;

fn main() {
    let table = Path::new("../contract/commands.json");
    println!("cargo:rerun-if-changed={}", table.display());
    let text = std::fs::read_to_string(table).expect("contract/commands.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the command table is JSON");
    let names: Vec<&'static str> = json["commands"]
        .as_array()
        .expect("a `commands` list")
        .iter()
        .map(|c| {
            let name = c["name"].as_str().expect("every command has a name");
            &*Box::leak(name.to_owned().into_boxed_str())
        })
        .collect();
    let manifest = tauri_build::AppManifest::new().commands(Box::leak(names.into_boxed_slice()));
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("Tauri build configuration");
}
