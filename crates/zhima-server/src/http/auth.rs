//! Authentication steps shared by v1 and v3: the calling app, its `app_auth_token`, its
//! certificate SN, the timestamp window and content decryption. Each step fails with the
//! [`GatewayFault`] PRODUCT §3 names; the protocol modules decide the order.

use std::sync::Arc;
use std::time::Instant;

use zhima_proto::aes::AesKey;
use zhima_proto::time::{now_alipay, within_skew};

use super::error::{ApiError, GatewayFault};
use super::shared::{AppKeys, Shared};
use crate::domain::clock::SandboxClock;
use crate::domain::entities::{App, Caller, Time};

/// The only content encryption Alipay defines.
pub(crate) const AES: &str = zhima_proto::aes::ENCRYPT_TYPE;

/// Per-request facts fixed when the request arrives.
pub(crate) struct RequestCtx {
    /// Echoed as `trace_id` (v1) / `alipay-trace-id` (v3) and in the logs.
    pub(crate) trace_id: String,
    pub(crate) started: Instant,
    /// Receipt time in UTC+8; the timestamp window and written records use it.
    pub(crate) now: Time,
    /// Business time at receipt (`now` + the sandbox clock's offset): business rules use it,
    /// never the timestamp window or nonces.
    pub(crate) business_now: Time,
}

impl RequestCtx {
    /// `clock` is the sandbox clock this process knows (`Storage::cached_clock`).
    pub(crate) fn new(clock: SandboxClock) -> Self {
        let now = now_alipay();
        RequestCtx {
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            started: Instant::now(),
            now,
            business_now: clock.business_time(&now),
        }
    }

    pub(crate) fn latency_us(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX)
    }
}

/// An app found in storage together with its parsed keys.
pub(crate) struct KnownApp {
    pub(crate) app: App,
    pub(crate) keys: Arc<AppKeys>,
}

/// Loads an enabled app (unknown or disabled → `invalid-app-id`).
pub(crate) async fn load_app(shared: &Shared, app_id: &str) -> Result<KnownApp, ApiError> {
    let app = shared.storage.app(app_id).await?;
    let app = match app {
        Some(app) if app.enabled => app,
        Some(_) => {
            return Err(ApiError::gateway(GatewayFault::InvalidAppId)
                .log(format!("app {app_id} is disabled")))
        }
        None => {
            return Err(ApiError::gateway(GatewayFault::InvalidAppId)
                .log(format!("app {app_id} is not configured")))
        }
    };
    let keys = shared.app_keys(&app)?;
    Ok(KnownApp { app, keys })
}

/// Whether a request timestamp lies within the configured window around `now`.
pub(crate) fn check_window(shared: &Shared, ts: &Time, now: &Time) -> Result<(), ApiError> {
    if within_skew(ts, now, shared.settings.clock_skew) {
        return Ok(());
    }
    Err(
        ApiError::gateway(GatewayFault::InvalidTimestamp).log(format!(
            "timestamp {} is more than {} s away from the server clock {}",
            ts.to_rfc3339(),
            shared.settings.clock_skew.num_seconds(),
            now.to_rfc3339()
        )),
    )
}

/// The partner the call acts for: the app's own, or the merchant of a valid `app_auth_token`
/// issued to this app.
pub(crate) async fn acting_partner(
    shared: &Shared,
    app: &App,
    token: Option<&str>,
    now: &Time,
) -> Result<String, ApiError> {
    let Some(token) = token else {
        return Ok(app.partner_id.clone());
    };
    let found = shared.storage.app_auth_token(token).await?;
    match found {
        Some(t) if t.app_id != app.app_id => Err(ApiError::gateway(
            GatewayFault::InvalidAppAuthToken,
        )
        .log(format!(
            "app_auth_token belongs to app {}, not {}",
            t.app_id, app.app_id
        ))),
        Some(t) if !t.is_valid_at(now) => Err(ApiError::gateway(GatewayFault::AppAuthTokenTimeOut)
            .log(format!(
                "app_auth_token expired at {}",
                t.expires_at.to_rfc3339()
            ))),
        Some(t) => Ok(t.partner_id),
        None => {
            Err(ApiError::gateway(GatewayFault::InvalidAppAuthToken)
                .log("app_auth_token is unknown"))
        }
    }
}

/// Cert mode: an app registered with a certificate must name exactly that certificate.
pub(crate) fn check_app_cert_sn(app: &App, sent: Option<&str>) -> Result<(), ApiError> {
    let Some(expected) = app.app_cert_sn.as_deref() else {
        return Ok(());
    };
    match sent {
        None => Err(
            ApiError::gateway(GatewayFault::MissingAppCertSn).log(format!(
                "app {} uses cert mode but the request has no app_cert_sn",
                app.app_id
            )),
        ),
        Some(sn) if sn != expected => Err(ApiError::gateway(GatewayFault::AppCertNotExist).log(
            format!(
                "app_cert_sn {sn} is not the certificate of app {} ({expected})",
                app.app_id
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// The AES key for a request that declared `encrypt_type` (v1) / `alipay-encrypt-type` (v3).
pub(crate) fn content_key(app: &KnownApp, encrypt_type: &str) -> Result<AesKey, ApiError> {
    if encrypt_type != AES {
        return Err(ApiError::gateway(GatewayFault::NotValidEncryptType)
            .log(format!("encrypt_type {encrypt_type:?} is not AES")));
    }
    match &app.keys.aes {
        Some(Ok(key)) => Ok(key.clone()),
        Some(Err(e)) => Err(
            ApiError::gateway(GatewayFault::NotValidEncryptKey).log(format!(
                "encrypt_key of app {} is unusable: {e}",
                app.app.app_id
            )),
        ),
        None => Err(ApiError::gateway(GatewayFault::NotValidEncryptKey)
            .log(format!("app {} has no encrypt_key", app.app.app_id))),
    }
}

/// Decrypts request content (base64 AES ciphertext → UTF-8 text).
pub(crate) fn decrypt(key: &AesKey, ciphertext: &str) -> Result<String, ApiError> {
    key.decrypt_to_string(ciphertext)
        .map_err(|e| ApiError::gateway(GatewayFault::DecryptionUnknown).log(e.to_string()))
}

/// The domain's view of the caller; `notify_url` is the request's public parameter (v1).
pub(crate) fn caller(
    app: &App,
    partner_id: String,
    ctx: &RequestCtx,
    notify_url: Option<&str>,
) -> Caller {
    Caller {
        app_id: app.app_id.clone(),
        partner_id,
        now: ctx.now,
        business_now: ctx.business_now,
        notify_url: notify_url.map(str::to_owned),
    }
}
