//! [`inspect`]: what a key text is (kind, encoding, size, fingerprint), for `zhima keys
//! inspect` and `zhima doctor`.

use super::format::{check_label, classify_der, decode_key_text, KeyKind, TextEncoding};
use super::private::PrivateKey;
use super::public::PublicKey;
use crate::error::Result;

/// The facts `inspect` finds out about a key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// What the DER is.
    pub kind: KeyKind,
    /// How it was written.
    pub encoding: TextEncoding,
    /// RSA modulus size in bits.
    pub bits: usize,
    /// Lowercase hex SHA-256 of the SPKI DER of the (derived) public key.
    pub fingerprint: String,
}

/// Says what a key text is without keeping it: kind, encoding, size, fingerprint.
pub fn inspect(text: &str) -> Result<KeyInfo> {
    let (der, label, encoding) = decode_key_text(text)?;
    let kind = classify_der(&der)?;
    check_label(label.as_deref(), kind)?;
    let (bits, fingerprint) = if kind.is_private() {
        let key = PrivateKey::from_text(text)?;
        (key.bits(), key.public_key().fingerprint())
    } else {
        let key = PublicKey::from_text(text)?;
        (key.bits(), key.fingerprint())
    };
    Ok(KeyInfo {
        kind,
        encoding,
        bits,
        fingerprint,
    })
}
