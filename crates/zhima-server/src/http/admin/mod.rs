//! The JSON admin API under `/admin/api/v1/` (PRODUCT §14): bearer auth with the admin token
//! (its SHA-256 compared in constant time with the one in `platform_secrets`, so every process
//! sharing the database accepts it) and one error shape for every failure:
//!
//! ```json
//! {"error": {"code": "UNAUTHORIZED", "message": "…"}}
//! ```
//!
//! | code | HTTP |
//! |---|---|
//! | `UNAUTHORIZED` | 401 (with `WWW-Authenticate: Bearer`) |
//! | `BAD_REQUEST` | 400 |
//! | `NOT_FOUND` | 404 |
//! | `UNAVAILABLE` | 503 (the database cannot be reached) |
//! | `INTERNAL` | 500 (detail only in the log) |
//!
//! | file | routes |
//! |---|---|
//! | `clock.rs` | `GET /admin/api/v1/clock`, `POST /admin/api/v1/clock/advance` |
//! | `view_links.rs` | `POST /admin/api/v1/view-links` (links to consumer pages: cards, state-sync instances) |
//! | `apps.rs` | `GET/POST /apps`, `GET /apps/{app_id}`, `POST /apps/{app_id}/enable`, `…/disable`, `PUT /apps/{app_id}/public-key` |
//! | `tokens.rs` | `GET/POST /tokens`, `DELETE /tokens/{prefix}` |
//! | `templates.rs` | `GET/POST /templates`, `GET/PUT /templates/{template_no}` |
//! | `agreements.rs` | `GET /agreements` (filters, cursor), `GET/PUT /agreements/{agreement_no}` (with its ledger) |
//! | `records.rs` | `GET/POST /trades`, `GET /admittance`, `PUT /admittance/{user_id}` |
//! | `machines.rs` | `GET /machines`, `GET/PUT /machines/{service_id}` |
//! | `events.rs` | `GET /events` (search, cursor) |
//! | `instances.rs` | `GET /instances` (search, cursor), `GET /instances/{id}` (with history) |
//! | `audit.rs` | `GET /audit` (filters, cursor) |
//! | `console.rs` | the HTML console under `/admin` (login, session cookie, CSRF, pages over these handlers) |
//!
//! Every listing answers `{"items": [...], "next_cursor": …}`: pass `next_cursor` back as
//! `cursor` for the next page (`limit` 1–500, default 50). Edits go through the same rules
//! and upsert as the configuration file (`domain::records`); a refused edit is a 400 whose
//! message starts with the field's name, and writes nothing.
//! | `notifications.rs` | `GET /admin/api/v1/notifications`, `POST /admin/api/v1/notifications/{notify_id}/redeliver` |

mod agreements;
mod apps;
mod audit;
mod clock;
pub(crate) mod console;
mod events;
mod instances;
mod machines;
mod notifications;
mod records;
mod render;
mod templates;
mod tokens;
mod view_links;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::json;

use axum::http::Uri;
use zhima_proto::money::Fen;
use zhima_proto::time::parse_alipay_datetime;

use super::shared::Shared;
use crate::bootstrap::admin_token::{hashes_match, token_hash, ADMIN_TOKEN_SECRET};
use crate::domain::admin;
use crate::domain::entities::Time;
use crate::domain::records::EditError;
use crate::error::Error;
use crate::storage::Edit;

/// Where the admin API lives.
pub(crate) const PREFIX: &str = "/admin/api/v1";

/// Largest admin request body.
const BODY_LIMIT: usize = 64 * 1024;

/// The admin routes (to be merged into the server's router), all behind bearer auth.
pub(crate) fn router(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route(&format!("{PREFIX}/clock"), get(clock::show))
        .route(&format!("{PREFIX}/clock/advance"), post(clock::advance))
        .route(&format!("{PREFIX}/view-links"), post(view_links::create))
        .route(
            &format!("{PREFIX}/apps"),
            get(apps::list).post(apps::create),
        )
        .route(&format!("{PREFIX}/apps/{{app_id}}"), get(apps::show))
        .route(
            &format!("{PREFIX}/apps/{{app_id}}/enable"),
            post(apps::enable),
        )
        .route(
            &format!("{PREFIX}/apps/{{app_id}}/disable"),
            post(apps::disable),
        )
        .route(
            &format!("{PREFIX}/apps/{{app_id}}/public-key"),
            put(apps::set_key),
        )
        .route(
            &format!("{PREFIX}/tokens"),
            get(tokens::list).post(tokens::create),
        )
        .route(
            &format!("{PREFIX}/tokens/{{prefix}}"),
            delete(tokens::revoke),
        )
        .route(
            &format!("{PREFIX}/templates"),
            get(templates::list).post(templates::create),
        )
        .route(
            &format!("{PREFIX}/templates/{{template_no}}"),
            get(templates::show).put(templates::update),
        )
        .route(&format!("{PREFIX}/agreements"), get(agreements::list))
        .route(
            &format!("{PREFIX}/agreements/{{agreement_no}}"),
            get(agreements::show).put(agreements::put),
        )
        .route(
            &format!("{PREFIX}/trades"),
            get(records::trades).post(records::put_trade),
        )
        .route(&format!("{PREFIX}/admittance"), get(records::admittance))
        .route(
            &format!("{PREFIX}/admittance/{{user_id}}"),
            put(records::set_admittance),
        )
        .route(&format!("{PREFIX}/machines"), get(machines::list))
        .route(
            &format!("{PREFIX}/machines/{{service_id}}"),
            get(machines::show).put(machines::put),
        )
        .route(&format!("{PREFIX}/events"), get(events::search))
        .route(&format!("{PREFIX}/instances"), get(instances::list))
        .route(&format!("{PREFIX}/instances/{{id}}"), get(instances::show))
        .route(&format!("{PREFIX}/audit"), get(audit::list))
        .route(&format!("{PREFIX}/notifications"), get(notifications::list))
        .route(
            &format!("{PREFIX}/notifications/{{notify_id}}/redeliver"),
            post(notifications::redeliver),
        )
        .route_layer(middleware::from_fn_with_state(shared, require_token))
}

