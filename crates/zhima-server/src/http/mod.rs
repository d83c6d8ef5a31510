//! The HTTP edge: the v1 gateway, the v3 REST endpoints and the ops probes, on axum.
//!
//! | route | handler |
//! |---|---|
//! | `POST`/`GET /gateway.do` (absolute-form request lines too; other methods get a signed error) | `v1` — always HTTP 200, signed envelope |
//! | `POST /v3/zhima/credit/pe/zmgo/cumulation/sync`, `GET /v3/zhima/merchant/zmgo/cumulate/query`, `GET /v3/zhima/credit/pe/zmgo/agreement/query`, `POST /v3/zhima/credit/pe/zmgo/settle/apply` | `v3` — signed headers, JSON errors |
//! | `GET /v3/openapi.json` | `openapi` — the OpenAPI 3.1 description of the v3 routes (no auth, ETag) |
//! | `GET /healthz` | 200 while the process serves |
//! | `GET /metrics` | Prometheus text format, unauthenticated, no request values (`metrics`) |
//! | `GET /readyz` | 200 when storage answers and no shutdown is under way, else 503 |
//! | `/admin/api/v1/…` | `admin` — JSON admin API, bearer admin token, one JSON error shape |
//! | `GET /c/agreements/{agreement_no}`, `GET /c/instances/{service_id}/{category_code}/{out_principal_id}`, `GET /c/static/zhima.css`, `GET /c/static/favicon.svg` (and `/favicon.ico`), `POST /c/sign/confirm`, `POST /c/sign/decline` (and sign.apply via `/gateway.do`) | `pages` — the consumer pages (HTML) |
//!
//! While serving, an expiry sweep runs every second ([`Settings::expiry_sweep_every`]): `Y`
//! agreements whose end has passed on the sandbox clock move to `P` (PRODUCT §11); and an
//! audit retention sweep every hour ([`Settings::audit_sweep_every`]) deletes audit entries
//! older than `[server] audit_retention_days`; and the notification worker
//! ([`crate::notify::Worker`], [`Settings::notify`]) delivers the outbox.
//!
//! Handlers are thin: read the body (bounded by [`Settings::body_limit`]) → authenticate
//! (`auth`) → validate and call the domain through storage (`dispatch`) → render. Errors
//! carry a public part (catalog code + message) and a log-only detail (`error`).
//!
//! | file | what it owns |
//! |---|---|
//! | `connections.rs` | the accept thread (its own, with a deep backlog): header-read timeout, connection cap, graceful shutdown |
//! | `body.rs` | reading the body within the size and time limits, and whose fault a failure is |
//! | `v1.rs`, `v3.rs` | the protocol handlers: parameters, checks in order, the signed answer |
//! | `openapi.rs` | the OpenAPI document of the v3 routes, generated from the route table and the models |
//! | `admission.rs` | at most `max_in_flight` API requests at once, a queue bounded in time and length (beyond: the signed overload answer, from a signature cache), per-app rate limits |
//! | `auth.rs` | app lookup, timestamp window, app auth token, cert SN, AES content keys |
//! | `dispatch.rs` | the business model validated (zhima-proto) and handed to storage |
//! | `error.rs` | `ApiError`: what the caller sees vs what only the log gets |
//! | `catch_panic.rs` | a panicking handler still answers (signed system error), the connection survives |
//! | `audit.rs` | one log line and one audit-log entry per request |
//! | `log_safe.rs` | request values bounded, validated and masked before they are logged |
//! | `metrics.rs` | `GET /metrics`, the in-flight gauge, one count per audited request |
//! | `admin/` | the admin API: auth, error shape, one file per resource (`clock.rs`) |
//! | `pages/` | consumer HTML pages (askama templates in `templates/`): sign.apply's signing page, the Zhima GO card, the state-sync instance page |
//! | `shared.rs` | what every handler shares: storage, platform key, [`Settings`] |
//!
//! ```no_run
//! # async fn demo(config: zhima_server::config::Config,
//! #               storage: std::sync::Arc<zhima_server::storage::Storage>) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = zhima_server::http::Server::from_config(&config, storage);
//! server.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod admin;
mod admission;
mod audit;
mod auth;
mod body;
mod catch_panic;
mod connections;
mod dispatch;
mod dispatch_agreements;
mod error;
mod log_safe;
mod pages;

