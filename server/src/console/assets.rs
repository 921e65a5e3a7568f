//! The built console page and its assets, embedded in the binary
//! (rust-embed; in debug builds read from disk), and the security headers
//! every console response carries.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$GRIDWORK_CONSOLE_DIST"]
struct Dist;

/// No inline script or style, nothing from elsewhere (but map tiles from
/// the one configured tile server), never framed.
pub fn csp(tiles_origin: Option<&str>) -> String {
    let tiles = tiles_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tiles}; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn file(path: &str, cache: &'static str) -> Response {
    match Dist::get(path) {
        Some(f) => (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_str(f.metadata.mimetype())
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                ),
                (CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            f.data.into_owned(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /`: the page (never cached: it names the current assets).
pub async fn index() -> Response {
    file("index.html", "no-cache")
}

/// `GET /assets/{path}`: scripts, styles, fonts (names carry a content hash).
pub async fn asset(Path(path): Path<String>) -> Response {
    file(
        &format!("assets/{path}"),
        "public, max-age=31536000, immutable",
    )
}

/// Headers on every console response, pages and API alike.
pub fn security_headers(
    tiles_origin: Option<&str>,
) -> impl Fn(Response) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    let csp = HeaderValue::from_str(&csp(tiles_origin))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    move |mut resp: Response| {
        let h = resp.headers_mut();
        h.insert(
            HeaderName::from_static("content-security-policy"),
            csp.clone(),
        );
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cross-origin-opener-policy", "same-origin"),
        ] {
            h.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        std::future::ready(resp)
    }
}
