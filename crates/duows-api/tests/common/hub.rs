//! A local server in the Hugging Face hub's URL layout: every repository is at `commit`
//! and holds one file, `model.safetensors`, with `file`'s bytes. Its file downloads wait
//! while `held` is set (so a test can see something waiting for them, however slow the
//! machine), then `delay`. Tests point `HF_ENDPOINT` at the address it returns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sha2::{Digest, Sha256};

pub async fn start_hub(
    commit: &'static str,
    file: Vec<u8>,
    delay: Duration,
    held: Arc<AtomicBool>,
) -> String {
    let file = Arc::new(file);
    let listed = Arc::clone(&file);
    let app = Router::new()
        .route(
            "/api/models/{org}/{name}/revision/{rev}",
            get(move || async move { Json(json!({ "sha": commit })) }),
        )
        .route(
            "/api/models/{org}/{name}/tree/{commit}",
            get(move || async move {
                let oid: String = Sha256::digest(listed.as_slice())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Json(json!([{
                    "type": "file", "path": "model.safetensors", "size": listed.len(), "oid": "x",
                    "lfs": { "oid": oid, "size": listed.len() }
                }]))
            }),
        )
        .route(
            "/{org}/{name}/resolve/{commit}/{*path}",
            get(move |Path(_): Path<Vec<String>>| async move {
                while held.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                tokio::time::sleep(delay).await;
                file.as_ref().clone()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}
