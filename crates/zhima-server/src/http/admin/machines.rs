//! State machines: the state-sync services as configured (`[[state_sync.services]]`, the
//! same JSON shape), and create/replace one — compiled first (JSON Schemas included), so a
//! machine that does not compile is refused and nothing changes.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::apps::clip;
use super::{edited, json_body, AdminError};
use crate::domain::state_sync::ServiceConfig;
use crate::http::shared::Shared;

fn service(s: &ServiceConfig) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, AdminError> {
    let all = shared.storage.state_services().await?;
    Ok(Json(
        json!({"items": all.iter().map(service).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(service_id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let found = shared
        .storage
        .state_services()
        .await?
        .into_iter()
        .find(|s| s.service_id == service_id)
        .ok_or_else(|| AdminError::not_found(format!("no service {}", clip(&service_id))))?;
    Ok(Json(service(&found)))
}

pub(super) async fn put(
    State(shared): State<Arc<Shared>>,
    Path(service_id): Path<String>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let mut svc: ServiceConfig = json_body(body).await?;
    if svc.service_id.is_empty() {
        svc.service_id = service_id.clone();
    }
    if svc.service_id != service_id {
        return Err(AdminError::bad_request(
            "service_id: differs from the one in the path",
        ));
    }
    let s = edited(shared.storage.admin_put_service(svc).await?)?;
    tracing::info!(service_id = %s.service_id, "admin: state machine upserted");
    Ok(Json(service(&s)))
}
