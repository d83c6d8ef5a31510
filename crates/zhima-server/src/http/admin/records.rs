//! The smaller configured records: Alipay trades the sandbox knows (`[[zmgo.trades]]`) and
//! users' Zhima GO admittance (`[[zmgo.users]]`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{edited, json_body, render, yuan, AdminError};
use crate::domain::entities::Trade;
use crate::domain::preorder::ZmgoUser;
use crate::http::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TradeBody {
    trade_no: String,
    buyer_user_id: String,
    seller_partner_id: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdmittanceBody {
    admitted: bool,
}

pub(super) async fn trades(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, AdminError> {
    let all = shared.storage.trades().await?;
    Ok(Json(
        json!({"items": all.iter().map(render::trade).collect::<Vec<_>>()}),
    ))
}

/// Creates or replaces a trade.
pub(super) async fn put_trade(
    State(shared): State<Arc<Shared>>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let b: TradeBody = json_body(body).await?;
    let trade = Trade {
        amount: yuan("amount", &b.amount)?,
        trade_no: b.trade_no,
        buyer_user_id: b.buyer_user_id,
        seller_partner_id: b.seller_partner_id,
    };
    let t = edited(shared.storage.admin_put_trade(trade).await?)?;
    tracing::info!(trade_no = %t.trade_no, "admin: trade upserted");
    Ok(Json(render::trade(&t)))
}

fn user(u: &ZmgoUser) -> Value {
    json!({"user_id": u.user_id, "admitted": u.admitted})
}

/// Users with a declared admittance (users not listed are admitted).
pub(super) async fn admittance(
    State(shared): State<Arc<Shared>>,
) -> Result<Json<Value>, AdminError> {
    let all = shared.storage.zmgo_users().await?;
    Ok(Json(
        json!({"items": all.iter().map(user).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn set_admittance(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let AdmittanceBody { admitted } = json_body(body).await?;
    let u = edited(
        shared
            .storage
            .admin_set_admittance(ZmgoUser { user_id, admitted })
            .await?,
    )?;
    tracing::info!(admitted = u.admitted, "admin: user admittance set");
    Ok(Json(user(&u)))
}
