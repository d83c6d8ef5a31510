//! Agreements: a filtered, keyset-paginated listing; one agreement with its ledger (totals,
//! newest events, settlements, settlement refunds, unfreezes); and create/replace as
//! `[[zmgo.agreements]]` declares one (a status set at run time — settled, expired,
//! unsigned — is kept).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::apps::clip;
use super::{edited, json_body, limit_param, query_params, render, time_param, AdminError};
use crate::domain::admin::AgreementFilter;
use crate::domain::entities::{Agreement, AgreementStatus};
use crate::http::shared::Shared;

/// Events an agreement's page shows by default (`events` query parameter).
const DEFAULT_EVENTS: i64 = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    template_no: Option<String>,
    partner_id: Option<String>,
    user: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShowQuery {
    events: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    template_no: String,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    open_id: Option<String>,
    partner_id: String,
    #[serde(default)]
    status: Option<String>,
    start_time: String,
    end_time: String,
    /// The app whose `notify_url` gets this agreement's notifications.
    #[serde(default)]
    app_id: Option<String>,
}

fn status(s: &str) -> Result<AgreementStatus, AdminError> {
    s.parse()
        .map_err(|_| AdminError::bad_request(format!("status: {:?} is not Y, P or N", clip(s))))
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let q: ListQuery = query_params(&uri)?;
    let filter = AgreementFilter {
        status: q.status.as_deref().map(status).transpose()?,
        template_no: q.template_no,
        partner_id: q.partner_id,
        user: q.user,
        after: q.cursor,
    };
    let page = shared
        .storage
        .find_agreements(filter, limit_param(q.limit)?)
        .await?;
    Ok(Json(render::listing(&page, render::agreement)))
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(agreement_no): Path<String>,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let q: ShowQuery = query_params(&uri)?;
    let events = match q.events {
        None => DEFAULT_EVENTS,
        Some(n) => limit_param(Some(n))
            .map_err(|_| AdminError::bad_request("events: must be between 1 and 500"))?,
    };
    let ledger = shared
        .storage
        .agreement_ledger(&agreement_no, events)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("no agreement {}", clip(&agreement_no))))?;
    let mut out = render::agreement(&ledger.agreement);
    out["totals"] = render::totals(&ledger.totals);
    out["events"] = ledger.events.iter().map(render::event).collect();
    out["more_events"] = json!(ledger.more_events);
    out["settlements"] = ledger.settlements.iter().map(render::settlement).collect();
    out["settlement_refunds"] = ledger
        .settlement_refunds
        .iter()
        .map(render::settlement_refund)
        .collect();
    out["unfreezes"] = ledger.unfreezes.iter().map(render::unfreeze).collect();
    Ok(Json(out))
}

pub(super) async fn put(
    State(shared): State<Arc<Shared>>,
    Path(agreement_no): Path<String>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let b: PutBody = json_body(body).await?;
    let required = |field: &str, v: Option<&str>| {
        time_param(field, v)?
            .ok_or_else(|| AdminError::bad_request(format!("{field}: is required")))
    };
    let agreement = Agreement {
        agreement_no,
        template_no: b.template_no,
        user_id: b.user_id.filter(|s| !s.is_empty()),
        open_id: b.open_id.filter(|s| !s.is_empty()),
        partner_id: b.partner_id,
        status: b
            .status
            .as_deref()
            .map(status)
            .transpose()?
            .unwrap_or(AgreementStatus::Valid),
        start_time: required("start_time", Some(&b.start_time))?,
        end_time: required("end_time", Some(&b.end_time))?,
        quit: None,
        app_id: b.app_id.filter(|s| !s.is_empty()),
    };
    let a = edited(shared.storage.admin_put_agreement(agreement).await?)?;
    tracing::info!(agreement_no = %a.agreement_no, "admin: agreement upserted");
    let stored = shared
        .storage
        .agreement(&a.agreement_no)
        .await?
        .unwrap_or(a);
    Ok(Json(render::agreement(&stored)))
}
