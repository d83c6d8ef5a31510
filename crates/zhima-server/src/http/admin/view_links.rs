//! `POST /admin/api/v1/view-links {"agreement_no": "…", "ttl": "1h"}` (PRODUCT §13): a signed
//! link to the consumer's Zhima GO card, `{"url", "path", "expires_at"}`. The URL's origin is
//! the one the admin request was sent to (`Host`), the expiry Unix seconds (real time: links
//! expire on the wall clock, not the sandbox clock).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, AdminError};
use crate::bootstrap::view_key::view_token_key;
use crate::domain::view_token::{self, PageKind};
use crate::http::pages::CARD_PREFIX;
use crate::http::shared::Shared;

/// Default link lifetime.
const DEFAULT_TTL: &str = "1h";

/// `{"agreement_no": "…", "ttl": "1h"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewLinkBody {
    agreement_no: String,
    #[serde(default)]
    ttl: Option<String>,
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let ViewLinkBody { agreement_no, ttl } = json_body(body).await?;
    let ttl = view_token::parse_ttl(ttl.as_deref().unwrap_or(DEFAULT_TTL))
        .map_err(|e| AdminError::bad_request(format!("ttl: {e}")))?;
    if shared.storage.agreement(&agreement_no).await?.is_none() {
        let shown: String = agreement_no.chars().take(64).collect();
        return Err(AdminError::not_found(format!("no agreement {shown}")));
    }
    let key = view_token_key(&shared.storage).await?;
    let expires_at = chrono::Utc::now().timestamp() + ttl;
    let token = view_token::mint(&key, PageKind::AgreementCard, &agreement_no, expires_at);
    let path = format!("{CARD_PREFIX}/{}?t={token}", percent_segment(&agreement_no));
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    tracing::info!(agreement_no = %agreement_no, ttl_s = ttl, "view link minted");
    Ok(Json(json!({
        "url": format!("http://{host}{path}"),
        "path": path,
        "expires_at": expires_at,
    })))
}

/// Percent-encodes a path segment (agreement numbers are digits; anything else is escaped).
fn percent_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
