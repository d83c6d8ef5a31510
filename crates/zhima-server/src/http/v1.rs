//! `POST|GET /gateway.do`: the v1 gateway (PROTOCOL §A, PRODUCT §3).
//!
//! Always HTTP 200, other HTTP methods included (they get a signed `isv.invalid-parameter`). Every answer is signed with the request's `sign_type` (RSA2 when it named
//! none we know) in the request's `charset`; errors sit in the `<method>_response` node, and
//! the method-less `error_response` is used only when `method` is missing. The checks run in
//! the order of [`check`]; the first failure decides the answer. Page methods (sign.apply) pass
//! the same checks and are answered with HTML by `pages`, their failures included.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhima_proto::aes::AesKey;
use zhima_proto::catalog::{self, CumulationCode, GatewayCode, GatewaySubCode, ZmdataCode};
use zhima_proto::models::Api;
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::v1::{self, Charset, GatewayParams, ResponseNode, ERROR_RESPONSE_KEY};
use zhima_proto::SignType;

use super::audit::record;
use super::auth::{self, RequestCtx};
use super::body::with_body;
use super::dispatch::{dispatch, Input, Success};
use super::error::{ApiError, Fault, GatewayFault};
use super::log_safe::{self, is_echoable_method, is_plausible_app_id};
use super::pages;
use super::shared::Shared;
use crate::domain::entities::Caller;
use crate::error::{BizCode, Rejection};

/// The only `version` the gateway knows.
const VERSION: &str = v1::VERSION;

/// How the answer is written; refined as the request is read, so that even a request we
/// could not read gets the best-signed answer possible.
#[derive(Default)]
struct Envelope {
    /// `method`, when sent (the node is `<method>_response`); `None` → `error_response`.
    method: Option<String>,
    sign_type: SignType,
    charset: Charset,
    /// The request carried `app_cert_sn` / `alipay_root_cert_sn`: answer with `alipay_cert_sn`.
    cert_mode: bool,
    /// Set once an AES request was decrypted: the answer node is encrypted with it.
    aes: Option<AesKey>,
    /// For the audit log.
    app_id: Option<String>,
    /// Whether any parameters were read into it yet.
    read: bool,
}

impl Envelope {
    /// Takes method, sign type, charset and cert mode from whatever parameters are readable.
    fn refine(&mut self, p: &GatewayParams) {
        self.read = true;
        // Only values within the protocol's limits are echoed, logged or audited.
        self.method = p
            .get_non_empty("method")
            .filter(|m| is_echoable_method(m))
            .map(str::to_owned);
        self.sign_type = p
            .get_non_empty("sign_type")
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        self.charset = p
            .get_non_empty("charset")
            .and_then(|c| Charset::from_label(c).ok())
            .unwrap_or_default();
        self.cert_mode = p.get_non_empty("app_cert_sn").is_some()
            || p.get_non_empty("alipay_root_cert_sn").is_some();
        self.app_id = p
            .get_non_empty("app_id")
            .filter(|a| is_plausible_app_id(a))
            .map(str::to_owned);
    }

    fn api(&self) -> Option<Api> {
        self.method.as_deref().and_then(Api::from_v1_method)
    }
}

/// The gateway handler.
pub(crate) async fn gateway(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let ctx = RequestCtx::new(shared.storage.cached_clock());
    let (parts, body) = req.into_parts();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let mut env = Envelope::default();
    let Some(_slot) = shared.admission.enter().await else {
        return overloaded(&shared, &ctx, &parts, &query, body, env).await;
    };
    let checked = with_body(&shared, body, |body| {
        handle(&shared, &ctx, &parts, &query, body, &mut env)
    })
    .await;
    // The body could not be read (too large, too slow): answer as the query asks.
    if !env.read {
        env.refine(&lossy_params(query.as_bytes(), b""));
    }
    // A page method answers with HTML, its failures too (after the same checks).
    if let Some(api) = env.api().filter(|a| a.is_page_method()) {
        let page = pages::PageRequest {
            api,
            http_method: &parts.method,
            app_id: env.app_id.clone(),
            label: env.method.clone().unwrap_or_default(),
        };
        return pages::v1_page(&shared, &ctx, page, checked).await;
    }
    let result = match checked {
        Ok(c) => dispatch(&shared, c.api, Input::Json(&c.biz_content), c.caller).await,
        Err(e) => Err(e),
    };
    if let Err(ApiError {
        fault:
            Fault::Gateway {
                kind: GatewayFault::BodyTooLarge,
                ..
            },
        ..
    }) = &result
    {
        if env.method.is_none() {
            return too_large(&ctx, shared.settings.body_limit);
        }
    }
    respond(&shared, &ctx, &env, result)
}

