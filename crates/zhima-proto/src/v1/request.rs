//! Signing and verifying a v1 request, and laying it out on the wire like the official SDKs.

use super::params::{form_encode_pairs, FormStyle, GatewayParams};
use crate::error::{Error, Result};
use crate::keys::PublicKey;
use crate::sign::{SignType, Signer};

/// Which official SDK's wire layout to reproduce (PROTOCOL.md §A1): which parameters go in
/// the URL, in which order, and how values are percent-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SdkLayout {
    /// alipay-sdk-python 3.7: common params in the query (timestamp first), the rest in the body.
    #[default]
    Python,
    /// alipay-sdk (Node) 4.x: `method` first in the query, `encrypt_type` in the body.
    Node,
}

impl SdkLayout {
    fn query_keys(self) -> &'static [&'static str] {
        match self {
            SdkLayout::Python => &[
                "timestamp",
                "app_id",
                "method",
                "charset",
                "format",
                "version",
                "sign_type",
                "encrypt_type",
                "app_auth_token",
                "auth_token",
                "notify_url",
                "return_url",
                "app_cert_sn",
                "alipay_root_cert_sn",
                "sign",
            ],
            SdkLayout::Node => &[
                "method",
                "app_id",
                "charset",
                "version",
                "sign_type",
                "timestamp",
                "format",
                "notify_url",
                "return_url",
                "auth_token",
                "app_auth_token",
                "app_cert_sn",
                "alipay_root_cert_sn",
                "sign",
            ],
        }
    }

    fn body_first_keys(self) -> &'static [&'static str] {
        match self {
            SdkLayout::Python => &["biz_content"],
            SdkLayout::Node => &["encrypt_type", "biz_content"],
        }
    }

    fn form_style(self) -> FormStyle {
        match self {
            SdkLayout::Python => FormStyle::Python,
            SdkLayout::Node => FormStyle::Whatwg,
        }
    }
}

/// A signed request ready to send: `POST <gateway>?<query>` with `<body>` as
/// `application/x-www-form-urlencoded;charset=<charset>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The URL query (no leading `?`).
    pub query: String,
    /// The form body (bytes are ASCII: everything non-ASCII is percent-encoded in `charset`).
    pub body: String,
    /// The string that was signed.
    pub sign_content: String,
    /// The base64 signature (also present in `query`).
    pub sign: String,
}

/// Signs `params` (their `sign_type` decides the algorithm, `charset` the bytes) and returns
/// `(string_to_sign, signature)`. An existing `sign` is ignored.
pub fn sign_params(
    params: &GatewayParams,
    key: &(impl Signer + ?Sized),
) -> Result<(String, String)> {
    let sign_type: SignType = params.get("sign_type").unwrap_or("RSA2").parse()?;
    let content = params.sign_content();
    let bytes = params.charset().encode(&content)?;
    let sign = key.sign(sign_type, &bytes)?;
    Ok((content, sign))
}

/// Verifies a received request's `sign` against its parameters (server side). Fails closed:
/// a missing `sign`, an unknown `sign_type` or a wrong signature are all errors.
pub fn verify_request(params: &GatewayParams, public: &PublicKey) -> Result<()> {
    let sign_type: SignType = params
        .get_non_empty("sign_type")
        .ok_or_else(|| Error::SignType(String::new()))?
        .parse()?;
    let sign = params
        .get_non_empty("sign")
        .ok_or(Error::MissingSignature)?;
    let bytes = params.charset().encode(&params.sign_content())?;
    public.verify(sign_type, &bytes, sign)
}

/// Signs `params` and lays them out exactly as the chosen SDK does.
pub fn build_request(
    params: &GatewayParams,
    key: &(impl Signer + ?Sized),
    layout: SdkLayout,
) -> Result<SignedRequest> {
    let (sign_content, sign) = sign_params(params, key)?;
    // The parameters with `sign` set, without copying them.
    let get = |k: &str| match k {
        "sign" => Some(sign.as_str()),
        _ => params.get(k),
    };
    let query_keys = layout.query_keys();
    let query_pairs = query_keys.iter().filter_map(|k| get(k).map(|v| (*k, v)));
    let first = layout.body_first_keys();
    let body_pairs = first.iter().filter_map(|k| get(k).map(|v| (*k, v))).chain(
        params
            .iter()
            .filter(|(k, _)| !query_keys.contains(k) && !first.contains(k)),
    );
    let charset = params.charset();
    Ok(SignedRequest {
        query: form_encode_pairs(query_pairs, charset, layout.form_style())?,
        body: form_encode_pairs(body_pairs, charset, layout.form_style())?,
        sign_content,
        sign,
    })
}
