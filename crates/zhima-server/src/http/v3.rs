//! The v3 REST endpoints (PROTOCOL §B, PRODUCT §3).
//!
//! `Authorization: ALIPAY-SHA256withRSA …` is verified over the raw request-target (path and
//! query exactly as received) and the raw body; a nonce is accepted once per skew window.
//! Success is HTTP 200 with the bare response model; errors are
//! `{"code","message","links":[{"link","desc"}]}` with the catalog's HTTP status. Every
//! response, error or not, carries `alipay-timestamp`/`alipay-nonce`/`alipay-signature`
//! (+ `alipay-sn` in cert mode) and `alipay-trace-id`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use zhima_proto::aes::AesKey;
use zhima_proto::catalog::{self, CumulationCode, GatewaySubCode, V3ErrorCode};
use zhima_proto::models::Api;
use zhima_proto::time::{now_alipay, parse_epoch_millis, to_epoch_millis};
use zhima_proto::v3::{self, Authorization};

use super::audit::record;
use super::auth::{self, RequestCtx};
use super::body::with_body;
use super::dispatch::{dispatch, Input, Success};
use super::error::{ApiError, Fault, GatewayFault};
use super::log_safe::{self, is_plausible_app_id};
use super::shared::Shared;
use crate::domain::entities::Time;
use crate::error::BizCode;

/// What the answer needs besides the result.
#[derive(Default)]
struct Answer {
    /// Cert-mode request: answer with `alipay-sn`.
    cert_mode: bool,
    /// Decrypted AES request: a success body is encrypted with this key.
    aes: Option<AesKey>,
    app_id: Option<String>,
}

/// Handles one v3 route.
pub(crate) async fn endpoint(shared: Arc<Shared>, api: Api, req: Request) -> Response {
    let ctx = RequestCtx::new(shared.storage.cached_clock());
    let (parts, body) = req.into_parts();
    let Some(_slot) = shared.admission.enter().await else {
        return overloaded(&shared, &ctx, &parts, body).await;
    };
    let mut answer = Answer {
        cert_mode: parts.headers.contains_key(v3::HEADER_ROOT_CERT_SN),
        ..Answer::default()
    };
    let result = with_body(&shared, body, |body| {
        handle(&shared, &ctx, api, &parts, body, &mut answer)
    })
    .await;
    let status = result.as_ref().map_or_else(status_of, |_| StatusCode::OK);
    respond(&shared, &ctx, &answer, label(&parts), result, status)
}

/// `METHOD /path` for the log and the audit, bounded.
fn label(parts: &Parts) -> String {
    label_of(&parts.method, parts.uri.path())
}

fn label_of(method: &axum::http::Method, path: &str) -> String {
    let label = format!("{method} {path}");
    log_safe::bounded(&label, log_safe::MAX_LABEL_CHARS).into_owned()
}

/// The signed overload answer: 503 `SYSTEM_ERROR` with `Retry-After` (see `admission`). No
/// check runs and nothing is written; the signed body (its trace id included) is shared by
/// every refusal of the same second, so a refusal costs no RSA signature.
async fn overloaded(
    shared: &Shared,
    ctx: &RequestCtx,
    parts: &Parts,
    body: axum::body::Body,
) -> Response {
    // Read what the client sends (bounded) so that it reads the answer, not a reset.
    let _ = with_body(shared, body, |b| async move { Ok(b) }).await;
    let cert_mode = parts.headers.contains_key(v3::HEADER_ROOT_CERT_SN)
        || authorization(&parts.headers).is_ok_and(|a| a.fields.app_cert_sn.is_some());
    let label = label(parts);
    let e = ApiError::overloaded();
    super::metrics::observe(
        shared,
        crate::metrics::Channel::V3,
        &label,
        Some(&e.outcome()),
        ctx.started.elapsed(),
    );
    tracing::debug!(trace_id = %ctx.trace_id, method = ?label, "refused: max_in_flight requests in flight");
    let refusal = shared.admission.v3_refusal(cert_mode, || {
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let body = serde_json::to_string(&v3::ErrorBody::new(
            CumulationCode::SystemError.as_str(),
            super::admission::OVERLOADED_MSG,
            &trace_id,
        ))
        .expect("strings serialise");
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let sn = shared.platform.sn_for(cert_mode);
        let now_ms = to_epoch_millis(&now_alipay());
        let headers = v3::sign_response(&shared.platform.key, now_ms, &nonce, &body, sn)?;
        Ok::<_, zhima_proto::Error>(super::admission::V3Refusal {
            made: std::time::Instant::now(),
            body: body.into(),
            trace_id: trace_id.into(),
            headers: Arc::new(headers),
        })
    });
    let refusal = match refusal {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(trace_id = %ctx.trace_id, error = %e, "cannot sign a v3 response");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot sign the response",
            )
                .into_response();
        }
    };
    signed_reply(
        StatusCode::SERVICE_UNAVAILABLE,
        refusal.body.to_string(),
        &refusal.headers,
        &refusal.trace_id,
    )
}

