//! RSASSA-PKCS1-v1_5 signatures as Alipay uses them: `RSA2` = SHA256withRSA,
//! `RSA` = SHA1withRSA, signatures as standard base64 with padding.
//!
//! PKCS#1 v1.5 is deterministic, so the same key and bytes always give the same
//! signature: that is what lets tests reproduce the official SDKs' output byte for byte.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::signature;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::keys::{PrivateKey, PublicKey};

/// The `sign_type` of a request (v3 is always [`SignType::Rsa2`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignType {
    /// `RSA2`: SHA256withRSA. The default everywhere.
    #[default]
    Rsa2,
    /// `RSA`: SHA1withRSA, legacy but still accepted by Alipay.
    Rsa,
}

impl SignType {
    /// The wire spelling, `RSA2` or `RSA`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Rsa2 => "RSA2",
            SignType::Rsa => "RSA",
        }
    }

    /// The Java-style algorithm name, as shown in diagnostics.
    pub fn algorithm_name(self) -> &'static str {
        match self {
            SignType::Rsa2 => "SHA256withRSA",
            SignType::Rsa => "SHA1withRSA",
        }
    }
}

impl fmt::Display for SignType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignType {
    type Err = Error;
    /// Exact, case-sensitive as on the gateway: `RSA2` or `RSA`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "RSA2" => Ok(SignType::Rsa2),
            "RSA" => Ok(SignType::Rsa),
            other => Err(Error::SignType(other.to_string())),
        }
    }
}

/// What makes request signatures: a [`PrivateKey`] in memory (the usual case), or a key held
/// elsewhere — an HSM, a cloud KMS, a signing service — behind the same two calls.
///
/// Everything that signs a request ([`crate::v1::build_request`], [`crate::v1::sign_params`],
/// [`crate::v3::Authorization::sign`]) takes any `Signer`.
///
/// ```
/// use zhima_proto::sign::{SignType, Signer};
/// use zhima_proto::PrivateKey;
///
/// /// Counts what it signs, then delegates to a key.
/// struct Audited(PrivateKey, std::sync::atomic::AtomicUsize);
///
/// impl Signer for Audited {
///     fn sign(&self, sign_type: SignType, message: &[u8]) -> zhima_proto::error::Result<String> {
///         self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         self.0.sign(sign_type, message)
///     }
/// }
///
/// let key = PrivateKey::generate().unwrap();
/// let audited = Audited(key.clone(), Default::default());
/// let sig = Signer::sign(&audited, SignType::Rsa2, b"a=1").unwrap();
/// key.public_key().verify(SignType::Rsa2, b"a=1", &sig).unwrap();
/// ```
pub trait Signer: Send + Sync {
    /// Signs `message` with `sign_type` (RSA2 = SHA256withRSA, RSA = SHA1withRSA) and returns
    /// the standard base64 signature.
    fn sign(&self, sign_type: SignType, message: &[u8]) -> Result<String>;
}

impl Signer for PrivateKey {
    fn sign(&self, sign_type: SignType, message: &[u8]) -> Result<String> {
        PrivateKey::sign(self, sign_type, message)
    }
}

impl PrivateKey {
    /// Signs `message` and returns the standard base64 signature.
    pub fn sign(&self, sign_type: SignType, message: &[u8]) -> Result<String> {
        let raw = match sign_type {
            SignType::Rsa2 => {
                let mut sig = vec![0u8; self.pair().public_modulus_len()];
                let rng = aws_lc_rs::rand::SystemRandom::new();
                self.pair()
                    .sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|_| Error::Signing)?;
                sig
            }
            SignType::Rsa => self.legacy().sign_sha1(message)?,
        };
        Ok(STANDARD.encode(raw))
    }
}

impl PublicKey {
    /// Verifies a base64 signature over `message`. Fails closed: anything but a valid
    /// signature by this key (bad base64, wrong length, wrong key, wrong bytes) is an error.
    pub fn verify(&self, sign_type: SignType, message: &[u8], signature_b64: &str) -> Result<()> {
        if signature_b64.is_empty() {
            return Err(Error::MissingSignature);
        }
        let sig = STANDARD
            .decode(signature_b64.as_bytes())
            .map_err(|_| Error::BadSignature)?;
        let parsed = match sign_type {
            SignType::Rsa2 => self.parsed_sha256(),
            SignType::Rsa => self.parsed_sha1(),
        };
        parsed
            .verify_sig(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sign_types_round_trip_and_fail_closed() {
        let key = PrivateKey::generate().unwrap();
        let public = key.public_key();
        for st in [SignType::Rsa2, SignType::Rsa] {
            let sig = key.sign(st, b"a=1&b=2").unwrap();
            assert_eq!(sig.len(), 344);
            public.verify(st, b"a=1&b=2", &sig).unwrap();
            assert_eq!(
                public.verify(st, b"a=1&b=3", &sig),
                Err(Error::BadSignature)
            );
            let other = if st == SignType::Rsa2 {
                SignType::Rsa
            } else {
                SignType::Rsa2
            };
            assert_eq!(
                public.verify(other, b"a=1&b=2", &sig),
                Err(Error::BadSignature)
            );
            assert_eq!(
                public.verify(st, b"a=1&b=2", ""),
                Err(Error::MissingSignature)
            );
            assert_eq!(
                public.verify(st, b"a=1&b=2", "!!"),
                Err(Error::BadSignature)
            );
        }
        assert_eq!("RSA2".parse::<SignType>().unwrap(), SignType::Rsa2);
        assert!("rsa2".parse::<SignType>().is_err());
    }
}
