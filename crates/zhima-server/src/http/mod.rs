//! The HTTP edge: the v1 gateway, the v3 REST endpoints and the ops probes, on axum.
//!
//! | route | handler |
//! |---|---|
//! | `POST`/`GET /gateway.do` (absolute-form request lines too; other methods get a signed error) | `v1` — always HTTP 200, signed envelope |
//! | `POST /v3/zhima/credit/pe/zmgo/cumulation/sync`, `GET /v3/zhima/merchant/zmgo/cumulate/query`, `GET /v3/zhima/credit/pe/zmgo/agreement/query`, `POST /v3/zhima/credit/pe/zmgo/settle/apply` | `v3` — signed headers, JSON errors |
//! | `GET /healthz` | 200 while the process serves |
//! | `GET /readyz` | 200 when storage answers and no shutdown is under way, else 503 |
//!
//! Handlers are thin: read the body (bounded by [`Settings::body_limit`]) → authenticate
//! (`auth`) → validate and call the domain through storage (`dispatch`) → render. Errors
//! carry a public part (catalog code + message) and a log-only detail (`error`).
//!
//! ```no_run
//! # async fn demo(config: zhima_server::config::Config,
//! #               storage: std::sync::Arc<zhima_server::storage::Storage>) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = zhima_server::http::Server::from_config(&config, storage);
//! server.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod auth;
mod dispatch;
mod error;
mod nonce;
pub mod process;
mod state;
mod v1;
mod v3;

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use tokio::net::TcpListener;
use zhima_proto::models::{Api, HttpMethod};

pub use state::{
    Platform, Settings, DEFAULT_BODY_LIMIT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SHUTDOWN_GRACE,
};

use self::auth::RequestCtx;
use self::error::{ApiError, Fault};
use self::state::Shared;
use crate::config::Config;
use crate::domain::audit::AuditEntry;
use crate::storage::Storage;

/// The HTTP front end of the platform.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    /// A server answering from `storage`, signing with `platform`.
    pub fn new(storage: Arc<Storage>, platform: Platform, settings: Settings) -> Self {
        Server {
            shared: Arc::new(Shared::new(storage, platform, settings)),
        }
    }

    /// A server with the platform key and clock skew of `config` and default limits.
    pub fn from_config(config: &Config, storage: Arc<Storage>) -> Self {
        Server::new(
            storage,
            Platform::from_config(config),
            Settings::from_config(config),
        )
    }

    /// The axum router (for embedding or `tower::ServiceExt::oneshot` tests).
    pub fn router(&self) -> Router {
        let mut router = Router::new()
            // Any HTTP method: the handler answers the unsupported ones in v1 form.
            .route("/gateway.do", any(v1::gateway))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz));
        for &api in Api::ALL {
            if let Some(route) = api.v3_route() {
                router = router.route(route.path, v3_route(api, route.method));
            }
        }
        router
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self.shared.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, lets in-flight
    /// requests finish for up to [`Settings::shutdown_grace`], and returns. Flushing storage
    /// is the caller's last step (the caller owns the storage).
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let shared = self.shared.clone();
        let grace = shared.settings.shutdown_grace;
        let (began_tx, began_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            shared.begin_shutdown();
            tracing::info!("shutting down: no new connections, finishing in-flight requests");
            let _ = began_tx.send(());
        };
        let server = axum::serve(listener, self.router())
            .with_graceful_shutdown(signal)
            .into_future();
        let deadline = async move {
            match began_rx.await {
                Ok(()) => tokio::time::sleep(grace).await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!(grace_secs = grace.as_secs_f64(), "in-flight requests did not finish in time; closing");
                Ok(())
            }
        }
    }
}

/// Serves `config`'s platform on `listener` until `shutdown` completes
/// (see [`Server::serve`]).
pub async fn serve<F>(
    config: &Config,
    storage: Arc<Storage>,
    listener: TcpListener,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    Server::from_config(config, storage)
        .serve(listener, shutdown)
        .await
}

fn v3_route(api: Api, method: HttpMethod) -> MethodRouter<Arc<Shared>> {
    let handler =
        move |State(shared): State<Arc<Shared>>, req: Request| v3::endpoint(shared, api, req);
    match method {
        HttpMethod::Get => get(handler),
        HttpMethod::Post => post(handler),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready = not shutting down and storage answers a read.
async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match shared.storage.app("").await {
        Ok(_) => "ready\n".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: storage does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable\n").into_response()
        }
    }
}

async fn not_found(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if parts.uri.path().starts_with("/v3/") {
        return v3::unknown_route(&shared, &parts, StatusCode::NOT_FOUND);
    }
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

async fn method_not_allowed(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if parts.uri.path().starts_with("/v3/") {
        return v3::unknown_route(&shared, &parts, StatusCode::METHOD_NOT_ALLOWED);
    }
    (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response()
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    /// More than the limit (declared or streamed).
    TooLarge,
    /// The client's stream broke; nobody is left to read an answer.
    Broken(String),
}

/// Reads a whole body, refusing more than `limit` bytes without reading them.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut body = std::pin::pin!(body);
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Logs a finished request and queues its audit entry (never keys, signatures or bodies).
pub(crate) fn record(
    shared: &Shared,
    ctx: &RequestCtx,
    app_id: Option<String>,
    method: String,
    outcome: &str,
    error: Option<&ApiError>,
) {
    let latency_us = ctx.latency_us();
    let detail = error.and_then(|e| e.log.as_deref()).unwrap_or("");
    match error.map(|e| &e.fault) {
        Some(Fault::System) => {
            tracing::error!(trace_id = %ctx.trace_id, app_id = app_id.as_deref().unwrap_or(""), %method, outcome, latency_us, detail, "request failed")
        }
        Some(_) => {
            tracing::info!(trace_id = %ctx.trace_id, app_id = app_id.as_deref().unwrap_or(""), %method, outcome, latency_us, detail, "request rejected")
        }
        None => {
            tracing::info!(trace_id = %ctx.trace_id, app_id = app_id.as_deref().unwrap_or(""), %method, outcome, latency_us, "request ok")
        }
    }
    let entry = AuditEntry {
        at: ctx.now,
        app_id,
        method,
        outcome: outcome.to_owned(),
        latency_us,
    };
    let storage = shared.storage.clone();
    tokio::spawn(async move { storage.append_audit(entry).await });
}
