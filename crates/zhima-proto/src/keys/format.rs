//! How key material is written down and what it turns out to be: PEM armour, bare base64,
//! and the DER structures (PKCS#1, PKCS#8, SPKI, X.509) told apart by trying each in turn.

use aws_lc_rs::rsa::KeyPair;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pkcs8::der::Decode as _;
use x509_parser::prelude::FromDer as _;

use super::sha1_signer::LegacySha1Signer;
use crate::error::{Error, Result};

/// The `rsaEncryption` algorithm OID of PKCS#8 and SPKI.
pub(super) const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

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

/// aws-lc's rejections are terse (`TooSmall`); say what it means for an Alipay key.
pub(super) fn rejected(e: aws_lc_rs::error::KeyRejected) -> Error {
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
pub(super) fn decode_key_text(text: &str) -> Result<(Vec<u8>, Option<String>, TextEncoding)> {
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
    if KeyPair::from_der(der).is_ok() || LegacySha1Signer::new(der).is_ok() {
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
pub(super) fn check_label(label: Option<&str>, kind: KeyKind) -> Result<()> {
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
