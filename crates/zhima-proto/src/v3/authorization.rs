//! `Authorization: ALIPAY-SHA256withRSA <authString>,sign=<base64>`.
//!
//! The authString is taken verbatim (everything between the scheme and the **last**
//! `,sign=`), because the Node SDK may append extra `k=v` pairs that are part of the signed
//! line (PROTOCOL.md §B2).

use std::fmt;

use crate::error::{Error, Result};
use crate::keys::PublicKey;
use crate::sign::{SignType, Signer};

use super::sign_content::request_sign_content;

/// The only v3 signature scheme.
pub const AUTH_SCHEME: &str = "ALIPAY-SHA256withRSA";

/// The fields of an authString.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthString {
    /// `app_id`.
    pub app_id: String,
    /// `app_cert_sn` (cert mode).
    pub app_cert_sn: Option<String>,
    /// `nonce` (the SDKs send a UUID with hyphens).
    pub nonce: String,
    /// `timestamp`: epoch milliseconds, as text.
    pub timestamp: String,
    /// Any further `k=v` pairs, in order, kept so they can be shown and re-signed.
    pub extra: Vec<(String, String)>,
}

impl AuthString {
    /// Parses `k=v,k=v…`. `app_id`, `nonce` and `timestamp` are required.
    pub fn parse(text: &str) -> Result<Self> {
        let mut app_id = None;
        let mut app_cert_sn = None;
        let mut nonce = None;
        let mut timestamp = None;
        let mut extra = Vec::new();
        for pair in text.split(',') {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| Error::V3Header(format!("authString part {pair:?} is not k=v")))?;
            let slot = match k {
                "app_id" => &mut app_id,
                "app_cert_sn" => &mut app_cert_sn,
                "nonce" => &mut nonce,
                "timestamp" => &mut timestamp,
                _ => {
                    extra.push((k.to_string(), v.to_string()));
                    continue;
                }
            };
            if slot.replace(v.to_string()).is_some() {
                return Err(Error::V3Header(format!("authString repeats {k}")));
            }
        }
        let need = |v: Option<String>, k: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| Error::V3Header(format!("authString has no {k}")))
        };
        Ok(Self {
            app_id: need(app_id, "app_id")?,
            app_cert_sn,
            nonce: need(nonce, "nonce")?,
            timestamp: need(timestamp, "timestamp")?,
            extra,
        })
    }

    /// `timestamp` as epoch milliseconds.
    pub fn timestamp_ms(&self) -> Result<i64> {
        self.timestamp.parse().map_err(|_| {
            Error::V3Header(format!(
                "timestamp {:?} is not epoch milliseconds",
                self.timestamp
            ))
        })
    }
}

impl fmt::Display for AuthString {
    /// The order the SDKs use: `app_id`, optional `app_cert_sn`, `nonce`, `timestamp`, extras.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "app_id={}", self.app_id)?;
        if let Some(sn) = &self.app_cert_sn {
            write!(f, ",app_cert_sn={sn}")?;
        }
        write!(f, ",nonce={},timestamp={}", self.nonce, self.timestamp)?;
        for (k, v) in &self.extra {
            write!(f, ",{k}={v}")?;
        }
        Ok(())
    }
}

/// A parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The authString exactly as received (this is what was signed).
    pub auth_string: String,
    /// Its fields.
    pub fields: AuthString,
    /// The base64 signature.
    pub sign: String,
}

impl Authorization {
    /// Parses the header value.
    pub fn parse(header: &str) -> Result<Self> {
        let rest = header
            .strip_prefix(AUTH_SCHEME)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| {
                Error::V3Header(format!("Authorization must start with \"{AUTH_SCHEME} \""))
            })?;
        let at = rest
            .rfind(",sign=")
            .ok_or_else(|| Error::V3Header("Authorization has no ,sign=".into()))?;
        let auth_string = &rest[..at];
        let sign = &rest[at + ",sign=".len()..];
        if sign.is_empty() {
            return Err(Error::MissingSignature);
        }
        Ok(Self {
            auth_string: auth_string.to_string(),
            fields: AuthString::parse(auth_string)?,
            sign: sign.to_string(),
        })
    }

    /// Signs a request and returns the header (client side).
    pub fn sign(
        key: &(impl Signer + ?Sized),
        fields: AuthString,
        method: &str,
        request_uri: &str,
        body: &str,
        app_auth_token: Option<&str>,
    ) -> Result<Self> {
        let auth_string = fields.to_string();
        let content = request_sign_content(&auth_string, method, request_uri, body, app_auth_token);
        let sign = key.sign(SignType::Rsa2, content.as_bytes())?;
        Ok(Self {
            auth_string,
            fields,
            sign,
        })
    }

    /// The string-to-sign for this header and request.
    pub fn sign_content(
        &self,
        method: &str,
        request_uri: &str,
        body: &str,
        app_auth_token: Option<&str>,
    ) -> String {
        request_sign_content(&self.auth_string, method, request_uri, body, app_auth_token)
    }

    /// Verifies the signature (server side), fail-closed.
    pub fn verify(
        &self,
        app_key: &PublicKey,
        method: &str,
        request_uri: &str,
        body: &str,
        app_auth_token: Option<&str>,
    ) -> Result<()> {
        let content = self.sign_content(method, request_uri, body, app_auth_token);
        app_key.verify(SignType::Rsa2, content.as_bytes(), &self.sign)
    }

    /// The header value.
    pub fn header_value(&self) -> String {
        format!("{AUTH_SCHEME} {},sign={}", self.auth_string, self.sign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_string_is_taken_up_to_the_last_sign() {
        let h = "ALIPAY-SHA256withRSA app_id=1,nonce=n,timestamp=5,x=a,sign=b,sign=SIG";
        let a = Authorization::parse(h).unwrap();
        assert_eq!(a.auth_string, "app_id=1,nonce=n,timestamp=5,x=a,sign=b");
        assert_eq!(a.sign, "SIG");
        assert_eq!(
            a.fields.extra,
            vec![("x".into(), "a".into()), ("sign".into(), "b".into())]
        );
        assert_eq!(a.header_value(), h);
        assert!(Authorization::parse("Bearer x").is_err());
        assert!(Authorization::parse("ALIPAY-SHA256withRSA app_id=1,nonce=n,sign=x").is_err());
    }
}
