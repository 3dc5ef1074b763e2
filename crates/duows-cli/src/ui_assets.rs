//! The web UI, embedded in release builds (read from `ui/dist` at run time in debug
//! builds), served for every path the API does not own.

use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct Assets;

/// A router that serves the UI files, with `index.html` for unknown paths.
pub fn router() -> Router {
    Router::new().fallback(serve)
}

async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let (file, path) = match Assets::get(path) {
        Some(file) => (file, path),
        None if !path.contains('.') => match Assets::get("index.html") {
            Some(file) => (file, "index.html"),
            None => return not_built(),
        },
        None => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let mime = file.metadata.mimetype().to_owned();
    // Vite names assets by content hash: cache them; never cache the page itself.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        file.data,
    )
        .into_response()
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<h1>Duo Workstation</h1><p>The web UI was not built into this program. \
             Run <code>npm ci && npm run build</code> in <code>ui/</code>, then rebuild \
             <code>duows</code>. The control API under <code>/api</code> works.</p>",
        ),
    )
        .into_response()
}
