//! The operator console (PRODUCT §14): server-rendered HTML under `/admin`, from askama
//! templates (`templates/admin/`, escaping on), one stylesheet, no scripts, a strict CSP.
//!
//! Login takes the admin token (its hash compared in constant time, as the JSON API does) and
//! sets a session cookie `zhima_console=<expiry>.<HMAC-SHA256>`: HttpOnly, SameSite=Strict,
//! Path=/admin. The HMAC key lives in `platform_secrets` (like the view-token key), so every
//! process sharing the database accepts the session. Forms that change something (logout, the
//! sandbox clock) carry a CSRF token, an HMAC of the session value, checked server-side.
//!
//! Every page reads through the JSON API's handlers (same filters, same renderings, so nothing
//! secret is shown) and lays their answer out as tables.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use askama::Template;
use aws_lc_rs::hmac;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::{agreements, apps, audit, clock, events, instances, templates, AdminError};
use crate::bootstrap::admin_token::{hashes_match, token_hash, ADMIN_TOKEN_SECRET};
use crate::domain::clock::Advance;
use crate::error::{Error, Result};
use crate::http::pages::{static_file, versioned_href};
use crate::http::shared::Shared;
use crate::storage::Storage;

/// The session cookie's name.
pub(crate) const COOKIE_NAME: &str = "zhima_console";
/// The `platform_secrets` row holding the session HMAC key (hex).
pub const SESSION_KEY_SECRET: &str = "console_session_key";
/// How long a session lasts.
const SESSION_SECS: i64 = 8 * 3600;

const CSS: &str = include_str!("../../../static/admin.css");
const CSS_PATH: &str = "/admin/static/admin.css";
const JS: &str = include_str!("../../../static/admin.js");
const JS_PATH: &str = "/admin/static/admin.js";
/// Where the dashboard's script polls the live counter.
const RATE_PATH: &str = "/admin/rate.json";
static CSS_HREF: LazyLock<String> = LazyLock::new(|| versioned_href(CSS_PATH, CSS));

/// Scripts, styles and fetches from us only (no inline script); forms post to us only.
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The console's routes.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(CSS_PATH, get(css))
        .route(JS_PATH, get(js))
        .route(RATE_PATH, get(rate))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", axum::routing::post(logout))
        .route("/admin", get(dashboard))
        .route("/admin/", get(dashboard))
        .route("/admin/clock", get(clock_page).post(clock_advance))
        .route("/admin/apps", get(apps_page))
        .route("/admin/apps/{app_id}", get(app_page))
        .route("/admin/templates", get(templates_page))
        .route("/admin/templates/{template_no}", get(template_page))
        .route("/admin/agreements", get(agreements_page))
        .route("/admin/agreements/{agreement_no}", get(agreement_page))
        .route("/admin/events", get(events_page))
        .route("/admin/instances", get(instances_page))
        .route("/admin/instances/{id}", get(instance_page))
        .route("/admin/audit", get(audit_page))
}

// ---------- session ----------

async fn session_key(storage: &Storage) -> Result<[u8; 32]> {
    if storage.secret(SESSION_KEY_SECRET).await?.is_none() {
        let mut fresh = [0u8; 32];
        aws_lc_rs::rand::fill(&mut fresh)
            .map_err(|_| Error::Config("the OS random generator failed".to_owned()))?;
        storage
            .insert_secret_if_absent(SESSION_KEY_SECRET, &hex::encode(fresh))
            .await?;
    }
    let stored = storage
        .secret(SESSION_KEY_SECRET)
        .await?
        .unwrap_or_default();
    let bytes = hex::decode(stored.trim())
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            Error::Config(format!(
                "platform secret {SESSION_KEY_SECRET} is not 64 hex digits"
            ))
        })?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    Ok(key)
}

fn mac(key: &[u8; 32], label: &str, value: &str) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    hex::encode(hmac::sign(&k, format!("{label}|{value}").as_bytes()).as_ref())
}

/// A session value expiring at `exp` (unix seconds).
fn mint_session(key: &[u8; 32], exp: i64) -> String {
    format!("{exp}.{}", mac(key, "session", &exp.to_string()))
}

