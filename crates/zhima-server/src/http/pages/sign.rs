//! sign.apply (PRODUCT §11): the official SDKs' page-execute URL or form reaches the v1
//! gateway, passes its checks, and is answered here with the signing page; the page's form
//! posts a one-time consent token: 同意并签约 to [`CONFIRM_PATH`], which signs and sends the
//! browser to the merchant's `return_url`; 暂不签约 to [`DECLINE_PATH`], which spends the
//! token, signs nothing, and sends the browser back the same way **[ours]** (the preorder stays
//! signable, so the merchant may ask again with a new page).
//!
//! Rendering mints a token (244 random bits from the OS CSPRNG; only its SHA-256 is stored,
//! with the validated request, for [`CONSENT_TTL_MS`] of real time). A HEAD request renders
//! nothing and mints nothing. A token signs at most once: the first submit signs and
//! redirects; any later submit (a double click included, even racing on another process)
//! gets the "already submitted" page (409) and signs nothing **[ours]**.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use zhima_proto::catalog::{CumulationCode, GatewayCode};
use zhima_proto::models::{self, Api, ZhimaCreditPeZmgoSignApplyModel};
use zhima_proto::validate::{validate_sign_apply, ValidSignApply, Violation};

use super::views::{failure_page, message, render, SignPage};
use super::CSS_HREF;
use crate::domain::consent::{self, ConsentRefusal, SignConsent, CONSENT_TTL_MS};
use crate::http::audit::record;
use crate::http::auth::RequestCtx;
use crate::http::error::{ApiError, GatewayFault};
use crate::http::shared::Shared;
use crate::http::v1::{failure, Checked};

/// Where the signing page's 同意并签约 posts.
pub(crate) const CONFIRM_PATH: &str = "/c/sign/confirm";

/// Where its 暂不签约 posts.
pub(crate) const DECLINE_PATH: &str = "/c/sign/decline";

/// Longest `return_url` accepted.
const MAX_RETURN_URL: usize = 2048;

/// What the gateway knew about a page request before its checks finished.
pub(crate) struct PageRequest<'a> {
    pub(crate) api: Api,
    pub(crate) http_method: &'a Method,
    /// For the audit log (only plausible values).
    pub(crate) app_id: Option<String>,
    pub(crate) label: String,
}

/// Answers a page method's gateway request: the page, or the error page (no form).
pub(crate) async fn v1_page(
    shared: &Shared,
    ctx: &RequestCtx,
    req: PageRequest<'_>,
    checked: Result<Checked, ApiError>,
) -> Response {
    let result = match checked {
        Ok(c) => sign_page(shared, ctx, req.http_method, c).await,
        Err(e) => Err(e),
    };
    let outcome = match &result {
        Ok(_) => GatewayCode::Success.as_str().to_owned(),
        Err(e) => e.outcome(),
    };
    record(
        shared,
        ctx,
        crate::metrics::Channel::V1,
        req.app_id,
        req.label,
        &outcome,
        result.as_ref().err(),
    );
    result.unwrap_or_else(|e| failure_page(&e, &failure(Some(req.api), &e)))
}

/// Validates the request, checks what it names, mints the token and renders the page.
async fn sign_page(
    shared: &Shared,
    ctx: &RequestCtx,
    http_method: &Method,
    c: Checked,
) -> Result<Response, ApiError> {
    let (return_url, model, cmd) = read_request(c.return_url.as_deref(), &c.biz_content)?;
    let caller = c.caller;
    let subject = shared.storage.sign_subject(cmd, caller.clone()).await?;
    if http_method == Method::HEAD {
        return Ok(super::html(StatusCode::OK, String::new()));
    }
    let token = new_token();
    let request = serde_json::to_string(&model)
        .map_err(|e| ApiError::system(format!("sign.apply request as JSON: {e}")))?;
    shared
        .storage
        .mint_consent(SignConsent {
            token_hash: consent::token_hash(&token),
            app_id: caller.app_id,
            partner_id: caller.partner_id,
            request,
            return_url,
            expires_ms: consent::ms(&ctx.now) + CONSENT_TTL_MS,
            used_ms: None,
        })
        .await?;
    Ok(render(
        StatusCode::OK,
        &SignPage {
            css: &CSS_HREF,
            subject: &subject,
            freeze: subject.freeze_amount.to_yuan_string(),
            confirm_path: CONFIRM_PATH,
            decline_path: DECLINE_PATH,
            token: &token,
        },
    ))
}

/// A checked page request, read: its `return_url`, model and validated command.
pub(crate) type PageInput = (
    Option<String>,
    ZhimaCreditPeZmgoSignApplyModel,
    ValidSignApply,
);

/// Reads what a checked page request carries (no storage, no I/O): the `return_url` checked,
/// `biz_content` (blank reads as `{}`, so validation names the first missing field) parsed
/// into the model and validated.
pub(crate) fn read_request(
    return_url: Option<&str>,
    biz_content: &str,
) -> Result<PageInput, ApiError> {
    let return_url = return_url.map(check_return_url).transpose()?;
    let text = if biz_content.trim().is_empty() {
        "{}"
    } else {
        biz_content
    };
    let model: ZhimaCreditPeZmgoSignApplyModel = models::from_json(text)
        .map_err(|e| Violation::new(CumulationCode::RequestParamIllegal, e))?;
    let cmd = validate_sign_apply(&model)?;
    Ok((return_url, model, cmd))
}

