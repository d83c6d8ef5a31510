//! The audit log: filters app, api (v1 `method` or v3 `METHOD /path`), outcome and time
//! (`from` inclusive, `to` exclusive, UTC+8), newest first with `cursor` / `limit`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{int_cursor, limit_param, query_params, render, time_param, AdminError};
use crate::domain::admin::AuditSearch;
use crate::http::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    app_id: Option<String>,
    api: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let q: ListQuery = query_params(&uri)?;
    let search = AuditSearch {
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
        before_id: int_cursor(q.cursor.as_deref())?,
        app_id: q.app_id,
        api: q.api,
        outcome: q.outcome,
    };
    let page = shared
        .storage
        .find_audit(search, limit_param(q.limit)?)
        .await?;
    Ok(Json(render::listing(&page, |r| {
        render::audit(r.id, &r.entry)
    })))
}