/// Answers an unknown `/v3/…` path or method in the v3 error format.
pub(crate) fn unknown_route(shared: &Shared, parts: &Parts, status: StatusCode) -> Response {
    let ctx = RequestCtx::new(shared.storage.cached_clock());
    let answer = Answer {
        cert_mode: parts.headers.contains_key(v3::HEADER_ROOT_CERT_SN),
        ..Answer::default()
    };
    let label = label(parts);
    let err = ApiError::gateway_msg(
        GatewayFault::InvalidMethod,
        format!("不存在的接口: {label}"),
    );
    respond(shared, &ctx, &answer, label, Err(err), status)
}

/// The signed answer to a request whose handler panicked (`catch_panic.rs`): 500
/// `SYSTEM_ERROR`.
pub(crate) fn panicked(
    shared: &Shared,
    method: &axum::http::Method,
    path: &str,
    cert_mode: bool,
) -> Response {
    let ctx = RequestCtx::new(shared.storage.cached_clock());
    let answer = Answer {
        cert_mode,
        ..Answer::default()
    };
    let label = label_of(method, path);
    let err = ApiError::system("the handler panicked");
    respond(
        shared,
        &ctx,
        &answer,
        label,
        Err(err),
        StatusCode::INTERNAL_SERVER_ERROR,
    )
}

