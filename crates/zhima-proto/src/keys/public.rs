//! [`PublicKey`]: the key that verifies signatures, loaded from SPKI, PKCS#1 or a certificate
//! and parsed once per algorithm.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::ParsedPublicKey;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use x509_parser::prelude::FromDer as _;

use super::format::{
    check_label, classify_der, decode_key_text, rejected, to_pem, KeyKind, RSA_ENCRYPTION_OID,
};
use crate::error::{Error, Result};

/// An RSA public key (stored as SPKI DER) used to verify signatures.
///
/// The key is parsed once per algorithm at load time; verification then skips the DER
/// decoding (a third of the cost of a 2048-bit verify).
#[derive(Clone)]
pub struct PublicKey {
    spki_der: Vec<u8>,
    bits: usize,
    rsa2: ParsedPublicKey,
    rsa1: ParsedPublicKey,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({} bits, fp {})",
            self.bits,
            self.fingerprint()
        )
    }
}

impl PublicKey {
    /// Loads a public key from SPKI (PEM or bare base64), PKCS#1 `RSA PUBLIC KEY`, or an
    /// X.509 certificate (PEM or base64 DER).
    pub fn from_text(text: &str) -> Result<Self> {
        let (der, label, _) = decode_key_text(text)?;
        let kind = classify_der(&der)?;
        check_label(label.as_deref(), kind)?;
        match kind {
            KeyKind::SpkiPublic => Self::from_spki_der(&der),
            KeyKind::Pkcs1Public => Self::from_pkcs1_der(&der),
            KeyKind::Certificate => Self::from_certificate_der(&der),
            private => Err(Error::KeyKind(format!(
                "this is a private key ({}); give the public key here (never share the private one)",
                private.describe()
            ))),
        }
    }

    /// Loads an SPKI DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| Error::KeyFormat(format!("SPKI structure: {e}")))?;
        if !rest.is_empty() {
            return Err(Error::KeyFormat("trailing bytes after SPKI".into()));
        }
        if spki.algorithm.algorithm.to_id_string() != RSA_ENCRYPTION_OID {
            return Err(Error::KeyKind(format!(
                "public key of algorithm {} is not an RSA key",
                spki.algorithm.algorithm.to_id_string()
            )));
        }
        // Let the crypto library judge the key itself (modulus sanity, exponent).
        aws_lc_rs::rsa::PublicKey::from_der(der).map_err(rejected)?;
        let bits = modulus_bits(&spki)?;
        let parse = |alg: &'static aws_lc_rs::signature::RsaParameters| {
            ParsedPublicKey::new(alg, der).map_err(rejected)
        };
        Ok(Self {
            spki_der: der.to_vec(),
            bits,
            rsa2: parse(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)?,
            rsa1: parse(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)?,
        })
    }

    /// Loads a PKCS#1 `RSAPublicKey` DER.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let parsed = aws_lc_rs::rsa::PublicKey::from_der(der).map_err(rejected)?;
        let spki: PublicKeyX509Der<'static> = parsed
            .as_der()
            .map_err(|_| Error::KeyRejected("cannot re-encode".into()))?;
        Self::from_spki_der(spki.as_ref())
    }

    /// Takes the public key out of an X.509 certificate (DER).
    pub fn from_certificate_der(der: &[u8]) -> Result<Self> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| Error::Certificate(e.to_string()))?;
        Self::from_spki_der(cert.public_key().raw)
    }

    /// The key parsed for SHA256withRSA (`RSA2`) verification.
    pub(crate) fn parsed_sha256(&self) -> &ParsedPublicKey {
        &self.rsa2
    }

    /// The key parsed for SHA1withRSA (`RSA`) verification.
    pub(crate) fn parsed_sha1(&self) -> &ParsedPublicKey {
        &self.rsa1
    }

    /// SPKI DER bytes.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn to_spki_pem(&self) -> String {
        to_pem("PUBLIC KEY", &self.spki_der)
    }

    /// Bare one-line base64 of the SPKI DER (the form pasted into Alipay's console).
    pub fn to_spki_base64(&self) -> String {
        STANDARD.encode(&self.spki_der)
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Lowercase hex SHA-256 of the SPKI DER.
    pub fn fingerprint(&self) -> String {
        hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            &self.spki_der,
        ))
    }
}

fn modulus_bits(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Result<usize> {
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Ok(rsa.key_size()),
        _ => Err(Error::KeyFormat("SPKI does not hold an RSA key".into())),
    }
}
