//! The `alipay-*` header names of v3 requests and responses, spelled once for both sides.
//! (v1's fixed names are `v1::names`.)

/// Request header carrying the app auth token (ISV acting for a merchant).
pub const HEADER_APP_AUTH_TOKEN: &str = "alipay-app-auth-token";
/// Request header carrying the root certificate SN list (cert mode).
pub const HEADER_ROOT_CERT_SN: &str = "alipay-root-cert-sn";
/// Request header announcing an AES body.
pub const HEADER_ENCRYPT_TYPE: &str = "alipay-encrypt-type";
/// Request id header.
pub const HEADER_REQUEST_ID: &str = "alipay-request-id";
/// Response header: epoch milliseconds.
pub const HEADER_TIMESTAMP: &str = "alipay-timestamp";
/// Response header: nonce.
pub const HEADER_NONCE: &str = "alipay-nonce";
/// Response header: base64 signature.
pub const HEADER_SIGNATURE: &str = "alipay-signature";
/// Response header: SN of the platform certificate (cert mode).
pub const HEADER_SN: &str = "alipay-sn";
/// Response header: trace id.
pub const HEADER_TRACE_ID: &str = "alipay-trace-id";
