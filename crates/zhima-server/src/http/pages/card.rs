//! `GET /c/agreements/{agreement_no}?t=<view token>`: the consumer's Zhima GO card. The token
//! is checked before anything of the agreement is read, and every refusal (forged, expired,
//! another agreement's, unknown agreement) is the same 403 page that names nothing.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::views::{forbidden, render, unavailable, CardPage};
use super::CSS_HREF;
use crate::bootstrap::view_key::view_token_key;
use crate::domain::card;
use crate::domain::view_token::{self, PageKind};
use crate::http::shared::Shared;

/// Where the cards live (`/c/agreements/{agreement_no}`).
pub(crate) const CARD_PREFIX: &str = "/c/agreements";

/// History lines shown (newest first).
const HISTORY_LINES: i64 = 50;

/// `?t=…`.
#[derive(Deserialize)]
pub(super) struct CardQuery {
    #[serde(default)]
    t: String,
}

/// The card page.
pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(agreement_no): Path<String>,
    Query(q): Query<CardQuery>,
) -> Response {
    let key = match view_token_key(&shared.storage).await {
        Ok(k) => k,
        Err(e) => return unavailable(&e),
    };
    let now = chrono::Utc::now().timestamp();
    if view_token::verify(&key, PageKind::AgreementCard, &agreement_no, &q.t, now).is_err() {
        return forbidden();
    }
    let data = match shared
        .storage
        .agreement_card(&agreement_no, HISTORY_LINES)
        .await
    {
        Ok(Some(d)) => d,
        Ok(None) => return forbidden(),
        Err(e) => return unavailable(&e),
    };
    let card = card::card(&data, &shared.storage.business_now());
    render(
        StatusCode::OK,
        &CardPage {
            css: &CSS_HREF,
            card: &card,
        },
    )
}
