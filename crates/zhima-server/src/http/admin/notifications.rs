//! Notifications to merchants (PRODUCT §12, §14):
//! `GET /admin/api/v1/notifications?status=&agreement=&app=&page_no=&page_size=` lists the
//! outbox newest first; `POST /admin/api/v1/notifications/{notify_id}/redeliver` makes one due
//! again now (same `notify_id`, attempts from zero). Times are `yyyy-MM-dd HH:mm:ss` business
//! time in UTC+8. Signatures are never stored, so none can be shown.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use zhima_proto::time::format_alipay_datetime;

use super::AdminError;
use crate::domain::notify::{NotificationFilter, NotifyStatus, StoredNotification};
use crate::domain::query::Page;
use crate::http::shared::Shared;

/// The list's query string.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    status: Option<String>,
    agreement: Option<String>,
    app: Option<String>,
    page_no: Option<i64>,
    page_size: Option<i64>,
}

/// One notification as the API shows it.
pub(crate) fn notification_json(n: &StoredNotification) -> Value {
    let t = |t: &Option<_>| t.as_ref().map(format_alipay_datetime);
    let biz: Value = serde_json::from_str(&n.row.biz_content).unwrap_or(Value::Null);
    json!({
        "notify_id": n.row.notify_id,
        "notify_type": n.row.notify_type.as_str(),
        "status": n.status.as_str(),
        "app_id": n.row.app_id,
        "partner_id": n.row.partner_id,
        "agreement_no": n.row.agreement_no,
        "notify_url": n.row.notify_url,
        "url_from_request": n.row.url_from_request,
        "attempts": n.attempts,
        "created_at": format_alipay_datetime(&n.row.created),
        "next_attempt_at": (n.status == NotifyStatus::Pending)
            .then(|| format_alipay_datetime(&n.next_attempt)),
        "last_attempt_at": t(&n.last_attempt),
        "last_error": n.last_error,
        "delivered_at": t(&n.delivered),
        "biz_content": biz,
    })
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AdminError> {
    let Query(q) = query.map_err(|e| AdminError::bad_request(e.body_text()))?;
    let status = non_empty(q.status)
        .map(|s| s.to_ascii_uppercase().parse::<NotifyStatus>())
        .transpose()
        .map_err(|e| AdminError::bad_request(format!("status: {e}")))?;
    let page = Page::new(q.page_no, q.page_size)
        .map_err(|r| AdminError::bad_request(r.sub_msg.to_string()))?;
    let filter = NotificationFilter {
        status,
        agreement_no: non_empty(q.agreement),
        app_id: non_empty(q.app),
    };
    let rows = shared.storage.notifications(filter, page).await?;
    Ok(Json(json!({
        "page_no": page.no,
        "page_size": page.size,
        "notifications": rows.iter().map(notification_json).collect::<Vec<_>>(),
    })))
}

pub(super) async fn redeliver(
    State(shared): State<Arc<Shared>>,
    Path(notify_id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    if !shared.storage.redeliver_notification(&notify_id).await? {
        let shown: String = notify_id.chars().take(64).collect();
        return Err(AdminError::not_found(format!("no notification {shown}")));
    }
    tracing::info!(notify_id = %notify_id, "notification redelivery requested");
    let n = shared
        .storage
        .notification(&notify_id)
        .await?
        .ok_or_else(|| AdminError::not_found("the notification vanished"))?;
    Ok(Json(notification_json(&n)))
}