/// Reads the parameters and runs the checks; `env` learns how to answer as it goes.
async fn handle(
    shared: &Shared,
    ctx: &RequestCtx,
    parts: &Parts,
    query: &str,
    body: Bytes,
    env: &mut Envelope,
) -> Result<Checked, ApiError> {
    let (params, charset_error) = match GatewayParams::parse(
        query.as_bytes(),
        &body,
        content_type_charset(&parts.headers),
    ) {
        Ok(p) => (p, None),
        // Keep going with a lossy reading so that earlier checks still decide first.
        Err(e) => (lossy_params(query.as_bytes(), &body), Some(e.to_string())),
    };
    env.refine(&params);
    // Every v1 answer is a signed HTTP 200, an unsupported HTTP method's too; nothing runs.
    if ![Method::GET, Method::HEAD, Method::POST].contains(&parts.method) {
        return Err(ApiError::gateway_msg(
            GatewayFault::InvalidParameter,
            format!(
                "不支持的HTTP方法{}，请使用POST或GET",
                log_safe::bounded(parts.method.as_str(), log_safe::MAX_LABEL_CHARS)
            ),
        ));
    }
    // Form fields in multipart parts would be read as garbage and end in a confusing
    // invalid-signature; none of these APIs uploads files.
    if is_multipart(&parts.headers) {
        return Err(ApiError::gateway_msg(
            GatewayFault::InvalidParameter,
            "不支持Content-Type multipart/form-data，请使用application/x-www-form-urlencoded",
        ));
    }
    check(shared, ctx, &params, charset_error, env).await
}

/// A request that passed every gateway check: what the business call (or the page) needs.
pub(crate) struct Checked {
    pub(crate) api: Api,
    /// `biz_content`, decrypted.
    pub(crate) biz_content: String,
    pub(crate) caller: Caller,
    /// The `return_url` public parameter (page methods), as sent.
    pub(crate) return_url: Option<String>,
}

/// The checks of PRODUCT §3 in order.
async fn check(
    shared: &Shared,
    ctx: &RequestCtx,
    p: &GatewayParams,
    charset_error: Option<String>,
    env: &mut Envelope,
) -> Result<Checked, ApiError> {
    use GatewayFault as F;
    let require =
        |key: &str, fault: F| p.get_non_empty(key).ok_or_else(|| ApiError::gateway(fault));
    let method = require("method", F::MissingMethod)?;
    if !is_echoable_method(method) {
        return Err(ApiError::gateway_msg(
            F::InvalidParameter,
            "method参数不合法：最长128个可打印ASCII字符",
        ));
    }
    let app_id = require("app_id", F::MissingAppId)?;
    if !is_plausible_app_id(app_id) {
        return Err(ApiError::gateway_msg(
            F::InvalidParameter,
            "app_id参数不合法：最长32个字母或数字",
        ));
    }
    let app = auth::load_app(shared, app_id).await?;
    let sign_type: SignType = require("sign_type", F::MissingSignatureType)?
        .parse()
        .map_err(|e| ApiError::gateway(F::InvalidSignatureType).log(format!("{e}")))?;
    if !app.app.sign_types.contains(&sign_type) {
        return Err(ApiError::gateway(F::MissingSignatureConfig).log(format!(
            "app {app_id} does not accept sign_type {sign_type}"
        )));
    }
    require("sign", F::MissingSignature)?;
    let timestamp = require("timestamp", F::MissingTimestamp)?;
    let ts = parse_alipay_datetime(timestamp)
        .map_err(|e| ApiError::gateway(F::InvalidTimestamp).log(e.to_string()))?;
    auth::check_window(shared, &ts, &ctx.now)?;
    if require("version", F::MissingVersion)? != VERSION {
        return Err(ApiError::gateway_msg(F::InvalidVersion, "version只支持1.0"));
    }
    if let Some(detail) = charset_error {
        return Err(ApiError::gateway(F::InvalidCharset).log(detail));
    }
    if p.get_non_empty("format")
        .is_some_and(|f| !f.eq_ignore_ascii_case("json"))
    {
        return Err(ApiError::gateway(F::InvalidFormat));
    }
    let partner_id = auth::acting_partner(
        shared,
        &app.app,
        p.get_non_empty("app_auth_token"),
        &ctx.now,
    )
    .await?;
    auth::check_app_cert_sn(&app.app, p.get_non_empty("app_cert_sn"))?;
    if v1::verify_request(p, &app.keys.public).is_err() {
        let content = p.sign_content();
        let masked = log_safe::v1_sign_content_masked(p.iter());
        tracing::debug!(trace_id = %ctx.trace_id, string_to_sign = ?masked, "v1 string-to-sign");
        return Err(ApiError::gateway_msg(F::InvalidSignature, catalog::invalid_signature_sub_msg(&content)).log(
            format!("signature does not verify with app {app_id}'s public key (SHA-256 fingerprint {}) as {}", app.keys.public.fingerprint(), sign_type.algorithm_name()),
        ));
    }
    shared.admission.check_rate(app_id)?;
    let biz_content = match p.get_non_empty("encrypt_type") {
        None => p.get("biz_content").unwrap_or_default().to_owned(),
        Some(encrypt_type) => {
            let key = auth::content_key(&app, encrypt_type)?;
            let plain = auth::decrypt(&key, p.get("biz_content").unwrap_or_default())?;
            env.aes = Some(key);
            plain
        }
    };
    let api = Api::from_v1_method(method).ok_or_else(|| ApiError::gateway(F::InvalidMethod))?;
    Ok(Checked {
        api,
        biz_content,
        caller: auth::caller(&app.app, partner_id, ctx, p.get_non_empty("notify_url")),
        return_url: p.get_non_empty("return_url").map(str::to_owned),
    })
}

