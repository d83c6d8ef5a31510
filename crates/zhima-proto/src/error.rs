//! The one error type of the crypto/wire half of this crate.
//!
//! Messages say what was *found*, so that a merchant staring at a key file or a
//! rejected request learns what is wrong without reading our source.

use thiserror::Error;

/// Everything that can go wrong while loading keys, signing, verifying, encrypting
/// or parsing wire data.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The text handed in as a key is not a key in any form we know.
    #[error("not a key: {0}")]
    KeyFormat(String),
    /// A public key was given where a private key is needed (or the reverse).
    #[error("wrong kind of key: {0}")]
    KeyKind(String),
    /// Base64 text had a character that is not base64.
    #[error("not base64 at offset {offset}: {found:?}")]
    Base64 {
        /// Byte offset of the first offending character.
        offset: usize,
        /// The offending character.
        found: char,
    },
    /// Base64 alphabet was fine but the length or padding was not.
    #[error("malformed base64: {0}")]
    Base64Length(String),
    /// The key parsed but the crypto library refused it (too small, inconsistent…).
    #[error("key rejected: {0}")]
    KeyRejected(String),
    /// `sign_type` is neither `RSA2` nor `RSA`.
    #[error("unsupported sign_type {0:?} (expected RSA2 or RSA)")]
    SignType(String),
    /// Signing failed inside the crypto library.
    #[error("signing failed")]
    Signing,
    /// A signature did not verify (or was not valid base64 / not the right length).
    #[error("signature does not verify")]
    BadSignature,
    /// A signature that must be present was missing.
    #[error("missing signature")]
    MissingSignature,
    /// AES key of a length AES does not have.
    #[error("AES key must be 16, 24 or 32 bytes, got {0}")]
    AesKeyLength(usize),
    /// AES ciphertext could not be decrypted (bad base64, bad length, bad padding).
    #[error("AES decryption failed: {0}")]
    AesDecrypt(String),
    /// An X.509 certificate could not be parsed.
    #[error("certificate: {0}")]
    Certificate(String),
    /// A v1 gateway request could not be decoded.
    #[error("gateway request: {0}")]
    GatewayRequest(String),
    /// A v1 gateway response body does not have the shape the SDKs expect.
    #[error("gateway response: {0}")]
    GatewayResponse(String),
    /// A v3 `Authorization` header (or response header set) is malformed.
    #[error("v3 authorization: {0}")]
    V3Header(String),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
