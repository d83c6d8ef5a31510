//! # zhima-client
//!
//! Async Rust SDK for Zhima Credit (芝麻信用) on Alipay's open platform — production, the
//! sandbox, or a local `zhima serve` — speaking both the v1 gateway (`gateway.do`) and the v3
//! REST protocol. Every byte on the wire is produced and checked by [`zhima_proto`]: requests
//! are byte-identical to the official Python or Node SDK's for the same inputs, and every
//! response is verified before it is returned (fail-closed).
//!
//! ## Layout
//!
//! | module | what lives there |
//! |---|---|
//! | `client` | [`ZhimaClient`]: generic v1 [`execute`](ZhimaClient::execute) and v3 [`request`](ZhimaClient::request), the attempt loop's glue |
//! | `builder` | [`ClientBuilder`] and [`Endpoint`]: inputs checked and resolved into a `config` |
//! | `config` | the resolved, shared configuration: credentials, URLs, wire choices, HTTP pool |
//! | `clock` | injectable time and nonces: [`Clock`], [`NonceSource`] |
//! | `content` | [`Content`]: a model or raw JSON, written as [`JsonStyle`] says |
//! | `signing` | per protocol (`signing/v1.rs`, `signing/v3.rs`): signing requests, verifying and judging responses |
//! | `transport` | [`Transport`] (one HTTP exchange; [`ReqwestTransport`] by default), the attempt loop, [`RequestStrategy`] retries, tracing |
//! | `api` | typed methods, one file per API, on [`ZhimaClient::v1`] and [`ZhimaClient::v3`] |
//! | [`notify`] | [`verify_notify`]: the asynchronous notifications zhima POSTs to a merchant, verified fail-closed |
//! | [`error`] | the one [`Error`] enum |
//!
//! ## Example
//!
//! ```no_run
//! use zhima_client::{Endpoint, RequestStrategy, ZhimaClient};
//! use zhima_client::models::ZhimaCreditPeZmgoCumulationSyncModel;
//!
//! # async fn demo() -> Result<(), zhima_client::Error> {
//! let client = ZhimaClient::builder()
//!     .app_id("2021000000000001")
//!     .app_private_key(std::fs::read_to_string("keys/app_private.pem").unwrap())
//!     .platform_public_key(std::fs::read_to_string("keys/platform_public.pem").unwrap())
//!     .endpoint(Endpoint::local("http://127.0.0.1:8080"))
//!     .strategy(RequestStrategy::retry(3))
//!     .build()?;
//! let sync = ZhimaCreditPeZmgoCumulationSyncModel {
//!     out_biz_no: Some("B20240520001".into()),
//!     ..Default::default()
//! };
//! match client.v3().cumulation_sync(&sync).await {
//!     Ok(reply) => println!("accepted: {:?}", reply.data),
//!     Err(zhima_client::Error::Api(refusal)) => println!("refused: {}", refusal.code()),
//!     Err(other) => return Err(other),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Decisions
//!
//! * **Unsigned refusals.** A v3 error (HTTP ≥ 400) is verified whenever it carries
//!   `alipay-signature` (zhima signs them); an unsigned one is still returned as
//!   [`Error::Api`] with `verified: false`, because the official SDKs accept unsigned errors
//!   and hiding the platform's error code helps nobody. The same holds for an unsigned v1
//!   refusal (the gateway's `error_response`). An unsigned or badly signed *success* is always
//!   [`Error::Signature`].
//! * **Encryption.** With an AES key, request content is encrypted (unless
//!   [`ClientBuilder::encrypt_requests`] is `false`); v3 GET requests have no body and go in
//!   clear. A v3 2xx body is decrypted exactly when the request was encrypted.
//! * **Retries** resend the same content (same `out_biz_no`) with a new timestamp, nonce and
//!   signature; the v3 `alipay-request-id` stays the same across the attempts of one call.
//! * **Charset** is always UTF-8.
//! * **Response size.** A body larger than [`MAX_RESPONSE_BYTES`] is refused
//!   ([`Error::MalformedResponse`]) without being buffered whole.
//! * **Response freshness.** A v3 response's signed `alipay-timestamp` must be within
//!   [`ClientBuilder::response_max_skew`] of the client clock (±15 min by default), so an old
//!   signed response replayed by a man in the middle is [`SignatureError::Stale`]. v1 responses
//!   carry no timestamp.
//! * **v1 success** is a verified node of the called method with `code` `10000` and no
//!   `sub_code` (the official SDKs' `isSuccess`); a body holding both that node and
//!   `error_response` is malformed, and `error_response` is never a success.

#![warn(missing_docs)]

mod api;
mod builder;
mod client;
mod clock;
mod config;
mod content;
pub mod error;
pub mod notify;
mod signing;
mod transport;

pub use crate::builder::{
    ClientBuilder, Endpoint, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_MAX_SKEW, DEFAULT_TIMEOUT,
};
pub use crate::client::{Response, ZhimaClient, V1, V3};
pub use crate::clock::{Clock, NonceSource, SystemClock, UuidNonce};
pub use crate::content::{Content, JsonStyle};
pub use crate::error::{
    ApiError, Error, ErrorLink, Result, SignatureError, V1ApiError, V3ApiError,
};
pub use crate::notify::{verify_notify, Notification, NOTIFY_SUCCESS};
pub use crate::signing::v1::V1Response;
/// The v3 response fuzz target's entry (not API).
#[doc(hidden)]
pub use crate::signing::v3::fuzz_v3_response;
pub use crate::signing::v3::V3Response;
pub use crate::transport::{
    BoxFuture, HttpResponse, RequestStrategy, ReqwestTransport, Transport, DEFAULT_BASE_DELAY,
    DEFAULT_MAX_DELAY, MAX_RESPONSE_BYTES,
};
/// The HTTP method type of [`ZhimaClient::request`].
pub use reqwest::Method;
/// The wire layer this SDK stands on (keys, signatures, AES, certificates, models).
pub use zhima_proto as proto;
/// The request and response models of the Zhima APIs.
pub use zhima_proto::models;
/// What signs requests ([`ClientBuilder::signer`]): an app private key, or a key held elsewhere.
pub use zhima_proto::sign::Signer;
/// Which official SDK's v1 wire layout to reproduce.
pub use zhima_proto::v1::SdkLayout;
/// The v1 `sign_type`.
pub use zhima_proto::SignType;