mod metrics;
pub mod openapi;
mod shared;
mod v1;
mod v3;

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put, MethodRouter};
use axum::Router;
use tokio::net::TcpListener;
use zhima_proto::models::{Api, HttpMethod};

pub use shared::{
    Platform, Settings, DEFAULT_AUDIT_SWEEP_EVERY, DEFAULT_BODY_LIMIT, DEFAULT_EXPIRY_SWEEP_EVERY,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_QUEUE_WAIT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SHUTDOWN_GRACE,
};

/// The sign.apply page fuzz target's entry (not API).
#[doc(hidden)]
pub use self::v1::fuzz_sign_apply_page;

use self::shared::Shared;
use crate::config::Config;
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
            .route(V1_PATH, any(v1::gateway))
            .route(openapi::PATH, get(openapi::serve))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz));
        for &api in Api::ALL {
            if let Some(route) = api.v3_route() {
                router = router.route(route.path, v3_route(api, route.method));
            }
        }
        router
            .merge(admin::router(self.shared.clone()))
            .merge(admin::console::router())
            .merge(pages::router())
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(axum::middleware::from_fn_with_state(
                self.shared.clone(),
                catch_panic::catch_panic,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.shared.clone(),
                metrics::track_in_flight,
            ))
            // After the layer: a scrape is not a request in flight.
            .route("/metrics", get(metrics::metrics))
            .with_state(self.shared.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, lets in-flight
    /// requests finish for up to [`Settings::shutdown_grace`], and returns. Flushing storage
    /// is the caller's last step (the caller owns the storage). Connections are bounded as
    /// [`Settings`] says (see the `connections` module).
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let shared = self.shared.clone();
        let settings = &shared.settings;
        let limits = connections::ConnectionLimits {
            header_read_timeout: settings.header_read_timeout,
            max_connections: settings.max_connections,
            shutdown_grace: settings.shutdown_grace,
        };
        let signal = async {
            shutdown.await;
            shared.begin_shutdown();
        };
        let sweeper = shared
            .storage
            .spawn_expiry_sweeper(settings.expiry_sweep_every);
        let audit_flusher = shared
            .storage
            .spawn_audit_flusher(settings.audit_flush_every);
        let audit_pruner = shared
            .storage
            .spawn_audit_pruner(settings.audit_retention_days, settings.audit_sweep_every);
        let notifier = if settings.notify.enabled {
            let worker = crate::notify::Worker::new(
                shared.storage.clone(),
                shared.platform.key.clone(),
                settings.notify.clone(),
                shared.metrics.notify.clone(),
            )
            .map_err(std::io::Error::other)?;
            Some(worker.spawn())
        } else {
            None
        };
        let served = connections::serve(listener, self.router(), limits, signal).await;
        if let Some(n) = notifier {
            n.abort();
        }
        sweeper.abort();
        audit_flusher.abort();
        // What the last requests queued is written before serving ends.
        if let Err(e) = shared.storage.flush_audit().await {
            tracing::warn!(error = %e, "audit entries not written at shutdown");
        }
        if let Some(pruner) = audit_pruner {
            pruner.abort();
        }
        served
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
        HttpMethod::Put => put(handler),
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

/// The v1 gateway's path.
pub(crate) const V1_PATH: &str = "/gateway.do";

/// A path that means the v3 surface, however many slashes lead it (`//v3/…` included):
/// unknown ones get a signed v3 error, not a plain-text 404.
fn is_v3_path(path: &str) -> bool {
    path.trim_start_matches('/').starts_with("v3/")
}

async fn not_found(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if is_v3_path(parts.uri.path()) {
        return v3::unknown_route(&shared, &parts, StatusCode::NOT_FOUND);
    }
    if admin::is_admin_api_path(parts.uri.path()) {
        return admin::unknown_route(parts.uri.path(), StatusCode::NOT_FOUND);
    }
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

async fn method_not_allowed(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if is_v3_path(parts.uri.path()) {
        return v3::unknown_route(&shared, &parts, StatusCode::METHOD_NOT_ALLOWED);
    }
    if admin::is_admin_api_path(parts.uri.path()) {
        return admin::unknown_route(parts.uri.path(), StatusCode::METHOD_NOT_ALLOWED);
    }
    (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn v3_paths_are_recognised_with_extra_slashes() {
        assert!(super::is_v3_path("/v3/x"));
        assert!(super::is_v3_path("//v3/zhima/x"));
        assert!(!super::is_v3_path("/gateway.do"));
        assert!(!super::is_v3_path("/v3x"));
    }
}
