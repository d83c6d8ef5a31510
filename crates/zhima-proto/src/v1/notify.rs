//! Asynchronous notifications (PRODUCT §12): the form the platform POSTs to a merchant's
//! `notify_url`, signed like Alipay's async notify — every parameter except `sign` and
//! `sign_type`, empty values dropped, sorted by key, `key=value` joined with `&`, values raw
//! (not URL-encoded). The platform signs with [`sign_notify`]; merchants (and `zhima-client`)
//! verify with [`verify_notify`].

use super::params::GatewayParams;
use super::sign_content::sign_content;
use crate::error::{Error, Result};
use crate::keys::{PrivateKey, PublicKey};
use crate::sign::SignType;

/// The parameters every notification carries besides its signature.
pub const NOTIFY_PARAMS: [&str; 7] = [
    "notify_id",
    "notify_time",
    "notify_type",
    "app_id",
    "charset",
    "version",
    "biz_content",
];

/// The notify string-to-sign: [`sign_content`] without `sign_type` (Alipay signs notifies
/// over everything but `sign` and `sign_type`).
pub fn notify_sign_content(params: &GatewayParams) -> String {
    sign_content(params.iter().filter(|(k, _)| *k != "sign_type"))
}

/// Signs a notification's parameters with the platform key; its `sign_type` (default
/// `RSA2`) picks the algorithm and `charset` the bytes. Returns the base64 signature.
pub fn sign_notify(params: &GatewayParams, key: &PrivateKey) -> Result<String> {
    let sign_type: SignType = params
        .get_non_empty("sign_type")
        .unwrap_or("RSA2")
        .parse()?;
    let bytes = params.charset().encode(&notify_sign_content(params))?;
    key.sign(sign_type, &bytes)
}

/// Verifies a received notification against the platform public key. Fails closed: a
/// missing `sign` or `sign_type`, an unknown `sign_type` or a wrong signature are errors.
pub fn verify_notify(params: &GatewayParams, public: &PublicKey) -> Result<()> {
    let sign_type: SignType = params
        .get_non_empty("sign_type")
        .ok_or_else(|| Error::SignType(String::new()))?
        .parse()?;
    let sign = params
        .get_non_empty("sign")
        .ok_or(Error::MissingSignature)?;
    let bytes = params.charset().encode(&notify_sign_content(params))?;
    public.verify(sign_type, &bytes, sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_sign_type_are_left_out_and_values_stay_raw() {
        let p = GatewayParams::from_pairs([
            ("notify_id", "n1"),
            ("sign_type", "RSA2"),
            ("sign", "xyz"),
            ("biz_content", r#"{"a":"b c&d"}"#),
            ("app_id", "2021"),
            ("empty", ""),
        ]);
        assert_eq!(
            notify_sign_content(&p),
            r#"app_id=2021&biz_content={"a":"b c&d"}&notify_id=n1"#
        );
    }
}
