//! The v3 REST protocol (PROTOCOL.md §B): `Authorization: ALIPAY-SHA256withRSA …` on requests,
//! `alipay-timestamp` / `alipay-nonce` / `alipay-signature` (/ `alipay-sn`) on responses.
//!
//! * [`authorization`]: parse and build the header and its authString;
//! * [`sign_content`]: the request and response strings-to-sign;
//! * [`response`]: sign and verify response headers.
//!
//! v3 only knows SHA256withRSA, UTF-8.

pub mod authorization;
pub mod response;
pub mod sign_content;

pub use authorization::{AuthString, Authorization, AUTH_SCHEME};
pub use response::{sign_response, verify_response, ResponseHeaders};
pub use sign_content::{request_sign_content, response_sign_content};

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