/// Whether a session value is ours and not expired.
fn session_valid(key: &[u8; 32], value: &str, now: i64) -> bool {
    let Some((exp, tag)) = value.split_once('.') else {
        return false;
    };
    let Ok(exp_n) = exp.parse::<i64>() else {
        return false;
    };
    exp_n > now && hashes_match(&mac(key, "session", exp), tag)
}

/// The CSRF token of a session.
fn csrf_of(key: &[u8; 32], session: &str) -> String {
    mac(key, "csrf", session)
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == COOKIE_NAME)
        .map(|(_, v)| v.to_owned())
}

/// The logged-in session: its key and value (for the CSRF token).
struct Session {
    key: [u8; 32],
    value: String,
}

impl Session {
    fn csrf(&self) -> String {
        csrf_of(&self.key, &self.value)
    }
}

/// The session, or the answer to give instead (a redirect to login, or a failure page).
async fn session(shared: &Shared, headers: &HeaderMap) -> std::result::Result<Session, Response> {
    let key = session_key(&shared.storage).await.map_err(failure)?;
    let now = chrono::Utc::now().timestamp();
    match cookie_value(headers) {
        Some(v) if session_valid(&key, &v, now) => Ok(Session { key, value: v }),
        _ => Err(redirect("/admin/login")),
    }
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut()
        .insert(LOCATION, HeaderValue::from_str(to).expect("ascii path"));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn failure(e: Error) -> Response {
    let e = AdminError::from(e);
    message(e.status, "Error", &e.message)
}

// ---------- rendering ----------

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}

fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn css() -> Response {
    static_file(CSS, "text/css; charset=utf-8", "public, max-age=86400")
}

/// Not versioned in its link: revalidated on every load.
async fn js() -> Response {
    static_file(JS, "text/javascript; charset=utf-8", "no-cache")
}

/// `{"cumulation_syncs": n}`: successful cumulation syncs this process answered (the dashboard
/// turns two readings into events/s).
async fn rate(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(r) = session(&shared, &headers).await {
        return r;
    }
    let n = shared
        .metrics
        .successes(zhima_proto::models::Api::CumulationSync);
    let mut resp = Json(serde_json::json!({ "cumulation_syncs": n })).into_response();
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A table: column names and rows of cell text (links where a cell names a detail page).
pub(super) struct Table {
    pub(super) title: String,
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<Vec<Cell>>,
}

pub(super) struct Cell {
    pub(super) text: String,
    pub(super) href: Option<String>,
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The detail page a cell links to: records named by their key column (`id` only in the
/// instances listing, where it is the instance's).
fn detail_href(table_title: &str, column: &str, text: &str) -> Option<String> {
    let base = match column {
        "agreement_no" => "/admin/agreements",
        "app_id" => "/admin/apps",
        "template_no" => "/admin/templates",
        "id" if table_title == "Instances" => "/admin/instances",
        _ => return None,
    };
    (!text.is_empty()).then(|| format!("{base}/{}", urlencoding(text)))
}

/// Lays out JSON objects (the API's renderings) as a table; key cells (`agreement_no`,
/// `app_id`, `template_no`, an instance's `id`) link to their detail pages.
fn table(title: &str, items: &[Value]) -> Table {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(m) = item {
            for k in m.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let rows = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|c| {
                    let v = item.get(c).unwrap_or(&Value::Null);
                    let text = cell_text(v);
                    let href = detail_href(title, c, &text);
                    Cell { text, href }
                })
                .collect()
        })
        .collect();
    Table {
        title: title.to_owned(),
        columns,
        rows,
    }
}

/// A single object as a two-column table.
fn fields(title: &str, v: &Value) -> Table {
    let rows = match v {
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_array() && !v.is_object())
            .map(|(k, v)| {
                vec![
                    Cell {
                        text: k.clone(),
                        href: None,
                    },
                    Cell {
                        text: cell_text(v),
                        href: None,
                    },
                ]
            })
            .collect(),
        _ => Vec::new(),
    };
    Table {
        title: title.to_owned(),
        columns: vec!["field".to_owned(), "value".to_owned()],
        rows,
    }
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn items(v: &Value) -> &[Value] {
    v.get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The search form of a listing: its fields and their current values.
pub(super) struct SearchField {
    pub(super) name: &'static str,
    pub(super) value: String,
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage<'a> {
    css: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "admin/page.html")]
struct Page<'a> {
    css: &'a str,
    title: &'a str,
    csrf: &'a str,
    action: Option<&'a str>,
    search: Vec<SearchField>,
    notice: Option<String>,
    clock_form: bool,
    live: bool,
    tables: Vec<Table>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    css: &'a str,
    title: &'a str,
    message: &'a str,
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            css: &CSS_HREF,
            title,
            message: text,
        },
    )
}

