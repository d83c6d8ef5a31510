//! Certificate mode (公钥证书模式): certificate serial numbers as Alipay computes them.
//!
//! `SN = hex(MD5(issuer DN in RFC 2253 form ‖ serial number in decimal))`, and the root SN is
//! the `_`-joined SNs of the RSA-signed certificates in the root bundle, in file order
//! (PROTOCOL.md §A6). Parsing is done by x509-parser; only the DN string is assembled here,
//! because it must match Java's `X500Principal.getName()` byte for byte.

use md5::{Digest as _, Md5};
use x509_parser::certificate::X509Certificate;
use x509_parser::x509::X509Name;

use crate::error::{Error, Result};
use crate::keys::{pem_blocks, PublicKey};

const RSA_SIGNATURE_OID_PREFIX: &str = "1.2.840.113549.1.1";

/// A parsed certificate with the facts cert mode needs.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// Alipay's SN of this certificate (32 lowercase hex).
    pub sn: String,
    /// The issuer DN as RFC 2253 text (what goes into the SN).
    pub issuer_dn: String,
    /// The serial number in decimal.
    pub serial_decimal: String,
    /// Whether the certificate is signed with an RSA-family algorithm.
    pub rsa_signed: bool,
    /// The certificate's RSA public key (None for a non-RSA key, e.g. an ECDSA root).
    pub public_key: Option<PublicKey>,
    /// The certificate DER.
    pub der: Vec<u8>,
}

/// Parses one certificate (DER).
pub fn parse_certificate_der(der: &[u8]) -> Result<CertInfo> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| Error::Certificate(e.to_string()))?;
    let issuer_dn = rfc2253(cert.issuer());
    let serial_decimal = cert.tbs_certificate.serial.to_str_radix(10);
    let sn = sn_of(&issuer_dn, &serial_decimal);
    let rsa_signed = is_rsa_signed(&cert);
    // Non-RSA (e.g. ECDSA) roots are legitimately present in Alipay's bundle.
    let public_key = PublicKey::from_spki_der(cert.public_key().raw).ok();
    Ok(CertInfo {
        sn,
        issuer_dn,
        serial_decimal,
        rsa_signed,
        public_key,
        der: der.to_vec(),
    })
}

/// SN of the first certificate in a PEM text (or a bare base64 DER certificate).
pub fn cert_sn(text: &str) -> Result<String> {
    let der = first_cert_der(text)?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(&der).map_err(|e| Error::Certificate(e.to_string()))?;
    Ok(sn_of(
        &rfc2253(cert.issuer()),
        &cert.tbs_certificate.serial.to_str_radix(10),
    ))
}

/// Loads the RSA public key of the first certificate in `text` together with its SN.
pub fn load_certificate(text: &str) -> Result<CertInfo> {
    parse_certificate_der(&first_cert_der(text)?)
}

/// Root-bundle SN: SNs of the RSA-signed certificates of a PEM bundle, joined with `_`.
pub fn root_cert_sn(bundle_pem: &str) -> Result<String> {
    let mut sns = Vec::new();
    for block in pem_blocks(bundle_pem)? {
        if block.label != "CERTIFICATE" {
            continue;
        }
        let (_, cert) = x509_parser::parse_x509_certificate(&block.der)
            .map_err(|e| Error::Certificate(e.to_string()))?;
        if is_rsa_signed(&cert) {
            sns.push(sn_of(
                &rfc2253(cert.issuer()),
                &cert.tbs_certificate.serial.to_str_radix(10),
            ));
        }
    }
    if sns.is_empty() {
        return Err(Error::Certificate(
            "no RSA-signed certificate in the root bundle".into(),
        ));
    }
    Ok(sns.join("_"))
}

fn first_cert_der(text: &str) -> Result<Vec<u8>> {
    if text.contains("-----BEGIN ") {
        pem_blocks(text)?
            .into_iter()
            .find(|b| b.label == "CERTIFICATE")
            .map(|b| b.der)
            .ok_or_else(|| Error::Certificate("no CERTIFICATE block".into()))
    } else {
        crate::keys::decode_base64_lenient(text.trim(), 0)
    }
}

fn is_rsa_signed(cert: &X509Certificate<'_>) -> bool {
    cert.signature_algorithm
        .algorithm
        .to_id_string()
        .starts_with(RSA_SIGNATURE_OID_PREFIX)
}

fn sn_of(issuer_dn: &str, serial_decimal: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(issuer_dn.as_bytes());
    md5.update(serial_decimal.as_bytes());
    hex::encode(md5.finalize())
}

/// RFC 2253 string of a name, as Java's `X500Principal.getName()`: RDNs in reverse encoding
/// order, `,` between RDNs, `+` inside multi-valued RDNs, keywords for the RFC 2253 set and
/// dotted OIDs with `#hex` values otherwise.
pub fn rfc2253(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    match keyword(&oid) {
                        Some(kw) => match atv.as_str() {
                            Ok(v) => format!("{kw}={}", escape_value(v)),
                            Err(_) => format!("{kw}=#{}", hex::encode(atv.attr_value().data)),
                        },
                        None => {
                            format!("{oid}=#{}", hex::encode(atv.attr_value().to_der_vec_raw()))
                        }
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn keyword(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

trait RawDer {
    fn to_der_vec_raw(&self) -> Vec<u8>;
}

impl RawDer for x509_parser::der_parser::asn1_rs::Any<'_> {
    fn to_der_vec_raw(&self) -> Vec<u8> {
        use x509_parser::der_parser::asn1_rs::ToDer;
        self.to_der_vec().unwrap_or_default()
    }
}