/// The signed answer to a request whose handler panicked (`catch_panic.rs`): a system error,
/// shaped by what the query says (the body is gone).
pub(crate) fn panicked(shared: &Shared, query: &str) -> Response {
    let ctx = RequestCtx::new(shared.storage.cached_clock());
    let mut env = Envelope::default();
    env.refine(&lossy_params(query.as_bytes(), b""));
    respond(
        shared,
        &ctx,
        &env,
        Err(ApiError::system("the handler panicked")),
    )
}

/// Writes the signed answer, logs and audits it.
fn respond(
    shared: &Shared,
    ctx: &RequestCtx,
    env: &Envelope,
    result: Result<Success, ApiError>,
) -> Response {
    let outcome = match &result {
        Ok(_) => GatewayCode::Success.as_str().to_owned(),
        Err(e) => e.outcome(),
    };
    let label = env
        .method
        .clone()
        .unwrap_or_else(|| "(no method)".to_owned());
    record(
        shared,
        ctx,
        crate::metrics::Channel::V1,
        env.app_id.clone(),
        label,
        &outcome,
        result.as_ref().err(),
    );
    reply(ctx, render(shared, env, &result))
}

/// The HTTP 200 carrying a signed body (or a plain 500 when it could not be signed).
fn reply(ctx: &RequestCtx, rendered: Result<(Charset, Vec<u8>), zhima_proto::Error>) -> Response {
    match rendered {
        Ok((charset, body)) => {
            let content_type = format!("application/json;charset={}", charset.as_str());
            let mut resp = (StatusCode::OK, body).into_response();
            let headers = resp.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_str(&content_type).expect("ASCII header"),
            );
            headers.insert(
                v1::HEADER_TRACE_ID,
                HeaderValue::from_str(&ctx.trace_id).expect("hex trace id"),
            );
            resp
        }
        Err(e) => {
            tracing::error!(trace_id = %ctx.trace_id, error = %e, "cannot sign a v1 response");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot sign the response",
            )
                .into_response()
        }
    }
}

