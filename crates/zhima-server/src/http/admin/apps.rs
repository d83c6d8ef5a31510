//! Apps: list, show, create, enable/disable, rotate the request-verification key. Keys go in
//! as public key text (SPKI or PKCS#1 PEM, or bare base64) and come out as fingerprints; a
//! private key is refused, and no AES key is ever shown (`encrypt_key_set` only).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use zhima_proto::SignType;

use super::{edited, json_body, render, AdminError};
use crate::domain::admin::AppView;
use crate::domain::entities::App;
use crate::domain::records;
use crate::http::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    app_id: String,
    partner_id: String,
    public_key: String,
    #[serde(default)]
    sign_types: Option<Vec<String>>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    encrypt_key: Option<String>,
    #[serde(default)]
    notify_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    public_key: String,
}

fn sign_types(names: Option<Vec<String>>) -> Result<Vec<SignType>, AdminError> {
    match names {
        None => Ok(vec![SignType::Rsa2, SignType::Rsa]),
        Some(names) => names
            .iter()
            .map(|n| {
                n.parse::<SignType>().map_err(|_| {
                    AdminError::bad_request(format!("sign_types: {n:?} is not RSA2 or RSA"))
                })
            })
            .collect(),
    }
}

fn key_pem(text: &str) -> Result<String, AdminError> {
    records::public_key_pem("public_key", text).map_err(|e| AdminError::bad_request(e.to_string()))
}

fn shown(app: &App) -> Json<Value> {
    Json(render::app(&AppView::from(app)))
}

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, AdminError> {
    let apps = shared.storage.app_views().await?;
    Ok(Json(
        json!({"items": apps.iter().map(render::app).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let app = shared
        .storage
        .app(&app_id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("no app {}", clip(&app_id))))?;
    Ok(shown(&app))
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let b: CreateBody = json_body(body).await?;
    let app = App {
        public_key_pem: key_pem(&b.public_key)?,
        sign_types: sign_types(b.sign_types)?,
        app_id: b.app_id,
        partner_id: b.partner_id,
        app_cert_sn: None,
        encrypt_key: b.encrypt_key.filter(|k| !k.is_empty()),
        enabled: b.enabled.unwrap_or(true),
        notify_url: b.notify_url.filter(|u| !u.is_empty()),
    };
    let app = edited(shared.storage.admin_create_app(app).await?)?;
    tracing::info!(app_id = %app.app_id, "admin: app created");
    Ok(shown(&app))
}

async fn set_enabled(
    shared: &Shared,
    app_id: &str,
    enabled: bool,
) -> Result<Json<Value>, AdminError> {
    let app = edited(
        shared
            .storage
            .admin_update_app(app_id, |a| a.enabled = enabled)
            .await?,
    )?;
    tracing::info!(app_id = %app.app_id, enabled, "admin: app enabled/disabled");
    Ok(shown(&app))
}

pub(super) async fn enable(
    State(shared): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    set_enabled(&shared, &app_id, true).await
}

pub(super) async fn disable(
    State(shared): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    set_enabled(&shared, &app_id, false).await
}

/// Replaces the app's key (rotation; certificate mode ends: the key is now given directly).
pub(super) async fn set_key(
    State(shared): State<Arc<Shared>>,
    Path(app_id): Path<String>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let KeyBody { public_key } = json_body(body).await?;
    let pem = key_pem(&public_key)?;
    let app = edited(
        shared
            .storage
            .admin_update_app(&app_id, move |a| {
                a.public_key_pem = pem;
                a.app_cert_sn = None;
            })
            .await?,
    )?;
    tracing::info!(app_id = %app.app_id, "admin: app key rotated");
    Ok(shown(&app))
}

/// An id echoed in a message, bounded.
pub(super) fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}
