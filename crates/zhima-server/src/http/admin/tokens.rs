//! App auth tokens: listed by prefix only; created with a generated value that the create
//! answer shows once; revoked by a prefix that names exactly one token.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{edited, json_body, query_params, render, time_param, AdminError};
use crate::domain::admin::TokenView;
use crate::domain::entities::AppAuthToken;
use crate::http::shared::Shared;

/// Lifetime of a token created without `expires_at`.
const DEFAULT_DAYS: i64 = 365;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    app_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    app_id: String,
    partner_id: String,
    #[serde(default)]
    expires_at: Option<String>,
}

/// A new token value in Alipay's shape: `yyyyMM` + `BB` + 32 hex digits (40 characters),
/// random from the OS CSPRNG.
fn new_token_value() -> String {
    let month = zhima_proto::time::now_alipay().format("%Y%m");
    format!("{month}BB{}", uuid::Uuid::new_v4().simple())
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let q: ListQuery = query_params(&uri)?;
    let tokens = shared.storage.token_views(q.app_id.as_deref()).await?;
    Ok(Json(
        json!({"items": tokens.iter().map(render::token).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let b: CreateBody = json_body(body).await?;
    let now = zhima_proto::time::now_alipay();
    let expires_at = time_param("expires_at", b.expires_at.as_deref())?
        .unwrap_or(now + chrono::Duration::days(DEFAULT_DAYS));
    if expires_at <= now {
        return Err(AdminError::bad_request("expires_at: must be in the future"));
    }
    let token = AppAuthToken {
        token: new_token_value(),
        app_id: b.app_id,
        partner_id: b.partner_id,
        expires_at,
    };
    let token = edited(shared.storage.admin_create_token(token).await?)?;
    let view = TokenView::of(&token, &now);
    tracing::info!(app_id = %token.app_id, prefix = %view.prefix, "admin: app auth token created");
    let mut out = render::token(&view);
    // The one time the value is shown.
    out["token"] = json!(token.token);
    Ok(Json(out))
}

pub(super) async fn revoke(
    State(shared): State<Arc<Shared>>,
    Path(prefix): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let token = edited(shared.storage.admin_revoke_token(&prefix).await?)?;
    let view = TokenView::of(&token, &zhima_proto::time::now_alipay());
    tracing::info!(app_id = %token.app_id, prefix = %view.prefix, "admin: app auth token revoked");
    let mut out = render::token(&view);
    out["revoked"] = json!(true);
    Ok(Json(out))
}
