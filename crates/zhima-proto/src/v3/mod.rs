//! The v3 REST protocol (PROTOCOL.md §B): `Authorization: ALIPAY-SHA256withRSA …` on requests,
//! `alipay-timestamp` / `alipay-nonce` / `alipay-signature` (/ `alipay-sn`) on responses.
//!
//! * [`authorization`]: parse and build the header and its authString;
//! * [`sign_content`]: the request and response strings-to-sign;
//! * [`response`]: sign and verify response headers;
//! * [`headers`]: the `alipay-*` header names;
//! * [`error`]: the error body.
//!
//! v3 only knows SHA256withRSA, UTF-8.

pub mod authorization;
pub mod error;
pub mod headers;
pub mod response;
pub mod sign_content;

pub use authorization::{AuthString, Authorization, AUTH_SCHEME};
pub use error::{ErrorBody, ErrorLink};
pub use headers::{
    HEADER_APP_AUTH_TOKEN, HEADER_ENCRYPT_TYPE, HEADER_NONCE, HEADER_REQUEST_ID,
    HEADER_ROOT_CERT_SN, HEADER_SIGNATURE, HEADER_SN, HEADER_TIMESTAMP, HEADER_TRACE_ID,
};
pub use response::{sign_response, verify_response, ResponseHeaders};
pub use sign_content::{request_sign_content, response_sign_content};
