//! A handler that panics still answers. The caller gets its protocol's signed system error
//! (v1 `40004 SYSTEM_ERROR`, or `20000 aop.unknow-error` without a method; v3 500
//! `SYSTEM_ERROR`), any other route a plain 500, and the connection stays usable. Without
//! this layer the panic ends the connection's task and the caller sees a reset, no answer.
//!
//! The panic's message reaches stderr through the panic hook, like any panic's; the log gets
//! the route only (a message may quote request data).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use super::shared::Shared;
use super::{is_v3_path, log_safe, v1, v3, V1_PATH};

/// The layer's function (`axum::middleware::from_fn_with_state`).
pub(crate) async fn catch_panic(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    // What the answer needs, kept before the request moves (cheap: no header map copy).
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let cert_mode = req
        .headers()
        .contains_key(zhima_proto::v3::HEADER_ROOT_CERT_SN);
    if let Ok(response) = AssertUnwindSafe(next.run(req)).catch_unwind().await {
        return response;
    }
    let path = uri.path();
    tracing::error!(
        method = %method,
        path = %log_safe::bounded(path, log_safe::MAX_LABEL_CHARS),
        "a handler panicked; answered as a system error"
    );
    if path == V1_PATH {
        v1::panicked(&shared, uri.query().unwrap_or(""))
    } else if is_v3_path(path) {
        v3::panicked(&shared, &method, path, cert_mode)
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::body::{to_bytes, Body};
    use axum::routing::{any, get, post};
    use axum::Router;
    use tower::ServiceExt;
    use zhima_proto::v1::Charset;
    use zhima_proto::{v3, SignType};

    use super::*;
    use crate::storage::{SqliteOptions, Storage};

    async fn boom() -> Response {
        panic!("a handler bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_gets_its_caller_a_signed_system_error() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::bootstrap::bootstrap_default(dir.path()).unwrap();
        let storage = Storage::open_sqlite(&SqliteOptions::in_dir(dir.path()))
            .await
            .unwrap();
        let server = crate::http::Server::from_config(&config, Arc::new(storage));
        let shared = server.shared.clone();
        let app = Router::new()
            .route(V1_PATH, any(boom))
            .route("/v3/x", post(boom))
            .route("/page", get(boom))
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                catch_panic,
            ))
            .with_state(shared);
        let platform = config.platform.private_key.public_key();
        let call = |req: axum::http::Request<Body>| {
            let app = app.clone();
            async move {
                let resp = app.oneshot(req).await.expect("answered");
                let status = resp.status();
                let headers = resp.headers().clone();
                let body = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
                (status, headers, String::from_utf8(body.to_vec()).unwrap())
            }
        };

        // v1: signed as the query asks, in the method's node.
        let method = "zhima.credit.pe.zmgo.cumulation.sync";
        let (status, _, body) = call(
            axum::http::Request::post(format!(
                "{V1_PATH}?method={method}&charset=UTF-8&sign_type=RSA2"
            ))
            .body(Body::from("biz_content=%7B%7D"))
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let node = zhima_proto::v1::verify_response(
            &body,
            method,
            &platform,
            SignType::Rsa2,
            Charset::Utf8,
            None,
        )
        .expect("a signed v1 answer");
        let node: serde_json::Value = serde_json::from_str(&node.node_json).unwrap();
        assert_eq!(node["code"], "40004", "{node}");
        assert_eq!(node["sub_code"], "SYSTEM_ERROR", "{node}");

        // v3: a signed 500.
        let (status, headers, body) = call(
            axum::http::Request::post("/v3/x")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let header = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
        v3::verify_response(
            &platform,
            header(v3::HEADER_TIMESTAMP),
            header(v3::HEADER_NONCE),
            header(v3::HEADER_SIGNATURE),
            None,
            None,
            &body,
        )
        .expect("a signed v3 answer");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["code"], "SYSTEM_ERROR", "{error}");
        assert!(
            !body.contains("a handler bug"),
            "the panic is not shown: {body}"
        );

        // Anything else: a plain 500.
        let (status, _, body) = call(
            axum::http::Request::get("/page")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "internal error\n");
    }
}
