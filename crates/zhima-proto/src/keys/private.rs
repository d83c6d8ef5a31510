//! [`PrivateKey`]: an app's or the platform's RSA private key, loaded from any form the SDKs
//! accept and written back in each of them.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pkcs8::der::Decode as _;

use super::format::{
    check_label, classify_der, decode_key_text, rejected, to_pem, KeyKind, RSA_ENCRYPTION_OID,
};
use super::public::PublicKey;
use super::sha1_signer::LegacySha1Signer;
use crate::error::{Error, Result};

/// An RSA private key that can sign with SHA256withRSA (`RSA2`) and SHA1withRSA (`RSA`).
pub struct PrivateKey {
    pair: KeyPair,
    pkcs1_der: Vec<u8>,
    legacy: LegacySha1Signer,
}

impl fmt::Debug for PrivateKey {
    // Never print key material, not even in debug logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({} bits, fp {})",
            self.bits(),
            self.public_key().fingerprint()
        )
    }
}

impl Clone for PrivateKey {
    fn clone(&self) -> Self {
        Self::from_pkcs1_der(&self.pkcs1_der).expect("re-parsing a key that parsed before")
    }
}

impl PrivateKey {
    /// Generates a fresh RSA-2048 key pair.
    pub fn generate() -> Result<Self> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| Error::KeyRejected("key generation failed".into()))?;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| Error::KeyRejected("cannot encode generated key".into()))?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// Loads a private key from PEM or bare base64, PKCS#1 or PKCS#8.
    pub fn from_text(text: &str) -> Result<Self> {
        let (der, label, _) = decode_key_text(text)?;
        let kind = classify_der(&der)?;
        check_label(label.as_deref(), kind)?;
        match kind {
            KeyKind::Pkcs1Private => Self::from_pkcs1_der(&der),
            KeyKind::Pkcs8Private => Self::from_pkcs8_der(&der),
            other => Err(Error::KeyKind(format!(
                "this is a public key ({}), a private key is needed here",
                other.describe()
            ))),
        }
    }

    /// Loads a PKCS#1 `RSAPrivateKey` DER.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let pair = KeyPair::from_der(der).map_err(rejected)?;
        let legacy = LegacySha1Signer::new(der)?;
        Ok(Self {
            pair,
            pkcs1_der: der.to_vec(),
            legacy,
        })
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` DER holding an RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| Error::KeyFormat(format!("PKCS#8 structure: {e}")))?;
        if info.algorithm.oid.to_string() != RSA_ENCRYPTION_OID {
            return Err(Error::KeyKind(format!(
                "PKCS#8 key of algorithm {} is not an RSA key",
                info.algorithm.oid
            )));
        }
        Self::from_pkcs1_der(info.private_key)
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.pair.public_modulus_len() * 8
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let spki = self
            .pair
            .public_key()
            .as_der()
            .map(|d: PublicKeyX509Der<'static>| d.as_ref().to_vec())
            .expect("aws-lc-rs encodes the public half of a key it holds");
        PublicKey::from_spki_der(&spki).expect("derived SPKI parses")
    }

    /// PKCS#1 DER (`RSAPrivateKey`).
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        self.pkcs1_der.clone()
    }

    /// PKCS#8 DER (`PrivateKeyInfo`).
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        let der: Pkcs8V1Der<'static> = self
            .pair
            .as_der()
            .expect("aws-lc-rs encodes a key it holds");
        der.as_ref().to_vec()
    }

    /// `-----BEGIN RSA PRIVATE KEY-----` PEM (Python/Node SDK default).
    pub fn to_pkcs1_pem(&self) -> String {
        to_pem("RSA PRIVATE KEY", &self.pkcs1_der)
    }

    /// `-----BEGIN PRIVATE KEY-----` PEM.
    pub fn to_pkcs8_pem(&self) -> String {
        to_pem("PRIVATE KEY", &self.to_pkcs8_der())
    }

    /// Bare one-line base64 of the PKCS#1 DER.
    pub fn to_pkcs1_base64(&self) -> String {
        STANDARD.encode(&self.pkcs1_der)
    }

    /// Bare one-line base64 of the PKCS#8 DER (the Java SDK's `privateKey` form).
    pub fn to_pkcs8_base64(&self) -> String {
        STANDARD.encode(self.to_pkcs8_der())
    }

    pub(crate) fn pair(&self) -> &KeyPair {
        &self.pair
    }

    pub(crate) fn legacy(&self) -> &LegacySha1Signer {
        &self.legacy
    }

    /// Whether `public` is the public half of this key.
    pub fn matches(&self, public: &PublicKey) -> bool {
        self.public_key().spki_der() == public.spki_der()
    }
}
