//! RSA keys in every form Alipay's key tool and the official SDKs hand out.
//!
//! * private keys: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`), PEM or bare base64
//!   (with or without line breaks, spaces, a trailing newline);
//! * public keys: SubjectPublicKeyInfo (`PUBLIC KEY`), PEM or bare base64, or an X.509
//!   certificate (the platform certificate of cert mode).
//!
//! All RSA arithmetic is done by aws-lc-rs (never the `rsa` crate, RUSTSEC-2023-0071).
//! Errors say what was found, e.g. "this is a public key" or
//! "PKCS#1 body under a PKCS#8 header".

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, ParsedPublicKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pkcs8::der::Decode as _;
use x509_parser::prelude::FromDer as _;

use crate::error::{Error, Result};

const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// How a key was written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// `-----BEGIN …-----` armour.
    Pem,
    /// Bare base64 of the DER, the form Alipay's key tool and the Java SDK use.
    Base64,
}

/// What a blob of key material turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `RSAPrivateKey` (RFC 8017), the Python and Node SDKs' default.
    Pkcs1Private,
    /// `PrivateKeyInfo` (RFC 5208) wrapping an RSA key, the Java SDK's form.
    Pkcs8Private,
    /// `SubjectPublicKeyInfo` (RFC 5280), what Alipay calls the public key.
    SpkiPublic,
    /// Bare `RSAPublicKey` (RFC 8017).
    Pkcs1Public,
    /// An X.509 certificate carrying an RSA public key (cert mode).
    Certificate,
}

impl KeyKind {
    /// Human description used by `zhima keys inspect` and in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            KeyKind::Pkcs1Private => "RSA private key, PKCS#1",
            KeyKind::Pkcs8Private => "RSA private key, PKCS#8",
            KeyKind::SpkiPublic => "RSA public key, SPKI (X.509 SubjectPublicKeyInfo)",
            KeyKind::Pkcs1Public => "RSA public key, PKCS#1",
            KeyKind::Certificate => "X.509 certificate",
        }
    }

    /// Whether this kind holds private material.
    pub fn is_private(self) -> bool {
        matches!(self, KeyKind::Pkcs1Private | KeyKind::Pkcs8Private)
    }
}

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

/// An RSA private key that can sign with SHA256withRSA (`RSA2`) and SHA1withRSA (`RSA`).
pub struct PrivateKey {
    pair: KeyPair,
    pkcs1_der: Vec<u8>,
    legacy: crate::sign::LegacySha1Signer,
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
        let legacy = crate::sign::LegacySha1Signer::new(der)?;
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

    pub(crate) fn legacy(&self) -> &crate::sign::LegacySha1Signer {
        &self.legacy
    }

    /// Whether `public` is the public half of this key.
    pub fn matches(&self, public: &PublicKey) -> bool {
        self.public_key().spki_der == public.spki_der
    }
}

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

    pub(crate) fn parsed(&self, sign_type: crate::sign::SignType) -> &ParsedPublicKey {
        match sign_type {
            crate::sign::SignType::Rsa2 => &self.rsa2,
            crate::sign::SignType::Rsa => &self.rsa1,
        }
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

/// aws-lc's rejections are terse (`TooSmall`); say what it means for an Alipay key.
fn rejected(e: aws_lc_rs::error::KeyRejected) -> Error {
    let why = e.to_string();
    Error::KeyRejected(match why.as_str() {
        "TooSmall" => "the RSA key is smaller than 2048 bits; Alipay requires RSA-2048 \
                       (make one with `zhima keys gen`)"
            .to_string(),
        "TooLarge" => "the RSA key is larger than 8192 bits".to_string(),
        "InconsistentComponents" | "InvalidComponent" => {
            format!("the RSA key's numbers are inconsistent ({why}); the key is corrupt")
        }
        _ => format!("the crypto library refused the key ({why})"),
    })
}

fn modulus_bits(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Result<usize> {
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Ok(rsa.key_size()),
        _ => Err(Error::KeyFormat("SPKI does not hold an RSA key".into())),
    }
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

/// Wraps DER in PEM armour with 64-column lines.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// One `-----BEGIN X-----` … `-----END X-----` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label, e.g. `CERTIFICATE`.
    pub label: String,
    /// The decoded body.
    pub der: Vec<u8>,
}

/// Splits text into PEM blocks.
///
/// Hand-rolled on purpose: strict RFC 7468 parsers (pem-rfc7468) reject the one-line bodies
/// the Node SDK produces (`formatKey` re-wraps the key as a single line) and bodies with stray
/// spaces pasted from Alipay's console, which the SDKs all accept.
pub fn pem_blocks(text: &str) -> Result<Vec<PemBlock>> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after
            .find("-----")
            .ok_or_else(|| Error::KeyFormat("PEM header is not closed with -----".into()))?;
        let label = after[..label_end].trim().to_string();
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_start.find(&end_marker).ok_or_else(|| {
            Error::KeyFormat(format!("PEM block {label:?} has no matching {end_marker}"))
        })?;
        let body = &body_start[..body_end];
        // PEM headers such as `Proc-Type:` (encrypted keys) are not something we can use.
        if body.contains(':') {
            return Err(Error::KeyFormat(format!(
                "PEM block {label:?} has headers (an encrypted key?); export it unencrypted"
            )));
        }
        let body_offset = text.len() - body_start.len();
        let der = decode_base64_lenient(body, body_offset)?;
        blocks.push(PemBlock { label, der });
        rest = &body_start[body_end + end_marker.len()..];
    }
    Ok(blocks)
}

