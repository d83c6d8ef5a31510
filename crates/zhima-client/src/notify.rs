//! Verifying the asynchronous notifications zhima (like Alipay) POSTs to a merchant's
//! `notify_url`: a form whose `sign` covers every other parameter but `sign_type`, sorted,
//! `k=v&…` with raw values ([`zhima_proto::v1::verify_notify`]). Fail-closed: a missing,
//! repeated or wrong field, or a signature that does not verify with the platform key, is an
//! error, never a [`Notification`]. Answer the body `success` only after a verified one.

use std::collections::BTreeMap;

use zhima_proto::keys::PublicKey;
use zhima_proto::v1::{verify_notify as verify_params, GatewayParams, NOTIFY_PARAMS};

use crate::client::ZhimaClient;
use crate::error::{Error, Result, SignatureError};

/// What a merchant endpoint answers after accepting a notification.
pub const NOTIFY_SUCCESS: &str = "success";

/// A verified notification.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Notification {
    /// The same on every attempt of one notification: deduplicate on it.
    pub notify_id: String,
    /// When it was sent (`yyyy-MM-dd HH:mm:ss`, UTC+8, the platform's business time).
    pub notify_time: String,
    /// What happened, e.g. `zmgo_agreement_sign` (zhima's names; see its README).
    pub notify_type: String,
    /// The app it was sent to.
    pub app_id: String,
    /// `biz_content`, parsed.
    pub biz_content: serde_json::Value,
    /// Every parameter as received (form-decoded), `sign` included.
    pub params: BTreeMap<String, String>,
}

/// Verifies a notification's raw `application/x-www-form-urlencoded` body with the platform
/// public key.
pub fn verify_notify(form_body: &str, platform_key: &PublicKey) -> Result<Notification> {
    let malformed = |m: String| Error::MalformedResponse(format!("notification: {m}"));
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(form_body)
        .map_err(|e| malformed(format!("not a form body: {e}")))?;
    let mut params = BTreeMap::new();
    for (k, v) in pairs {
        if params.insert(k.clone(), v).is_some() {
            return Err(malformed(format!("parameter {k} appears more than once")));
        }
    }
    if let Some(charset) = params.get("charset") {
        if !charset.eq_ignore_ascii_case("utf-8") {
            return Err(malformed(format!("charset {charset:?} is not utf-8")));
        }
    }
    let gateway = GatewayParams::from_pairs(params.clone());
    verify_params(&gateway, platform_key).map_err(|e| match e {
        zhima_proto::Error::BadSignature => Error::Signature(SignatureError::Mismatch),
        zhima_proto::Error::MissingSignature => {
            Error::Signature(SignatureError::Missing("sign".into()))
        }
        zhima_proto::Error::SignType(t) if t.is_empty() => {
            Error::Signature(SignatureError::Missing("sign_type".into()))
        }
        other => malformed(other.to_string()),
    })?;
    for key in NOTIFY_PARAMS {
        if params.get(key).is_none_or(|v| v.is_empty()) {
            return Err(malformed(format!("missing {key}")));
        }
    }
    let biz_content = serde_json::from_str(&params["biz_content"])
        .map_err(|e| malformed(format!("biz_content is not JSON: {e}")))?;
    Ok(Notification {
        notify_id: params["notify_id"].clone(),
        notify_time: params["notify_time"].clone(),
        notify_type: params["notify_type"].clone(),
        app_id: params["app_id"].clone(),
        biz_content,
        params,
    })
}

impl ZhimaClient {
    /// [`verify_notify`] with this client's platform public key; also refuses a notification
    /// addressed to another `app_id`.
    pub fn verify_notify(&self, form_body: &str) -> Result<Notification> {
        let creds = &self.config().creds;
        let n = verify_notify(form_body, &creds.platform_key)?;
        if n.app_id != creds.app_id {
            return Err(Error::MalformedResponse(format!(
                "notification: addressed to app {}, not {}",
                n.app_id, creds.app_id
            )));
        }
        Ok(n)
    }
}