async fn handle(
    shared: &Shared,
    ctx: &RequestCtx,
    api: Api,
    parts: &Parts,
    body: Bytes,
    answer: &mut Answer,
) -> Result<Success, ApiError> {
    use GatewayFault as F;
    let body = std::str::from_utf8(&body).map_err(|e| {
        ApiError::gateway_msg(F::InvalidEncoding, "请求报文必须是UTF-8编码").log(e.to_string())
    })?;
    let auth = authorization(&parts.headers)?;
    let fields = &auth.fields;
    if !is_plausible_app_id(&fields.app_id) {
        return Err(ApiError::gateway_msg(
            F::InvalidParameter,
            "app_id参数不合法：最长32个字母或数字",
        ));
    }
    answer.app_id = Some(fields.app_id.clone());
    answer.cert_mode |= fields.app_cert_sn.is_some();
    let app = auth::load_app(shared, &fields.app_id).await?;
    let ts = parse_epoch_millis(&fields.timestamp)
        .map_err(|e| ApiError::gateway(F::InvalidTimestamp).log(e.to_string()))?;
    auth::check_window(shared, &ts, &ctx.now)?;
    let token = header(&parts.headers, v3::HEADER_APP_AUTH_TOKEN);
    let partner_id = auth::acting_partner(shared, &app.app, token, &ctx.now).await?;
    auth::check_app_cert_sn(&app.app, fields.app_cert_sn.as_deref())?;
    let method = parts.method.as_str();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    if auth
        .verify(&app.keys.public, method, target, body, token)
        .is_err()
    {
        let content = auth.sign_content(method, target, body, token);
        let masked = auth.sign_content(method, target, body, token.map(|_| log_safe::MASK));
        tracing::debug!(trace_id = %ctx.trace_id, string_to_sign = ?masked, "v3 string-to-sign");
        return Err(ApiError::gateway_msg(
            F::InvalidSignature,
            format!("{}{content}", catalog::INVALID_SIGNATURE_SUB_MSG_PREFIX),
        )
        .log(format!(
            "signature does not verify with app {}'s public key (SHA-256 fingerprint {})",
            fields.app_id,
            app.keys.public.fingerprint()
        )));
    }
    check_nonce(shared, ctx, &fields.app_id, &fields.nonce, &ts).await?;
    // After the nonce: a replayed request spends nothing of the app's quota.
    shared.admission.check_rate(&fields.app_id)?;
    let plain;
    let body = match header(&parts.headers, v3::HEADER_ENCRYPT_TYPE) {
        None => body,
        Some(encrypt_type) => {
            let key = auth::content_key(&app, encrypt_type)?;
            plain = auth::decrypt(&key, body)?;
            answer.aes = Some(key);
            plain.as_str()
        }
    };
    let input = if parts.method == Method::GET {
        let query = parts.uri.query().unwrap_or("");
        Input::Query(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    } else {
        Input::Json(body)
    };
    dispatch(
        shared,
        api,
        input,
        auth::caller(&app.app, partner_id, ctx, None),
    )
    .await
}

/// Parses the `Authorization` header.
fn authorization(headers: &HeaderMap) -> Result<Authorization, ApiError> {
    let value = header(headers, AUTHORIZATION.as_str()).ok_or_else(|| {
        ApiError::gateway(GatewayFault::MissingSignature).log("no Authorization header")
    })?;
    Authorization::parse(value).map_err(|e| match e {
        zhima_proto::Error::MissingSignature => ApiError::gateway(GatewayFault::MissingSignature),
        other => ApiError::gateway_msg(
            GatewayFault::InvalidSignature,
            format!("Authorization格式错误: {other}"),
        ),
    })
}

/// Accepts a nonce once while its timestamp is inside the window, across every process that
/// shares the storage.
async fn check_nonce(
    shared: &Shared,
    ctx: &RequestCtx,
    app_id: &str,
    nonce: &str,
    ts: &Time,
) -> Result<(), ApiError> {
    let skew_ms = shared.settings.clock_skew.num_milliseconds();
    let fresh = shared
        .storage
        .check_nonce(
            app_id,
            nonce,
            to_epoch_millis(ts).saturating_add(skew_ms),
            to_epoch_millis(&ctx.now),
        )
        .await?;
    if fresh {
        Ok(())
    } else {
        Err(
            ApiError::gateway_msg(GatewayFault::InvalidSignature, "nonce reused").log(format!(
                "app {app_id} reused nonce {nonce} within the timestamp window"
            )),
        )
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// The HTTP status of an error.
fn status_of(e: &ApiError) -> StatusCode {
    let code = match &e.fault {
        Fault::Gateway {
            kind: GatewayFault::BodyTooLarge,
            ..
        } => 413,
        Fault::Gateway { kind, .. } => kind.v3().http_status(),
        Fault::Business(r) => match r.code {
            BizCode::Cumulation(c) => c.http_status(),
            BizCode::Zmdata(_) => 400,
        },
        Fault::System => CumulationCode::SystemError.http_status(),
        Fault::Unavailable => 503,
    };
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The HTTP statuses a v3 error answer may have ([`status_of`] and the overload answer).
pub(crate) const ERROR_STATUSES: [u16; 7] = [400, 401, 403, 413, 429, 500, 503];

/// Every error `code` an answer with HTTP `status` may carry: the inverse of [`status_of`],
/// for the OpenAPI description. State-sync codes are absent: that API has no v3 route.
pub(crate) fn codes_with_status(status: u16) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = V3ErrorCode::iter()
        .filter(|c| c.http_status() == status)
        .map(V3ErrorCode::as_str)
        .chain(
            CumulationCode::iter()
                .filter(|c| c.http_status() == status)
                .map(CumulationCode::as_str),
        )
        .collect();
    match status {
        413 => codes.push(GatewayFault::BodyTooLarge.v3().as_str()),
        // Storage unavailable and the overload answer.
        503 => codes.push(CumulationCode::SystemError.as_str()),
        _ => {}
    }
    codes
}

fn error_body(e: &ApiError, trace_id: &str) -> String {
    let (code, message): (&str, &str) = match &e.fault {
        Fault::Gateway { kind, msg } => {
            let code = kind.v3();
            (
                code.as_str(),
                msg.as_deref().unwrap_or(code.default_message()),
            )
        }
        Fault::Business(r) => (r.code.as_str(), &r.sub_msg),
        Fault::System => (
            CumulationCode::SystemError.as_str(),
            CumulationCode::SystemError.default_message(),
        ),
        Fault::Unavailable => (
            CumulationCode::SystemError.as_str(),
            GatewaySubCode::IspUnknowError.default_message(),
        ),
    };
    serde_json::to_string(&v3::ErrorBody::new(code, message, trace_id)).expect("strings serialise")
}

fn respond(
    shared: &Shared,
    ctx: &RequestCtx,
    answer: &Answer,
    label: String,
    result: Result<Success, ApiError>,
    status: StatusCode,
) -> Response {
    let outcome = result.as_ref().map_or_else(ApiError::outcome, |_| {
        catalog::GatewayCode::Success.as_str().to_owned()
    });
    record(
        shared,
        ctx,
        crate::metrics::Channel::V3,
        answer.app_id.clone(),
        label,
        &outcome,
        result.as_ref().err(),
    );
    let body = match &result {
        Ok(success) => {
            let json = serde_json::to_string(success).expect("response models serialise");
            match &answer.aes {
                Some(key) => key.encrypt(json.as_bytes()),
                None => json,
            }
        }
        Err(e) => error_body(e, &ctx.trace_id),
    };
    let now_ms = to_epoch_millis(&now_alipay());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let sn = shared.platform.sn_for(answer.cert_mode);
    let signed = match v3::sign_response(&shared.platform.key, now_ms, &nonce, &body, sn) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(trace_id = %ctx.trace_id, error = %e, "cannot sign a v3 response");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot sign the response",
            )
                .into_response();
        }
    };
    signed_reply(status, body, &signed, &ctx.trace_id)
}