/// A fresh consent token: two v4 UUIDs (the OS CSPRNG via `getrandom`), 64 hex digits.
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// `return_url` must be an absolute http(s) URL with a host (no `javascript:`, no
/// scheme-relative `//host`), so the redirect after signing can only leave for the web.
fn check_return_url(url: &str) -> Result<String, ApiError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        r.split(['/', '?', '#'])
            .next()
            .is_some_and(|h| !h.is_empty())
    });
    if !host_ok || url.len() > MAX_RETURN_URL || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ApiError::gateway_msg(
            GatewayFault::InvalidParameter,
            "return_url参数不合法：只支持http或https地址",
        ));
    }
    Ok(url.to_owned())
}

/// The form's `token`, if it is shaped like one of ours (64 hex digits).
pub(crate) fn form_token(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `POST /c/sign/decline` (`token=…`): spends the consent, signs nothing, and goes back to
/// the merchant (or says so when it named no `return_url`).
pub(crate) async fn decline(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Some(token) = form_token(&body) else {
        return refusal_page(ConsentRefusal::Unknown);
    };
    let now = zhima_proto::time::now_alipay();
    match shared
        .storage
        .decline_consent(consent::token_hash(&token), now)
        .await
    {
        Ok(Ok(declined)) => {
            tracing::info!("signing declined on the signing page");
            match declined.return_url {
                Some(url) => redirect(&url, "暂不开通"),
                None => message(
                    StatusCode::OK,
                    "暂不开通",
                    "您已选择暂不签约，芝麻GO未开通。如需开通，请返回商户页面重新发起。",
                    false,
                ),
            }
        }
        Ok(Err(refusal)) => refusal_page(refusal),
        Err(e) => {
            let e = ApiError::from(e);
            if let Some(detail) = &e.log {
                tracing::warn!(error = %detail, "signing page decline failed");
            }
            failure_page(&e, &failure(Some(Api::SignApply), &e))
        }
    }
}

/// `POST /c/sign/confirm` (`token=…`): uses the consent and signs, in one transaction.
pub(crate) async fn confirm(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let refused = |refusal| refusal_page(refusal);
    let Some(token) = form_token(&body) else {
        return refused(ConsentRefusal::Unknown);
    };
    let now = zhima_proto::time::now_alipay();
    let business_now = shared.storage.business_now();
    match shared
        .storage
        .confirm_consent(consent::token_hash(&token), now, business_now)
        .await
    {
        Ok(Ok(done)) => {
            tracing::info!(agreement_no = %done.agreement_no, "signed through the signing page");
            match done.return_url {
                Some(url) => redirect(&url, "开通成功"),
                None => message(
                    StatusCode::OK,
                    "开通成功",
                    &format!("芝麻GO已开通，协议号 {}。", done.agreement_no),
                    true,
                ),
            }
        }
        Ok(Err(refusal)) => refused(refusal),
        Err(e) => {
            let e = ApiError::from(e);
            if let Some(detail) = &e.log {
                tracing::warn!(error = %detail, "signing page confirm failed");
            }
            failure_page(&e, &failure(Some(Api::SignApply), &e))
        }
    }
}

fn refusal_page(refusal: ConsentRefusal) -> Response {
    match refusal {
        ConsentRefusal::Unknown => message(
            StatusCode::NOT_FOUND,
            "签约链接无效",
            "该签约链接无效，请返回商户页面重新发起开通。",
            false,
        ),
        ConsentRefusal::Used => message(
            StatusCode::CONFLICT,
            "已提交过",
            "该签约已提交，请勿重复提交。",
            false,
        ),
        ConsentRefusal::Expired => message(
            StatusCode::GONE,
            "签约页面已过期",
            "签约页面已超过10分钟未提交，请返回商户页面重新发起开通。",
            false,
        ),
    }
}

/// `303 See Other` to the merchant's `return_url` (non-ASCII bytes percent-encoded for the
/// header; the URL is otherwise as given); `title` is the page shown if it cannot be a header.
fn redirect(url: &str, title: &str) -> Response {
    let mut location = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii() {
            location.push(b as char);
        } else {
            location.push_str(&format!("%{b:02X}"));
        }
    }
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            let mut resp = StatusCode::SEE_OTHER.into_response();
            resp.headers_mut().insert(LOCATION, v);
            resp.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(_) => message(StatusCode::OK, title, "请返回商户页面。", true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_must_be_web_urls_with_a_host() {
        assert!(check_return_url("https://m.example/back?a=1").is_ok());
        assert!(check_return_url("HTTP://m.example").is_ok());
        for bad in [
            "javascript:alert(1)",
            "//evil.example",
            "https:///path",
            "ftp://x",
            "https://a b",
            "https://x/\n",
        ] {
            assert!(check_return_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_encodes_non_ascii() {
        let r = redirect("https://m.example/back?b=流", "开通成功");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()[LOCATION].to_str().unwrap(),
            "https://m.example/back?b=%E6%B5%81"
        );
    }
}
