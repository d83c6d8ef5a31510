//! Cumulation event search: by `out_biz_no`, agreement, user (2088 id or open id), partner
//! and receipt time (`from` inclusive, `to` exclusive, UTC+8), newest first, paginated with
//! `cursor` / `limit`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{int_cursor, limit_param, query_params, render, time_param, AdminError};
use crate::domain::admin::EventSearch;
use crate::http::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    out_biz_no: Option<String>,
    agreement_no: Option<String>,
    user: Option<String>,
    partner_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let q: SearchQuery = query_params(&uri)?;
    let search = EventSearch {
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
        before_seq: int_cursor(q.cursor.as_deref())?,
        out_biz_no: q.out_biz_no,
        agreement_no: q.agreement_no,
        user: q.user,
        partner_id: q.partner_id,
    };
    let page = shared
        .storage
        .find_events(search, limit_param(q.limit)?)
        .await?;
    Ok(Json(render::listing(&page, render::event)))
}