/// An admin API failure, rendered as the one JSON error shape.
#[derive(Debug)]
pub(crate) struct AdminError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl AdminError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        AdminError {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message: message.into(),
        }
    }

    fn unauthorized(message: &str) -> Self {
        AdminError {
            status: StatusCode::UNAUTHORIZED,
            code: "UNAUTHORIZED",
            message: message.to_owned(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        AdminError {
            status: StatusCode::NOT_FOUND,
            code: "NOT_FOUND",
            message: message.into(),
        }
    }

    pub(crate) fn method_not_allowed() -> Self {
        AdminError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "METHOD_NOT_ALLOWED",
            message: "this admin route does not take that HTTP method".to_owned(),
        }
    }
}

/// Storage failures: the detail goes to the log only.
impl From<Error> for AdminError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unavailable(detail) => {
                tracing::warn!(error = %detail, "admin API: storage unavailable");
                AdminError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "UNAVAILABLE",
                    message: "the database cannot be reached; try again".to_owned(),
                }
            }
            other => {
                tracing::error!(error = %other, "admin API: internal error");
                AdminError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "INTERNAL",
                    message: "internal error; see the server log".to_owned(),
                }
            }
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
        }
        response
    }
}

/// Answers an unknown `/admin/api/…` path in the admin error shape.
pub(crate) fn unknown_route(path: &str, status: StatusCode) -> Response {
    if status == StatusCode::METHOD_NOT_ALLOWED {
        return AdminError::method_not_allowed().into_response();
    }
    let shown: String = path.chars().take(200).collect();
    AdminError::not_found(format!("no admin API route {shown}")).into_response()
}

/// Whether `path` belongs to the admin API (its unknown routes answer in its error shape).
pub(crate) fn is_admin_api_path(path: &str) -> bool {
    path == "/admin/api" || path.starts_with("/admin/api/")
}

/// Bearer auth: `Authorization: Bearer <token>` whose SHA-256 equals the stored hash.
async fn require_token(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Result<Response, AdminError> {
    let presented = bearer(req.headers()).ok_or_else(|| {
        AdminError::unauthorized("send the admin token as `Authorization: Bearer <token>` (zhima serve prints where its file is)")
    })?;
    let stored = shared.storage.secret(ADMIN_TOKEN_SECRET).await?;
    match stored {
        Some(h) if hashes_match(&token_hash(presented), &h) => Ok(next.run(req).await),
        Some(_) => Err(AdminError::unauthorized("the admin token is not valid")),
        None => Err(AdminError::unauthorized(
            "no admin token is set up yet: start `zhima serve` once to generate one",
        )),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Reads the query string into `T` (a struct with `deny_unknown_fields`); an unknown or
/// malformed parameter is a 400 that names it.
pub(crate) fn query_params<T: DeserializeOwned>(uri: &Uri) -> Result<T, AdminError> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| AdminError::bad_request(format!("query: {}", e.body_text())))
}

/// A page size from `limit` (400 naming `limit` when out of range).
pub(crate) fn limit_param(limit: Option<i64>) -> Result<i64, AdminError> {
    admin::limit_of(limit).map_err(|e| AdminError::bad_request(format!("limit: {e}")))
}

/// A numeric cursor (400 naming `cursor` otherwise).
pub(crate) fn int_cursor(cursor: Option<&str>) -> Result<Option<i64>, AdminError> {
    cursor
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                AdminError::bad_request("cursor: must be the next_cursor of a previous page")
            })
        })
        .transpose()
}

/// A `yyyy-MM-dd HH:mm:ss` (UTC+8) time parameter or body field.
pub(crate) fn time_param(field: &str, value: Option<&str>) -> Result<Option<Time>, AdminError> {
    value
        .map(|v| {
            parse_alipay_datetime(v).map_err(|_| {
                AdminError::bad_request(format!("{field}: must be yyyy-MM-dd HH:mm:ss (UTC+8)"))
            })
        })
        .transpose()
}

/// A yuan amount (`"3.57"`) field.
pub(crate) fn yuan(field: &str, value: &str) -> Result<Fen, AdminError> {
    Fen::parse_yuan(value).map_err(|e| AdminError::bad_request(format!("{field}: {e}")))
}

/// An edit's outcome as the API answers it: 400 naming the field, or 404.
pub(crate) fn edited<T>(edit: Edit<T>) -> Result<T, AdminError> {
    edit.map_err(|e| match e {
        EditError::Invalid(f) => AdminError::bad_request(f.to_string()),
        EditError::NotFound(what) => AdminError::not_found(what),
    })
}

/// Reads a JSON body into `T`; any problem is a 400 that says what was wrong.
pub(crate) async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, AdminError> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        AdminError::bad_request(format!(
            "the body must be JSON of at most {BODY_LIMIT} bytes"
        ))
    })?;
    // The path of a mistyped field leads the message, so it names the field.
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            AdminError::bad_request(format!("the body is not the expected JSON: {inner}"))
        } else {
            AdminError::bad_request(format!(
                "{path}: the body is not the expected JSON: {inner}"
            ))
        }
    })
}