/// The response with its signature headers; 429 and 503 also say when to retry.
fn signed_reply(
    status: StatusCode,
    body: String,
    signed: &v3::ResponseHeaders,
    trace_id: &str,
) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("content-type", "application/json;charset=utf-8");
    put(v3::HEADER_TIMESTAMP, &signed.timestamp);
    put(v3::HEADER_NONCE, &signed.nonce);
    put(v3::HEADER_SIGNATURE, &signed.signature);
    if let Some(sn) = &signed.sn {
        put(v3::HEADER_SN, sn);
    }
    put(v3::HEADER_TRACE_ID, trace_id);
    if matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        put(
            "retry-after",
            &super::admission::RETRY_AFTER_SECS.to_string(),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Rejection;

    #[test]
    fn error_bodies_have_code_message_and_one_link() {
        let e = ApiError::from(Rejection {
            code: CumulationCode::InvalidCumulateType.into(),
            sub_msg: "累计类型不合法".into(),
        });
        assert_eq!(
            error_body(&e, "0b12"),
            r#"{"code":"INVALID_CUMULATE_TYPE","message":"累计类型不合法","links":[{"link":"https://open.alipay.com/api/errCheck?traceId=0b12","desc":"解决方案"}]}"#
        );
        assert_eq!(status_of(&e), StatusCode::BAD_REQUEST);
        let e = ApiError::gateway_msg(GatewayFault::InvalidSignature, "nonce reused");
        assert!(error_body(&e, "t")
            .starts_with(r#"{"code":"invalid-signature","message":"nonce reused""#));
        assert_eq!(status_of(&e), StatusCode::UNAUTHORIZED);
        let e = ApiError::system("disk on fire");
        assert!(!error_body(&e, "t").contains("disk"));
        assert_eq!(status_of(&e), StatusCode::INTERNAL_SERVER_ERROR);
        let e = ApiError::from(Rejection::new(CumulationCode::RequestAccessIllegal, "x"));
        assert_eq!(status_of(&e), StatusCode::FORBIDDEN);
    }

    #[test]
    fn every_error_code_has_a_described_status() {
        for c in V3ErrorCode::iter() {
            assert!(ERROR_STATUSES.contains(&c.http_status()), "{c}");
            assert!(codes_with_status(c.http_status()).contains(&c.as_str()));
        }
        for c in CumulationCode::iter() {
            assert!(ERROR_STATUSES.contains(&c.http_status()), "{c}");
            assert!(codes_with_status(c.http_status()).contains(&c.as_str()));
        }
        let too_large = ApiError::gateway(GatewayFault::BodyTooLarge);
        assert_eq!(status_of(&too_large), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(codes_with_status(413), ["invalid-parameter"]);
        let unavailable = ApiError {
            fault: Fault::Unavailable,
            log: None,
        };
        assert_eq!(status_of(&unavailable), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(codes_with_status(503), ["SYSTEM_ERROR"]);
    }
}