/// The signed overload answer, `20000 isp.unknow-error` (see `admission`): no check runs and
/// nothing is written (no audit entry: that would be more work for a server already full);
/// the refusal is counted in `/metrics` and logged at DEBUG.
async fn overloaded(
    shared: &Shared,
    ctx: &RequestCtx,
    parts: &Parts,
    query: &str,
    body: axum::body::Body,
    mut env: Envelope,
) -> Response {
    // `method`, `sign_type` and `charset` may be in the body: read it (bounded) to answer in
    // the node, sign type and charset the caller's SDK expects.
    let body = with_body(shared, body, |b| async move { Ok(b) })
        .await
        .unwrap_or_default();
    env.refine(&lossy_params(query.as_bytes(), &body));
    let label = env
        .method
        .clone()
        .unwrap_or_else(|| "(no method)".to_owned());
    let e = ApiError::overloaded();
    if let Some(api) = env.api().filter(|a| a.is_page_method()) {
        let page = pages::PageRequest {
            api,
            http_method: &parts.method,
            app_id: env.app_id.clone(),
            label,
        };
        return pages::v1_page(shared, ctx, page, Err(e)).await;
    }
    super::metrics::observe(
        shared,
        crate::metrics::Channel::V1,
        &label,
        Some(&e.outcome()),
        ctx.started.elapsed(),
    );
    tracing::debug!(trace_id = %ctx.trace_id, method = ?label, "refused: max_in_flight requests in flight");
    reply(ctx, render_overloaded(shared, &env))
}

/// The overload node, signed once per sign type and charset.
fn render_overloaded(
    shared: &Shared,
    env: &Envelope,
) -> Result<(Charset, Vec<u8>), zhima_proto::Error> {
    let node_key = env
        .method
        .as_deref()
        .map_or_else(|| ERROR_RESPONSE_KEY.to_owned(), v1::response_node_key);
    let node = gateway_node(
        GatewaySubCode::IspUnknowError,
        super::admission::OVERLOADED_MSG,
    )
    .map_err(|e| zhima_proto::Error::GatewayResponse(e.to_string()))?;
    let node = ResponseNode::Json(node);
    let charset = env.charset;
    let sign = shared.admission.v1_signature(env.sign_type, charset, || {
        shared
            .platform
            .key
            .sign(env.sign_type, &charset.encode(&node.wire_text())?)
    })?;
    let sn = shared.platform.sn_for(env.cert_mode);
    let body = v1::assemble_response(&node_key, &node, sn, &sign);
    Ok((charset, charset.encode(&body)?))
}

/// The signed body, in the request's charset when every character fits in it (else UTF-8).
fn render(
    shared: &Shared,
    env: &Envelope,
    result: &Result<Success, ApiError>,
) -> Result<(Charset, Vec<u8>), zhima_proto::Error> {
    let node_key = env
        .method
        .as_deref()
        .map_or_else(|| ERROR_RESPONSE_KEY.to_owned(), v1::response_node_key);
    let mut node = ResponseNode::Json(node_json(env.api(), result)?);
    // Decryption failures are answered in clear: the client may not hold the key.
    if let Some(key) = &env.aes {
        node = node.encrypt(key);
    }
    let sn = shared.platform.sn_for(env.cert_mode);
    let key = &shared.platform.key;
    let signed = |charset: Charset| -> Result<Vec<u8>, zhima_proto::Error> {
        let body = v1::build_response(&node_key, &node, key, env.sign_type, charset, sn)?;
        charset.encode(&body)
    };
    match signed(env.charset) {
        Ok(bytes) => Ok((env.charset, bytes)),
        Err(_) if env.charset != Charset::Utf8 => Ok((Charset::Utf8, signed(Charset::Utf8)?)),
        Err(e) => Err(e),
    }
}

/// `{"code":…,"msg":…[,"sub_code":…,"sub_msg":…], business fields…}`.
#[derive(Serialize)]
struct Node<'a, T: Serialize> {
    code: &'a str,
    msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_msg: Option<&'a str>,
    #[serde(flatten)]
    fields: Option<T>,
}

/// The business fields a failed call still carries.
#[derive(Serialize)]
struct FailureFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    biz_result: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_reason: Option<&'a str>,
}

fn node_json(
    api: Option<Api>,
    result: &Result<Success, ApiError>,
) -> Result<String, zhima_proto::Error> {
    let text = match result {
        Ok(success) => {
            let c = GatewayCode::Success;
            to_json(&Node {
                code: c.as_str(),
                msg: c.msg(),
                sub_code: None,
                sub_msg: None,
                fields: Some(success),
            })
        }
        Err(e) => match failure(api, e) {
            Failure::Gateway { sub, sub_msg } => gateway_node(sub, &sub_msg),
            Failure::Business { api, rejection } => business_node(api, &rejection),
        },
    };
    text.map_err(|e| zhima_proto::Error::GatewayResponse(e.to_string()))
}

