//! Signing requests and verifying responses, one file per protocol: [`v1`] builds the signed
//! gateway form and judges the signed JSON envelope; [`v3`] builds the `Authorization` header
//! and judges the signed headers and body. The bytes come from zhima-proto; sending them is
//! `transport`'s job, so nothing here does I/O.

pub mod v1;
pub mod v3;

use zhima_proto::keys::{decode_base64_lenient, PublicKey};

use crate::error::{Error, SignatureError};

/// `failure`, unless the signature cannot be one by the platform key at all (not base64, or
/// not modulus-sized): then [`SignatureError::Malformed`], so that "malformed" and "wrong" are
/// told apart. Called once a check failed, so a good signature is not decoded twice.
pub(crate) fn malformed_or(sign_b64: &str, platform_key: &PublicKey, failure: Error) -> Error {
    match decode_base64_lenient(sign_b64, 0) {
        Ok(raw) if raw.len() == platform_key.bits().div_ceil(8) => failure,
        _ => Error::Signature(SignatureError::Malformed),
    }
}