/// Decodes base64 ignoring ASCII whitespace; an offending character is reported with its
/// byte offset in the original text (`base_offset` + position in `s`).
pub fn decode_base64_lenient(s: &str, base_offset: usize) -> Result<Vec<u8>> {
    let mut compact = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' | '=' => compact.push(c),
            c if c.is_ascii_whitespace() => {}
            c => {
                return Err(Error::Base64 {
                    offset: base_offset + i,
                    found: c,
                })
            }
        }
    }
    STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| Error::Base64Length(e.to_string()))
}

/// Turns key text into DER plus the PEM label (None for bare base64).
fn decode_key_text(text: &str) -> Result<(Vec<u8>, Option<String>, TextEncoding)> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(Error::KeyFormat("empty key text".into()));
    }
    if trimmed.contains("-----BEGIN ") {
        let block = pem_blocks(trimmed)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::KeyFormat("no PEM block".into()))?;
        Ok((block.der, Some(block.label), TextEncoding::Pem))
    } else {
        let offset = text.len() - text.trim_start_matches('\u{feff}').trim_start().len();
        Ok((
            decode_base64_lenient(trimmed, offset)?,
            None,
            TextEncoding::Base64,
        ))
    }
}

/// Finds out what a DER blob is by trying each structure in turn.
pub fn classify_der(der: &[u8]) -> Result<KeyKind> {
    if pkcs8::PrivateKeyInfo::from_der(der).is_ok() {
        return Ok(KeyKind::Pkcs8Private);
    }
    if x509_parser::parse_x509_certificate(der).is_ok_and(|(rest, _)| rest.is_empty()) {
        return Ok(KeyKind::Certificate);
    }
    if x509_parser::x509::SubjectPublicKeyInfo::from_der(der).is_ok_and(|(rest, _)| rest.is_empty())
    {
        return Ok(KeyKind::SpkiPublic);
    }
    // AWS-LC's own parser accepts any size, so an RSA-1024 key is recognised as a PKCS#1 key
    // (and then refused for its size) rather than called unknown.
    if KeyPair::from_der(der).is_ok() || crate::sign::LegacySha1Signer::new(der).is_ok() {
        return Ok(KeyKind::Pkcs1Private);
    }
    if aws_lc_rs::rsa::PublicKey::from_der(der).is_ok() {
        return Ok(KeyKind::Pkcs1Public);
    }
    Err(Error::KeyFormat(format!(
        "{} bytes of DER that are neither an RSA private key (PKCS#1/PKCS#8), \
         a public key (SPKI/PKCS#1) nor a certificate",
        der.len()
    )))
}

