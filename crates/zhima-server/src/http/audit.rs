//! The record of a finished request: one log line and one audit-log entry.

use super::auth::RequestCtx;
use super::error::{ApiError, Fault};
use super::log_safe;
use super::shared::Shared;
use crate::domain::audit::AuditEntry;
use crate::metrics::Channel;

/// Logs a finished request, counts it in `/metrics` and queues its audit entry (never keys,
/// signatures or bodies).
///
/// `app_id` and `label` must already be validated or bounded (see `log_safe`); every value
/// is logged as a `?` field so that it cannot break the line.
pub(crate) fn record(
    shared: &Shared,
    ctx: &RequestCtx,
    channel: Channel,
    app_id: Option<String>,
    label: String,
    outcome: &str,
    error: Option<&ApiError>,
) {
    let latency_us = ctx.latency_us();
    super::metrics::observe(
        shared,
        channel,
        &label,
        error.map(|_| outcome),
        ctx.started.elapsed(),
    );
    let detail = error
        .and_then(|e| e.log.as_deref())
        .map(|d| log_safe::bounded(d, log_safe::MAX_DETAIL_CHARS));
    let detail = detail.as_deref().unwrap_or("");
    let app = app_id.as_deref().unwrap_or("");
    match error.map(|e| &e.fault) {
        Some(Fault::System | Fault::Unavailable) => {
            tracing::error!(trace_id = %ctx.trace_id, app_id = ?app, method = ?label, outcome, latency_us, detail = ?detail, "request failed")
        }
        Some(_) => {
            tracing::info!(trace_id = %ctx.trace_id, app_id = ?app, method = ?label, outcome, latency_us, detail = ?detail, "request rejected")
        }
        None => {
            tracing::info!(trace_id = %ctx.trace_id, app_id = ?app, method = ?label, outcome, latency_us, "request ok")
        }
    }
    let entry = AuditEntry {
        at: ctx.now,
        app_id,
        method: label,
        outcome: outcome.to_owned(),
        latency_us,
    };
    shared.storage.append_audit(entry);
}
