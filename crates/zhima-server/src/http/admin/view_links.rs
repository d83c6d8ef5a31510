//! `POST /admin/api/v1/view-links` (PRODUCT §13): a signed link to a consumer page,
//! `{"url", "path", "expires_at"}`, for exactly one subject:
//!
//! * `{"agreement_no": "…", "ttl": "1h"}`: the agreement's Zhima GO card;
//! * `{"instance": {"service_id", "category_code", "out_principal_id", "user_id"}, "ttl": "1h"}`:
//!   a state-sync instance's page.
//!
//! The subject must exist (404 otherwise). The URL's origin is the one the admin request was
//! sent to (`Host`), the expiry Unix seconds (real time: links expire on the wall clock, not
//! the sandbox clock).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, AdminError};
use crate::bootstrap::view_key::view_token_key;
use crate::domain::view_token::{self, instance_subject, PageKind};
use crate::http::pages::{CARD_PREFIX, INSTANCE_PREFIX};
use crate::http::shared::Shared;
use crate::storage::InstanceKey;

/// Default link lifetime.
const DEFAULT_TTL: &str = "1h";

/// `{"agreement_no": "…" | "instance": {…}, "ttl": "1h"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewLinkBody {
    #[serde(default)]
    agreement_no: Option<String>,
    #[serde(default)]
    instance: Option<InstanceSubject>,
    #[serde(default)]
    ttl: Option<String>,
}

/// A state-sync instance's key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceSubject {
    service_id: String,
    category_code: String,
    out_principal_id: String,
    user_id: String,
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let ViewLinkBody {
        agreement_no,
        instance,
        ttl,
    } = json_body(body).await?;
    let ttl = view_token::parse_ttl(ttl.as_deref().unwrap_or(DEFAULT_TTL))
        .map_err(|e| AdminError::bad_request(format!("ttl: {e}")))?;
    let key = view_token_key(&shared.storage).await?;
    let expires_at = chrono::Utc::now().timestamp() + ttl;
    let path = match (agreement_no, instance) {
        (Some(agreement_no), None) => {
            if shared.storage.agreement(&agreement_no).await?.is_none() {
                let shown: String = agreement_no.chars().take(64).collect();
                return Err(AdminError::not_found(format!("no agreement {shown}")));
            }
            let token = view_token::mint(&key, PageKind::AgreementCard, &agreement_no, expires_at);
            tracing::info!(agreement_no = %agreement_no, ttl_s = ttl, "view link minted");
            format!("{CARD_PREFIX}/{}?t={token}", percent_segment(&agreement_no))
        }
        (None, Some(i)) => {
            let found = shared
                .storage
                .state_instance(&InstanceKey {
                    service_id: i.service_id.clone(),
                    category_code: i.category_code.clone(),
                    user_id: i.user_id.clone(),
                    out_principal_id: i.out_principal_id.clone(),
                })
                .await?;
            if found.is_none() {
                let shown: String = format!(
                    "{}/{}/{} of user {}",
                    i.service_id, i.category_code, i.out_principal_id, i.user_id
                )
                .chars()
                .take(300)
                .collect();
                return Err(AdminError::not_found(format!("no state-sync instance {shown}")));
            }
            let subject = instance_subject(
                &i.service_id,
                &i.category_code,
                &i.user_id,
                &i.out_principal_id,
            );
            let token = view_token::mint(&key, PageKind::StateInstance, &subject, expires_at);
            tracing::info!(service_id = %i.service_id, category_code = %i.category_code, ttl_s = ttl, "instance view link minted");
            format!(
                "{INSTANCE_PREFIX}/{}/{}/{}?user_id={}&t={token}",
                percent_segment(&i.service_id),
                percent_segment(&i.category_code),
                percent_segment(&i.out_principal_id),
                percent_segment(&i.user_id),
            )
        }
        _ => {
            return Err(AdminError::bad_request(
                "name exactly one subject: agreement_no, or instance {service_id, category_code, out_principal_id, user_id}",
            ))
        }
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    Ok(Json(json!({
        "url": format!("http://{host}{path}"),
        "path": path,
        "expires_at": expires_at,
    })))
}

/// Percent-encodes a path segment or query value (agreement numbers are digits; anything
/// else is escaped).
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