fn admin_error(e: AdminError) -> Response {
    message(e.status, e.code, &e.message)
}

struct PageParts {
    title: &'static str,
    action: Option<&'static str>,
    search: Vec<SearchField>,
    notice: Option<String>,
    clock_form: bool,
    live: bool,
    tables: Vec<Table>,
    next: Option<String>,
}

impl PageParts {
    fn new(title: &'static str) -> Self {
        PageParts {
            title,
            action: None,
            search: Vec::new(),
            notice: None,
            clock_form: false,
            live: false,
            tables: Vec::new(),
            next: None,
        }
    }
}

fn page(s: &Session, p: PageParts) -> Response {
    let csrf = s.csrf();
    render(
        StatusCode::OK,
        &Page {
            css: &CSS_HREF,
            title: p.title,
            csrf: &csrf,
            action: p.action,
            search: p.search,
            notice: p.notice,
            clock_form: p.clock_form,
            live: p.live,
            tables: p.tables,
            next: p.next,
        },
    )
}

/// A search listing: the form over `names`, the API's answer as a table, a next-page link.
fn listing(
    s: &Session,
    title: &'static str,
    action: &'static str,
    names: &[&'static str],
    uri: &Uri,
    answer: std::result::Result<Json<Value>, AdminError>,
) -> Response {
    let Json(v) = match answer {
        Ok(v) => v,
        Err(e) => return admin_error(e),
    };
    let q: BTreeMap<String, String> = axum::extract::Query::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let search = names
        .iter()
        .map(|n| SearchField {
            name: n,
            value: q.get(*n).cloned().unwrap_or_default(),
        })
        .collect();
    let next = v.get("next_cursor").and_then(Value::as_str).map(|c| {
        let mut params: Vec<String> = q
            .iter()
            .filter(|(k, v)| k.as_str() != "cursor" && !v.is_empty())
            .map(|(k, v)| format!("{}={}", urlencoding(k), urlencoding(v)))
            .collect();
        params.push(format!("cursor={}", urlencoding(c)));
        format!("{action}?{}", params.join("&"))
    });
    let mut p = PageParts::new(title);
    p.action = Some(action);
    p.search = search;
    p.tables = vec![table(title, items(&v))];
    p.next = next;
    page(s, p)
}

/// The query string without empty parameters (an empty search box means no filter).
fn clean(uri: &Uri) -> Uri {
    let q: Vec<(String, String)> = axum::extract::Query::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let kept: Vec<String> = q
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{}={}", urlencoding(&k), urlencoding(v.trim())))
        .collect();
    let s = if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    s.parse().unwrap_or_else(|_| uri.clone())
}

// ---------- handlers ----------

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
}

async fn login_page() -> Response {
    render(
        StatusCode::OK,
        &LoginPage {
            css: &CSS_HREF,
            error: None,
        },
    )
}

