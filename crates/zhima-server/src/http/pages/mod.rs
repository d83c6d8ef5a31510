//! Consumer pages (PRODUCT §13): server-rendered HTML in Chinese, mobile-first, readable
//! without JavaScript, from askama templates (`crates/zhima-server/templates/`, escaping on).
//! One stylesheet, served by us at [`CSS_PATH`]; nothing is loaded from elsewhere, and the
//! Content-Security-Policy says so.
//!
//! | file | what it owns |
//! |---|---|
//! | `views.rs` | the template structs (one per page) and the error page |
//! | `card.rs` | `GET /c/agreements/{agreement_no}?t=…`: the Zhima GO card behind a view token |
//! | `instance.rs` | `GET /c/instances/{service_id}/{category_code}/{out_principal_id}?user_id=…&t=…`: a state-sync instance behind a view token |
//! | `sign.rs` | sign.apply: the signing page (from the v1 gateway), `POST /c/sign/confirm` (同意并签约) and `POST /c/sign/decline` (暂不签约) |
//!
//! The icon is ours too ([`FAVICON_PATH`], and `/favicon.ico` for browsers that ask there),
//! so no page load logs a 404.

mod card;
mod instance;
mod sign;
mod views;

use std::sync::{Arc, LazyLock};

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sha2::{Digest, Sha256};

pub(crate) use self::card::CARD_PREFIX;
pub(crate) use self::instance::INSTANCE_PREFIX;
pub(crate) use self::sign::{form_token, read_request, v1_page, PageRequest};

use super::shared::Shared;

/// Where the stylesheet is served.
pub(crate) const CSS_PATH: &str = "/c/static/zhima.css";

/// The stylesheet, embedded in the binary.
const CSS: &str = include_str!("../../../static/zhima.css");

/// Where the icon is served (pages link it).
pub(crate) const FAVICON_PATH: &str = "/c/static/favicon.svg";

/// The icon (SVG), embedded in the binary.
const FAVICON: &str = include_str!("../../../static/favicon.svg");

/// `CSS_PATH?v=<content hash>`: pages link this, so a new build's CSS is never served stale
/// from a cache that keeps it a day.
static CSS_HREF: LazyLock<String> = LazyLock::new(|| versioned_href(CSS_PATH, CSS));

/// `path?v=<content hash>`: a link that changes whenever the embedded file does.
pub(crate) fn versioned_href(path: &str, content: &str) -> String {
    let hash = hex::encode(Sha256::digest(content.as_bytes()));
    format!("{path}?v={}", &hash[..12])
}

/// A file embedded in the binary, served with its type and cache policy (the consumer pages'
/// and the console's static files alike).
pub(crate) fn static_file(
    body: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    resp
}

/// Versioned links make a day of caching safe.
const STATIC_CACHE: &str = "public, max-age=86400";

/// No scripts, frames or foreign origins; styles from us only.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/// The pages' routes (the signing page itself is answered by the v1 gateway).
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(CSS_PATH, get(css))
        .route(FAVICON_PATH, get(favicon))
        .route("/favicon.ico", get(favicon))
        .route(sign::CONFIRM_PATH, post(sign::confirm))
        .route(sign::DECLINE_PATH, post(sign::decline))
        .route(
            &format!("{}/{{agreement_no}}", card::CARD_PREFIX),
            get(card::show),
        )
        .route(
            &format!(
                "{}/{{service_id}}/{{category_code}}/{{out_principal_id}}",
                instance::INSTANCE_PREFIX
            ),
            get(instance::show),
        )
}

async fn favicon() -> Response {
    static_file(FAVICON, "image/svg+xml", STATIC_CACHE)
}

async fn css() -> Response {
    static_file(CSS, "text/css; charset=utf-8", STATIC_CACHE)
}

/// An HTML answer. Pages carry one-time tokens or personal data: never cached.
fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}
