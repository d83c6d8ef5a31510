//! `GET /c/instances/{service_id}/{category_code}/{out_principal_id}?user_id=…&t=…`: a
//! state-sync instance's current state and history (PRODUCT §13). Like the card, the token
//! (over all four key parts) is checked before anything is read, and every refusal is the
//! same 403 page.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::views::{forbidden, render, unavailable, InstancePage};
use super::CSS_HREF;
use crate::bootstrap::view_key::view_token_key;
use crate::domain::instance_view::{instance_view, StateStep};
use crate::domain::view_token::{self, instance_subject, PageKind};
use crate::http::shared::Shared;
use crate::storage::InstanceKey;

/// Where instance pages live (`/c/instances/{service_id}/{category_code}/{out_principal_id}`).
pub(crate) const INSTANCE_PREFIX: &str = "/c/instances";

/// `?user_id=…&t=…`.
#[derive(Deserialize)]
pub(super) struct InstanceQuery {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    t: String,
}

/// The instance page.
pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path((service_id, category_code, out_principal_id)): Path<(String, String, String)>,
    Query(q): Query<InstanceQuery>,
) -> Response {
    let key = match view_token_key(&shared.storage).await {
        Ok(k) => k,
        Err(e) => return unavailable(&e),
    };
    let subject = instance_subject(&service_id, &category_code, &q.user_id, &out_principal_id);
    let now = chrono::Utc::now().timestamp();
    if view_token::verify(&key, PageKind::StateInstance, &subject, &q.t, now).is_err() {
        return forbidden();
    }
    let instance_key = InstanceKey {
        service_id,
        category_code,
        user_id: q.user_id,
        out_principal_id,
    };
    let history = match shared.storage.state_instance(&instance_key).await {
        Ok(Some(h)) => h,
        Ok(None) => return forbidden(),
        Err(e) => return unavailable(&e),
    };
    let services = match shared.storage.state_services().await {
        Ok(s) => s,
        Err(e) => return unavailable(&e),
    };
    let category = services
        .iter()
        .find(|s| s.service_id == instance_key.service_id)
        .and_then(|s| {
            s.categories
                .iter()
                .find(|c| c.code == instance_key.category_code)
        });
    let steps: Vec<StateStep> = history
        .events
        .into_iter()
        .map(|e| StateStep {
            from_state: e.from_state,
            to_state: e.to_state,
            at: e.received_at,
            biz_data: e.biz_data,
        })
        .collect();
    let view = instance_view(
        &instance_key.category_code,
        category,
        &instance_key.out_principal_id,
        &history.current_state,
        &steps,
    );
    render(
        StatusCode::OK,
        &InstancePage {
            css: &CSS_HREF,
            view: &view,
        },
    )
}
