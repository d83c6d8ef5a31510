//! Signing (server) and verifying (client) v3 response headers.

use crate::error::{Error, Result};
use crate::keys::{PrivateKey, PublicKey};
use crate::sign::SignType;

use super::headers::{HEADER_NONCE, HEADER_SN, HEADER_TIMESTAMP};
use super::sign_content::response_sign_content;

/// The signature headers of a v3 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHeaders {
    /// `alipay-timestamp`: epoch milliseconds as text.
    pub timestamp: String,
    /// `alipay-nonce`.
    pub nonce: String,
    /// `alipay-signature`: base64 SHA256withRSA.
    pub signature: String,
    /// `alipay-sn`: SN of the signing platform certificate (cert mode only).
    pub sn: Option<String>,
}

/// Signs a response body: the caller supplies the clock and nonce so tests are deterministic.
pub fn sign_response(
    key: &PrivateKey,
    timestamp_ms: i64,
    nonce: &str,
    body: &str,
    sn: Option<&str>,
) -> Result<ResponseHeaders> {
    let timestamp = timestamp_ms.to_string();
    let signature = key.sign(
        SignType::Rsa2,
        response_sign_content(&timestamp, nonce, body).as_bytes(),
    )?;
    Ok(ResponseHeaders {
        timestamp,
        nonce: nonce.to_string(),
        signature,
        sn: sn.map(str::to_string),
    })
}

/// Verifies response headers over the raw body, fail-closed: missing headers are errors,
/// and when `expected_sn` is given, `alipay-sn` must be present and equal to it.
pub fn verify_response(
    platform_key: &PublicKey,
    timestamp: Option<&str>,
    nonce: Option<&str>,
    signature: Option<&str>,
    sn: Option<&str>,
    expected_sn: Option<&str>,
    body: &str,
) -> Result<()> {
    let missing = |h: &str| Error::V3Header(format!("response header {h} is missing"));
    let timestamp = timestamp
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing(HEADER_TIMESTAMP))?;
    let nonce = nonce
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing(HEADER_NONCE))?;
    let signature = signature
        .filter(|s| !s.is_empty() && *s != "null")
        .ok_or(Error::MissingSignature)?;
    if let Some(expected) = expected_sn {
        match sn {
            Some(got) if got == expected => {}
            Some(got) => {
                return Err(Error::V3Header(format!(
                    "alipay-sn {got} is not the configured platform certificate {expected}"
                )))
            }
            None => return Err(missing(HEADER_SN)),
        }
    }
    platform_key.verify(
        SignType::Rsa2,
        response_sign_content(timestamp, nonce, body).as_bytes(),
        signature,
    )
}
