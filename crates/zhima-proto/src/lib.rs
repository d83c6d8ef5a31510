//! # zhima-proto
//!
//! The Alipay / Zhima Credit open-platform wire protocol, byte for byte, with no I/O: the
//! server (`zhima-server`), the SDK (`zhima-client`) and the CLI all stand on this crate.
//!
//! ## Module map
//!
//! | module | what lives there |
//! |---|---|
//! | [`keys`] | RSA keys: [`keys::PrivateKey`] (`keys/private.rs`), [`keys::PublicKey`] (`keys/public.rs`), PEM/base64/DER forms (`keys/format.rs`), [`keys::inspect`] |
//! | [`sign`] | [`SignType`]: `RSA2` (SHA256withRSA) and `RSA` (SHA1withRSA) signing and fail-closed verification |
//! | [`v1`] | gateway (`gateway.do`): parameter parsing ([`v1::params`]), string-to-sign (`v1/sign_content.rs`), request layout ([`v1::request`]), signed response envelope ([`v1::response`]), client-side node extraction ([`v1::extract`]), wire names (`version`, `trace_id`: [`v1::names`]) |
//! | [`v3`] | REST: `Authorization` header ([`v3::authorization`]), strings-to-sign (`v3/sign_content.rs`), response headers ([`v3::response`]), header names ([`v3::headers`]) |
//! | [`aes`] | content encryption: AES-CBC, zero IV, PKCS#7, base64; its wire name [`aes::ENCRYPT_TYPE`] |
//! | [`cert`] | certificate mode: cert SN and root-bundle SN |
//! | [`models`] | serde models of the Zhima APIs (cumulation sync, state sync, queries, settlement) |
//! | [`validate`] | request validation returning the documented error codes in the documented order |
//! | [`catalog`] | the error catalogue as data: gateway codes (`10000` success), v3 codes + HTTP status, business codes (`SYSTEM_ERROR`) |
//! | [`money`] | integer fen parsed strictly from yuan strings |
//! | [`time`] | `yyyy-MM-dd HH:mm:ss` in UTC+8, epoch milliseconds |
//! | [`error`] | the crate's error type for keys, crypto and wire parsing |
//!
//! ## Example: sign a v1 request and verify it as the gateway does
//!
//! ```
//! use zhima_proto::keys::PrivateKey;
//! use zhima_proto::v1::{self, GatewayParams};
//!
//! let app_key = PrivateKey::generate()?;
//! let mut params = GatewayParams::from_pairs([
//!     ("app_id", "2021000000000001"),
//!     ("method", "zhima.data.state.data.sync"),
//!     ("charset", "utf-8"),
//!     ("sign_type", "RSA2"),
//!     ("timestamp", "2024-05-20 10:00:00"),
//!     ("version", v1::VERSION),
//!     ("biz_content", r#"{"out_biz_no":"1"}"#),
//! ]);
//! let (string_to_sign, sign) = v1::sign_params(&params, &app_key)?;
//! assert!(string_to_sign.starts_with("app_id=2021000000000001&biz_content={"));
//! params.insert("sign", sign);
//! v1::verify_request(&params, &app_key.public_key())?;
//! # Ok::<(), zhima_proto::Error>(())
//! ```

#![warn(missing_docs)]

pub mod aes;
pub mod catalog;
pub mod cert;
pub mod error;
pub mod keys;
pub mod models;
pub mod money;
pub mod sign;
pub mod time;
pub mod v1;
pub mod v3;
pub mod validate;

pub use error::Error;
pub use keys::{PrivateKey, PublicKey};
pub use sign::SignType;
