//! The sandbox clock (PRODUCT §11): `GET /admin/api/v1/clock` shows it,
//! `POST /admin/api/v1/clock/advance {"by":"30d"}` moves business time forward and sweeps the
//! agreements that expire. Times are `yyyy-MM-dd HH:mm:ss` in UTC+8.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use zhima_proto::time::format_alipay_datetime;

use super::{json_body, AdminError};
use crate::domain::clock::{Advance, ClockReading};
use crate::http::shared::Shared;

/// `{"by": "30d"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    by: String,
}

fn reading_json(r: &ClockReading) -> Value {
    json!({
        "offset_ms": r.clock.offset_ms,
        "business_time": format_alipay_datetime(&r.business_time),
        "real_time": format_alipay_datetime(&r.real_time),
        "timezone": "UTC+8",
    })
}

pub(super) async fn show(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, AdminError> {
    let reading = shared.storage.clock().await?;
    Ok(Json(reading_json(&reading)))
}

pub(super) async fn advance(
    State(shared): State<Arc<Shared>>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let AdvanceBody { by } = json_body(body).await?;
    let advance = Advance::parse(&by).map_err(|e| AdminError::bad_request(format!("by: {e}")))?;
    let done = shared
        .storage
        .advance_clock(advance)
        .await?
        .map_err(|e| AdminError::bad_request(format!("by: {e}")))?;
    tracing::info!(
        by = %by,
        offset_ms = done.reading.clock.offset_ms,
        expired = done.expired.len(),
        "sandbox clock advanced"
    );
    let mut out = reading_json(&done.reading);
    out["advanced_by_ms"] = json!(advance.ms);
    out["expired"] = json!(done.expired.len());
    out["expired_agreements"] = done
        .expired
        .iter()
        .map(|e| {
            json!({
                "agreement_no": e.agreement_no,
                "withhold_plan_no": e.quit.withhold_plan_no,
                "quit_type": e.quit.quit_type,
            })
        })
        .collect();
    Ok(Json(out))
}
