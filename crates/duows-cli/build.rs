//! Rebuild when the web UI is rebuilt: release builds embed `ui/dist`.
fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist");
}