async fn login(State(shared): State<Arc<Shared>>, Form(f): Form<LoginForm>) -> Response {
    let stored = match shared.storage.secret(ADMIN_TOKEN_SECRET).await {
        Ok(s) => s,
        Err(e) => return failure(e),
    };
    let ok = matches!(&stored, Some(h) if hashes_match(&token_hash(f.token.trim()), h));
    if !ok {
        tracing::warn!("console: login refused");
        return render(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                css: &CSS_HREF,
                error: Some("The admin token is not valid."),
            },
        );
    }
    let key = match session_key(&shared.storage).await {
        Ok(k) => k,
        Err(e) => return failure(e),
    };
    let exp = chrono::Utc::now().timestamp() + SESSION_SECS;
    let value = mint_session(&key, exp);
    let mut r = redirect("/admin");
    r.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{COOKIE_NAME}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECS}"
        ))
        .expect("ascii cookie"),
    );
    tracing::info!("console: login");
    r
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    by: String,
}

fn csrf_ok(s: &Session, presented: &str) -> bool {
    hashes_match(&s.csrf(), presented)
}

fn csrf_refused() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "The form's CSRF token is missing or not valid; reload the page and try again.",
    )
}

async fn logout(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = match session(&shared, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return csrf_refused();
    }
    let mut r = redirect("/admin/login");
    r.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{COOKIE_NAME}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"
        ))
        .expect("ascii cookie"),
    );
    r
}

macro_rules! session_or_return {
    ($shared:expr, $headers:expr) => {
        match session(&$shared, &$headers).await {
            Ok(s) => s,
            Err(r) => return r,
        }
    };
}

async fn dashboard(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let s = session_or_return!(shared, headers);
    let reading = match shared.storage.clock().await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let mut p = PageParts::new("Dashboard");
    let recent: Uri = "/admin/api/v1/events?limit=20".parse().expect("static uri");
    let errs: Uri = "/admin/api/v1/audit?limit=200".parse().expect("static uri");
    let ev = match events::search(State(shared.clone()), recent).await {
        Ok(Json(v)) => v,
        Err(e) => return admin_error(e),
    };
    let au = match audit::list(State(shared.clone()), errs).await {
        Ok(Json(v)) => v,
        Err(e) => return admin_error(e),
    };
    let failed: Vec<Value> = items(&au)
        .iter()
        .filter(|a| a.get("outcome").and_then(Value::as_str) != Some("10000"))
        .cloned()
        .collect();
    let mut by_sub_code: BTreeMap<String, i64> = BTreeMap::new();
    for a in &failed {
        // The outcome of a failure is its sub_code (or business code).
        let code = cell_text(a.get("outcome").unwrap_or(&Value::Null));
        *by_sub_code.entry(code).or_default() += 1;
    }
    p.live = true;
    p.notice = Some(format!(
        "Business time {} (UTC+8)",
        zhima_proto::time::format_alipay_datetime(&reading.business_time)
    ));
    p.tables = vec![
        table("Latest events", items(&ev)),
        Table {
            title: "Errors by sub_code (latest 200 audit entries)".to_owned(),
            columns: vec!["sub_code".to_owned(), "count".to_owned()],
            rows: by_sub_code
                .into_iter()
                .map(|(k, n)| {
                    vec![
                        Cell {
                            text: k,
                            href: None,
                        },
                        Cell {
                            text: n.to_string(),
                            href: None,
                        },
                    ]
                })
                .collect(),
        },
        table("Latest errors (audit log)", &failed),
    ];
    page(&s, p)
}

async fn clock_page(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let s = session_or_return!(shared, headers);
    let Json(v) = match clock::show(State(shared.clone())).await {
        Ok(v) => v,
        Err(e) => return admin_error(e),
    };
    let mut p = PageParts::new("Sandbox clock");
    p.clock_form = true;
    p.tables = vec![fields("Clock", &v)];
    page(&s, p)
}

async fn clock_advance(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = session_or_return!(shared, headers);
    if !csrf_ok(&s, &f.csrf) {
        return csrf_refused();
    }
    let advance = match Advance::parse(f.by.trim()) {
        Ok(a) => a,
        Err(e) => return message(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("by: {e}")),
    };
    match shared.storage.advance_clock(advance).await {
        Ok(Ok(done)) => {
            tracing::info!(by = %f.by.trim(), expired = done.expired.len(), "console: sandbox clock advanced");
            redirect("/admin/clock")
        }
        Ok(Err(e)) => message(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("by: {e}")),
        Err(e) => failure(e),
    }
}