/// What a failed v1 call tells the caller: the JSON node's codes, and the page methods'
/// error page.
pub(crate) enum Failure {
    /// A gateway `sub_code` under its `code` group.
    Gateway {
        sub: GatewaySubCode,
        sub_msg: String,
    },
    /// `40004 Business Failed` with the API's own `sub_code`.
    Business { api: Api, rejection: Rejection },
}

impl Failure {
    /// The gateway `code`.
    pub(crate) fn code(&self) -> GatewayCode {
        match self {
            Failure::Gateway { sub, .. } => sub.gateway_code(),
            Failure::Business { .. } => GatewayCode::BusinessFailed,
        }
    }

    pub(crate) fn sub_code(&self) -> &'static str {
        match self {
            Failure::Gateway { sub, .. } => sub.as_str(),
            Failure::Business { rejection, .. } => rejection.code.as_str(),
        }
    }

    pub(crate) fn sub_msg(&self) -> &str {
        match self {
            Failure::Gateway { sub_msg, .. } => sub_msg,
            Failure::Business { rejection, .. } => &rejection.sub_msg,
        }
    }
}

/// The failure `e` of a call to `api` (`None`: no known method), as v1 answers it.
pub(crate) fn failure(api: Option<Api>, e: &ApiError) -> Failure {
    let gateway = |sub: GatewaySubCode, msg: Option<&str>| Failure::Gateway {
        sub,
        sub_msg: msg.unwrap_or(sub.default_message()).to_owned(),
    };
    match (&e.fault, api) {
        (Fault::Gateway { kind, msg }, _) => gateway(kind.v1(), msg.as_deref()),
        (Fault::Unavailable, _) => gateway(GatewaySubCode::IspUnknowError, None),
        (Fault::Business(r), Some(api)) => Failure::Business {
            api,
            rejection: r.clone(),
        },
        (Fault::System, Some(api)) => Failure::Business {
            api,
            rejection: system_rejection(api),
        },
        // No business API to speak for: the gateway's own "unknown error".
        (Fault::Business(_) | Fault::System, None) => gateway(GatewaySubCode::AopUnknowError, None),
    }
}

fn gateway_node(sub: GatewaySubCode, sub_msg: &str) -> serde_json::Result<String> {
    let code = sub.gateway_code();
    to_json(&Node::<()> {
        code: code.as_str(),
        msg: code.msg(),
        sub_code: Some(sub.as_str()),
        sub_msg: Some(sub_msg),
        fields: None,
    })
}

fn business_node(api: Api, r: &Rejection) -> serde_json::Result<String> {
    let code = GatewayCode::BusinessFailed;
    let fields = match api {
        Api::StateSync => FailureFields {
            biz_result: Some(zhima_proto::models::state_sync::BIZ_RESULT_FAILED),
            fail_reason: None,
        },
        _ => FailureFields {
            biz_result: None,
            fail_reason: Some(&r.sub_msg),
        },
    };
    to_json(&Node {
        code: code.as_str(),
        msg: code.msg(),
        sub_code: Some(r.code.as_str()),
        sub_msg: Some(&r.sub_msg),
        fields: Some(fields),
    })
}

