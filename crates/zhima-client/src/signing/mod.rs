//! Signing requests and verifying responses, one file per protocol: [`v1`] builds the signed
//! gateway form and judges the signed JSON envelope; [`v3`] builds the `Authorization` header
//! and judges the signed headers and body. The bytes come from zhima-proto; sending them is
//! `transport`'s job, so nothing here does I/O.

pub mod v1;
pub mod v3;

use zhima_proto::keys::{decode_base64_lenient, PublicKey};

use crate::error::{Error, Result, SignatureError};

/// Rejects a signature that cannot be one by the platform key (not base64, or not
/// modulus-sized) before verification, so that "malformed" and "wrong" are told apart.
pub(crate) fn verify_signature_shape(sign_b64: &str, platform_key: &PublicKey) -> Result<()> {
    match decode_base64_lenient(sign_b64, 0) {
        Ok(raw) if raw.len() == platform_key.bits().div_ceil(8) => Ok(()),
        _ => Err(Error::Signature(SignatureError::Malformed)),
    }
}