/// A PEM label must agree with what the body is; a mismatch is the classic
/// "PKCS#1 body pasted under a PKCS#8 header" mistake.
fn check_label(label: Option<&str>, kind: KeyKind) -> Result<()> {
    let Some(label) = label else { return Ok(()) };
    let expected = match kind {
        KeyKind::Pkcs1Private => "RSA PRIVATE KEY",
        KeyKind::Pkcs8Private => "PRIVATE KEY",
        KeyKind::SpkiPublic => "PUBLIC KEY",
        KeyKind::Pkcs1Public => "RSA PUBLIC KEY",
        KeyKind::Certificate => "CERTIFICATE",
    };
    if label == expected {
        return Ok(());
    }
    let header_kind = match label {
        "RSA PRIVATE KEY" => "a PKCS#1 private key header",
        "PRIVATE KEY" => "a PKCS#8 header",
        "PUBLIC KEY" => "an SPKI public key header",
        "RSA PUBLIC KEY" => "a PKCS#1 public key header",
        "CERTIFICATE" => "a certificate header",
        _ => "an unknown header",
    };
    let body_kind = match kind {
        KeyKind::Pkcs1Private => "PKCS#1 private key body",
        KeyKind::Pkcs8Private => "PKCS#8 private key body",
        KeyKind::SpkiPublic => "SPKI public key body",
        KeyKind::Pkcs1Public => "PKCS#1 public key body",
        KeyKind::Certificate => "certificate body",
    };
    Err(Error::KeyFormat(format!(
        "{body_kind} under {header_kind} (-----BEGIN {label}-----); the header should be \
         -----BEGIN {expected}-----"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_round_trips_through_every_form() {
        let key = PrivateKey::generate().unwrap();
        assert_eq!(key.bits(), 2048);
        for text in [
            key.to_pkcs1_pem(),
            key.to_pkcs8_pem(),
            key.to_pkcs1_base64(),
            key.to_pkcs8_base64(),
        ] {
            let again = PrivateKey::from_text(&text).unwrap();
            assert!(again.matches(&key.public_key()));
        }
        let public = key.public_key();
        assert_eq!(PublicKey::from_text(&public.to_spki_pem()).unwrap(), public);
        assert_eq!(
            PublicKey::from_text(&public.to_spki_base64()).unwrap(),
            public
        );
        assert!(!PrivateKey::generate().unwrap().matches(&public));
    }

    /// A throwaway RSA-1024 key (made with `openssl genrsa -traditional 1024`): too small.
    const RSA_1024_PKCS1: &str = "MIICWwIBAAKBgQDLm5Po5WIgDZoGNzQGUtg3Nmr4JemsfizIKm8OKWfVslI6kZ2tQR9cJ+CCqTwDFAPTz4xPV5EU9YY2S+cl9izGTcw82b/r1wLgEFLHKCrr9wZtOR0z2GLSwaW7qWrrfqeKIGKDAdm/GZ320E9IFniiVlnlpkbfoH7nsAu7uY3hqwIDAQABAoGAUpyia+m+YaEDMKhvXG16uxRCXMMNR+a+Bs1o2Acm0UcUJB13K5fzwHGRn5JI/jq9vtBEbuDpxeZE+XzcocN7sJR7K1JYa5+FObHkL0iiA21Mp2aiSBIwiQi8vqk/Mzs9LIEVpS1Jm3e4cVHVkdqO8ec5g1p9C0soxrRSls2y4hECQQD3fOiEb5Kexf1agaLUqZbKobIlJ/e1VTOu+uHTIaap4QpupN7Vfq5EBPRvLbhfDRAS6jrr4mlXMoJ3+Yi1Kor5AkEA0pxPtQpva7xeUug1D2r/K2kkmafTEckcecmnjbxvlPO2DqmG/lbXezUp+8kPerjOjsQVUl2NPtojww7PK2G2wwJAfFTICyByLEmTChDuWKAKHSo2cOwvSW3QVSu8n3DcZaOktgkl2WOW8Jz8n438feP2G0qI51ALU78QRG2b/EevIQJAdUi22orFIan0nRbS9ZMQJoyW5TqgP/dO9ENoG3YkbT6K0/90PY7+0I36o0yEYkMoRDjN5uBSF/5CjA1jMTVpIQJAKkTTu9ENoA/VtobAvxk1EIslsrS+QEZacTyp2+DoMlyGXht1RmFqaQHBcUMk7t22n6sPZIdTWSEdhZ6HSRO0aw==";

    #[test]
    fn a_small_key_is_recognised_and_refused_for_its_size() {
        assert_eq!(
            classify_der(&decode_base64_lenient(RSA_1024_PKCS1, 0).unwrap()).unwrap(),
            KeyKind::Pkcs1Private
        );
        let err = PrivateKey::from_text(RSA_1024_PKCS1).unwrap_err();
        assert!(err.to_string().contains("smaller than 2048 bits"), "{err}");
    }

    #[test]
    fn errors_say_what_was_found() {
        let key = PrivateKey::generate().unwrap();
        let err = PrivateKey::from_text(&key.public_key().to_spki_pem()).unwrap_err();
        assert!(err.to_string().contains("this is a public key"), "{err}");
        let err = PublicKey::from_text(&key.to_pkcs1_pem()).unwrap_err();
        assert!(err.to_string().contains("this is a private key"), "{err}");
        let mislabelled = key.to_pkcs1_pem().replace("RSA PRIVATE KEY", "PRIVATE KEY");
        let err = PrivateKey::from_text(&mislabelled).unwrap_err();
        assert!(
            err.to_string()
                .contains("PKCS#1 private key body under a PKCS#8 header"),
            "{err}"
        );
        let err = PrivateKey::from_text("  MIIE*owIBAAK").unwrap_err();
        assert_eq!(
            err,
            Error::Base64 {
                offset: 6,
                found: '*'
            }
        );
    }

    #[test]
    fn bare_base64_with_spaces_and_breaks_loads() {
        let key = PrivateKey::generate().unwrap();
        let b64 = key.to_pkcs8_base64();
        let messy = format!("\n {} \n{}\r\n", &b64[..100], &b64[100..]);
        assert!(PrivateKey::from_text(&messy)
            .unwrap()
            .matches(&key.public_key()));
        let one_line_pem = format!("-----BEGIN PRIVATE KEY-----{b64}-----END PRIVATE KEY-----");
        assert!(PrivateKey::from_text(&one_line_pem).is_ok());
    }
}