/// `SYSTEM_ERROR` in the API's own table.
fn system_rejection(api: Api) -> Rejection {
    let code: BizCode = match api {
        Api::StateSync => ZmdataCode::SystemError.into(),
        _ => CumulationCode::SystemError.into(),
    };
    Rejection {
        code,
        sub_msg: code.default_message().to_owned(),
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Result<String> {
    serde_json::to_string(v)
}

/// The fuzz target's entry (not API): a sign.apply page-execute request (the official SDKs'
/// URL in `query`, or their auto-submitting form in `body`) read as the gateway reads it —
/// authentication aside, which nothing forged passes — then as the page reads it, the request
/// the page stores and reads back at consent, and the consent form the page posts (`token=…`).
///
/// # Panics
/// When a request the page accepted does not read back from its stored form the same: the
/// consent would then sign something else than the page showed (or fail).
#[doc(hidden)]
pub fn fuzz_sign_apply_page(query: &[u8], body: &[u8], content_type_charset: Option<&str>) {
    let params = GatewayParams::parse(query, body, content_type_charset)
        .unwrap_or_else(|_| lossy_params(query, body));
    let mut env = Envelope::default();
    env.refine(&params);
    let _ = env.api().map(Api::is_page_method);
    let _ = params.get_non_empty("timestamp").map(parse_alipay_datetime);
    let read = pages::read_request(
        params.get_non_empty("return_url"),
        params.get("biz_content").unwrap_or_default(),
    );
    if let Ok((_, model, cmd)) = read {
        let stored = serde_json::to_string(&model).expect("a parsed model serialises");
        let (_, _, again) =
            pages::read_request(None, &stored).expect("the stored request reads back");
        assert_eq!(again, cmd, "the consent would sign another request");
    }
    let _ = pages::form_token(body);
}

/// A best-effort reading of the parameters (UTF-8, lossy): enough to learn `method`,
/// `sign_type` and `charset` for the answer even when the real decoding fails.
fn lossy_params(query: &[u8], body: &[u8]) -> GatewayParams {
    GatewayParams::from_pairs(form_urlencoded::parse(query).chain(form_urlencoded::parse(body)))
}

/// The Content-Type is `multipart/form-data`.
fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// `charset=` of the Content-Type header, if any.
fn content_type_charset(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(CONTENT_TYPE)?
        .to_str()
        .ok()?
        .split(';')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"'))
}

/// A body over the limit whose method we do not know: no signed answer is possible.
fn too_large(ctx: &RequestCtx, limit: usize) -> Response {
    let mut resp = (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body exceeds {limit} bytes\n"),
    )
        .into_response();
    resp.headers_mut().insert(
        v1::HEADER_TRACE_ID,
        HeaderValue::from_str(&ctx.trace_id).expect("hex trace id"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_nodes_follow_the_alipay_layout() {
        let r = Rejection {
            code: ZmdataCode::BizStateCodeError.into(),
            sub_msg: "业务状态码错误".into(),
        };
        assert_eq!(
            business_node(Api::StateSync, &r).unwrap(),
            r#"{"code":"40004","msg":"Business Failed","sub_code":"ZMDATA.BIZ_STATE_CODE_ERROR","sub_msg":"业务状态码错误","biz_result":"failed"}"#
        );
        let r = Rejection {
            code: CumulationCode::IdempotentError.into(),
            sub_msg: "幂等冲突，请更换out_biz_no".into(),
        };
        assert_eq!(
            business_node(Api::CumulationSync, &r).unwrap(),
            r#"{"code":"40004","msg":"Business Failed","sub_code":"IDEMPOTENT_ERROR","sub_msg":"幂等冲突，请更换out_biz_no","fail_reason":"幂等冲突，请更换out_biz_no"}"#
        );
        assert_eq!(
            gateway_node(GatewaySubCode::IsvInvalidAppId, "无效的appId参数").unwrap(),
            r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的appId参数"}"#
        );
    }

    #[test]
    fn success_node_puts_code_and_msg_first() {
        let ok: Result<Success, ApiError> = Ok(Success::StateSync(
            zhima_proto::models::ZhimaDataStateDataSyncResponse::success(),
        ));
        assert_eq!(
            node_json(Some(Api::StateSync), &ok).unwrap(),
            r#"{"code":"10000","msg":"Success","biz_result":"success"}"#
        );
    }

    #[test]
    fn system_errors_without_an_api_use_the_gateway_code() {
        let e: Result<Success, ApiError> = Err(ApiError::system("boom"));
        let text = node_json(None, &e).unwrap();
        assert!(
            text.contains(r#""code":"20000""#) && text.contains("aop.unknow-error"),
            "{text}"
        );
        assert!(!text.contains("boom"));
        let text = node_json(Some(Api::CumulationSync), &e).unwrap();
        assert!(text.contains(r#""sub_code":"SYSTEM_ERROR""#), "{text}");
    }

    #[test]
    fn content_type_charset_is_found_case_insensitively() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; Charset=GBK"),
        );
        assert_eq!(content_type_charset(&h), Some("GBK"));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(content_type_charset(&h), None);
    }
}
