//! State-sync instances: search (service, category, user, principal, or the instance an
//! `out_biz_no` belongs to), newest first with `cursor` / `limit`; one instance with its
//! whole history.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{int_cursor, limit_param, query_params, render, AdminError};
use crate::domain::admin::InstanceSearch;
use crate::http::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    service_id: Option<String>,
    category_code: Option<String>,
    user_id: Option<String>,
    out_principal_id: Option<String>,
    out_biz_no: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let q: SearchQuery = query_params(&uri)?;
    let search = InstanceSearch {
        before_id: int_cursor(q.cursor.as_deref())?,
        service_id: q.service_id,
        category_code: q.category_code,
        user_id: q.user_id,
        out_principal_id: q.out_principal_id,
        out_biz_no: q.out_biz_no,
    };
    let page = shared
        .storage
        .find_instances(search, limit_param(q.limit)?)
        .await?;
    Ok(Json(render::listing(&page, render::instance)))
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let id: i64 = id
        .parse()
        .map_err(|_| AdminError::bad_request("id: must be an instance id (a number)"))?;
    let detail = shared
        .storage
        .instance_detail(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("no instance {id}")))?;
    let mut out = render::instance(&detail.summary);
    out["events"] = detail.events.iter().map(render::state_event).collect();
    Ok(Json(out))
}