async fn apps_page(State(shared): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = apps::list(State(shared.clone())).await;
    listing(&s, "Apps", "/admin/apps", &[], &uri, answer)
}

async fn templates_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = templates::list(State(shared.clone())).await;
    listing(&s, "Templates", "/admin/templates", &[], &uri, answer)
}

async fn agreements_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = agreements::list(State(shared.clone()), clean(&uri)).await;
    let names = ["status", "template_no", "partner_id", "user"];
    listing(&s, "Agreements", "/admin/agreements", &names, &uri, answer)
}

async fn events_page(State(shared): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = events::search(State(shared.clone()), clean(&uri)).await;
    let names = [
        "out_biz_no",
        "agreement_no",
        "user",
        "partner_id",
        "from",
        "to",
    ];
    listing(&s, "Events", "/admin/events", &names, &uri, answer)
}

async fn instances_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = instances::list(State(shared.clone()), clean(&uri)).await;
    let names = [
        "service_id",
        "category_code",
        "user_id",
        "out_principal_id",
        "out_biz_no",
    ];
    listing(&s, "Instances", "/admin/instances", &names, &uri, answer)
}

async fn audit_page(State(shared): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = audit::list(State(shared.clone()), clean(&uri)).await;
    let names = ["app_id", "api", "outcome", "from", "to"];
    listing(&s, "Audit log", "/admin/audit", &names, &uri, answer)
}

async fn agreement_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(agreement_no): Path<String>,
) -> Response {
    let s = session_or_return!(shared, headers);
    let uri: Uri = "/admin/api/v1/agreements/x?events=100"
        .parse()
        .expect("static uri");
    let Json(v) = match agreements::show(State(shared.clone()), Path(agreement_no), uri).await {
        Ok(v) => v,
        Err(e) => return admin_error(e),
    };
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut p = PageParts::new("Agreement");
    p.tables = vec![
        fields("Agreement", &v),
        fields("Totals", v.get("totals").unwrap_or(&Value::Null)),
        table("Events", &list("events")),
        table("Settlements", &list("settlements")),
        table("Settlement refunds", &list("settlement_refunds")),
        table("Unfreezes", &list("unfreezes")),
    ];
    page(&s, p)
}

/// A record's page: its fields, then each list it holds (an instance's history) as a table.
fn detail(
    s: &Session,
    title: &'static str,
    answer: std::result::Result<Json<Value>, AdminError>,
) -> Response {
    let Json(v) = match answer {
        Ok(v) => v,
        Err(e) => return admin_error(e),
    };
    let mut p = PageParts::new(title);
    p.tables = vec![fields(title, &v)];
    if let Value::Object(m) = &v {
        for (k, list) in m {
            if let Value::Array(items) = list {
                if items.iter().all(Value::is_object) {
                    p.tables.push(table(k, items));
                }
            }
        }
    }
    page(s, p)
}

async fn app_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Response {
    let s = session_or_return!(shared, headers);
    detail(
        &s,
        "App",
        apps::show(State(shared.clone()), Path(app_id)).await,
    )
}

async fn template_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(template_no): Path<String>,
) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = templates::show(State(shared.clone()), Path(template_no)).await;
    detail(&s, "Template", answer)
}

async fn instance_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = session_or_return!(shared, headers);
    let answer = instances::show(State(shared.clone()), Path(id)).await;
    detail(&s, "Instance", answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_cannot_be_forged() {
        let key = [7u8; 32];
        let v = mint_session(&key, 1000);
        assert!(session_valid(&key, &v, 999));
        assert!(!session_valid(&key, &v, 1000));
        assert!(!session_valid(&[8u8; 32], &v, 999));
        let forged = v.replacen("1000", "9999", 1);
        assert!(!session_valid(&key, &forged, 999));
        assert!(!session_valid(&key, "garbage", 0));
        assert_ne!(csrf_of(&key, &v), csrf_of(&key, &mint_session(&key, 1001)));
    }
}
