//! Client side of the v1 envelope: find the signed node text in a raw body and verify it.
//!
//! The signed content is the node value's exact text, so the body must not be re-serialised.
//! We let serde_json do the escape-aware scanning (root members as borrowed `RawValue`s,
//! which are the exact source slices) instead of hand-counting braces.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::names::{response_node_key, ERROR_RESPONSE_KEY};
use super::params::Charset;
use crate::aes::AesKey;
use crate::error::{Error, Result};
use crate::keys::PublicKey;
use crate::sign::SignType;

/// The signed part of a response body, as found in the raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNode<'a> {
    /// The member name found (`…_response` or `error_response`).
    pub node_key: String,
    /// The exact signed text: an object, or a string literal with its quotes (AES).
    pub content: &'a str,
    /// `sign`, if the body has one.
    pub sign: Option<String>,
    /// `alipay_cert_sn`, if the body has one (cert mode).
    pub cert_sn: Option<String>,
    /// Other root members that look like response nodes (a name ending in `_response`, an
    /// object or string value): an SDK reading the first node could see one of those instead.
    pub other_nodes: Vec<String>,
}

impl SignedNode<'_> {
    /// Whether the node is the method-less `error_response`.
    pub fn is_error_response(&self) -> bool {
        self.node_key == ERROR_RESPONSE_KEY
    }

    /// Whether the node is AES ciphertext (a JSON string rather than an object).
    pub fn is_encrypted(&self) -> bool {
        self.content.starts_with('"')
    }
}

/// A response whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedResponse {
    /// The member name found.
    pub node_key: String,
    /// The node as JSON object text (decrypted when it was encrypted).
    pub node_json: String,
    /// `alipay_cert_sn`, if present.
    pub cert_sn: Option<String>,
}

struct RootMembers<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for RootMembers<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RootMembers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(RootMembers(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// Finds the signed node of `method`'s response (falling back to `error_response`).
///
/// Rejects a body that is not one JSON object, a node name that appears twice (Java SDK
/// rule: a second occurrence after the node could be a smuggled, unsigned copy), and a node
/// that is neither an object nor a string.
pub fn extract_signed_node<'a>(body: &'a str, method: &str) -> Result<SignedNode<'a>> {
    let RootMembers(members) = serde_json::from_str(body)
        .map_err(|e| Error::GatewayResponse(format!("body is not a JSON object: {e}")))?;
    let wanted = response_node_key(method);
    let pick = |name: &str| -> Result<Option<&'a RawValue>> {
        let mut found = members.iter().filter(|(k, _)| k == name).map(|(_, v)| *v);
        let first = found.next();
        if first.is_some() && found.next().is_some() {
            return Err(Error::GatewayResponse(format!(
                "node {name:?} appears twice"
            )));
        }
        Ok(first)
    };
    let (node_key, raw) = match pick(&wanted)? {
        Some(raw) => (wanted, raw),
        None => match pick(ERROR_RESPONSE_KEY)? {
            Some(raw) => (ERROR_RESPONSE_KEY.to_string(), raw),
            None => {
                return Err(Error::GatewayResponse(format!(
                    "no {wanted:?} or error_response node"
                )))
            }
        },
    };
    let content = raw.get();
    if !(content.starts_with('{') || content.starts_with('"')) {
        return Err(Error::GatewayResponse(format!(
            "node {node_key:?} is neither an object nor a string"
        )));
    }
    // The textual rule of the Java SDK: the quoted node name must not occur again after it.
    let end = content.as_ptr() as usize - body.as_ptr() as usize + content.len();
    if body[end..].contains(&format!("\"{node_key}\"")) {
        return Err(Error::GatewayResponse(format!(
            "node name {node_key:?} repeated after the node"
        )));
    }
    let string_member = |name: &str| -> Result<Option<String>> {
        match pick(name)? {
            None => Ok(None),
            Some(raw) => serde_json::from_str::<String>(raw.get())
                .map(Some)
                .map_err(|_| Error::GatewayResponse(format!("{name:?} is not a string"))),
        }
    };
    let other_nodes = members
        .iter()
        .filter(|(name, value)| {
            *name != node_key
                && name.ends_with("_response")
                && matches!(value.get().as_bytes().first(), Some(b'{' | b'"'))
        })
        .map(|(name, _)| name.to_string())
        .collect();
    Ok(SignedNode {
        sign: string_member("sign")?,
        cert_sn: string_member("alipay_cert_sn")?,
        node_key,
        content,
        other_nodes,
    })
}

/// Extracts and verifies a response body, fail-closed: no `sign`, a bad signature, an
/// encrypted node without a key, or undecryptable ciphertext are all errors.
///
/// Like the Java SDK, a signature that fails over the raw text is tried once more over the
/// text with every `\/` replaced by `/` (some gateways sign before escaping slashes).
pub fn verify_response(
    body: &str,
    method: &str,
    platform_key: &PublicKey,
    sign_type: SignType,
    charset: Charset,
    aes: Option<&AesKey>,
) -> Result<VerifiedResponse> {
    let node = extract_signed_node(body, method)?;
    verify_node(&node, platform_key, sign_type, charset, aes)
}

/// [`verify_response`] of a node already extracted with [`extract_signed_node`] (so a caller
/// that inspects the node first does not parse the body twice).
pub fn verify_node(
    node: &SignedNode<'_>,
    platform_key: &PublicKey,
    sign_type: SignType,
    charset: Charset,
    aes: Option<&AesKey>,
) -> Result<VerifiedResponse> {
    let sign = node
        .sign
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingSignature)?;
    let check =
        |text: &str| -> Result<()> { platform_key.verify(sign_type, &charset.encode(text)?, sign) };
    if check(node.content).is_err() {
        let unescaped = node.content.replace("\\/", "/");
        if unescaped == node.content || check(&unescaped).is_err() {
            return Err(Error::BadSignature);
        }
    }
    let node_json = if node.is_encrypted() {
        let key = aes.ok_or_else(|| {
            Error::AesDecrypt("the response is encrypted but no AES key is configured".into())
        })?;
        let ciphertext: String = serde_json::from_str(node.content)
            .map_err(|e| Error::GatewayResponse(format!("encrypted node: {e}")))?;
        let plain = key.decrypt_to_string(&ciphertext)?;
        if !plain.trim_start().starts_with('{') {
            return Err(Error::AesDecrypt(
                "decrypted node is not a JSON object".into(),
            ));
        }
        plain
    } else {
        node.content.to_string()
    };
    Ok(VerifiedResponse {
        node_key: node.node_key.clone(),
        node_json,
        cert_sn: node.cert_sn.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_exact_text_with_braces_in_strings() {
        let body = r#"{"a_b_response":{"x":"}{\"","y":{"z":1}},"sign":"abc"}"#;
        let n = extract_signed_node(body, "a.b").unwrap();
        assert_eq!(n.content, r#"{"x":"}{\"","y":{"z":1}}"#);
        assert_eq!(n.sign.as_deref(), Some("abc"));
        assert!(n.other_nodes.is_empty());
    }

    #[test]
    fn names_other_members_that_look_like_nodes() {
        let body = r#"{"error_response":{"code":"40004"},"a_b_response":{},"x_response":1,"y_response":"c2lnbg==","z":{},"sign":"s"}"#;
        let n = extract_signed_node(body, "a.b").unwrap();
        assert_eq!(n.node_key, "a_b_response");
        assert_eq!(n.other_nodes, ["error_response", "y_response"]);
    }

    #[test]
    fn rejects_repeats_and_garbage() {
        assert!(
            extract_signed_node(r#"{"a_response":{},"a_response":{},"sign":"x"}"#, "a").is_err()
        );
        assert!(
            extract_signed_node(r#"{"a_response":{},"sign":"x","n":{"a_response":{}}}"#, "a")
                .is_err()
        );
        assert!(extract_signed_node(r#"{"a_response":1,"sign":"x"}"#, "a").is_err());
        assert!(extract_signed_node("not json", "a").is_err());
        let e = extract_signed_node(r#"{"error_response":{"code":"40002"}}"#, "a").unwrap();
        assert!(e.is_error_response());
        assert_eq!(e.sign, None);
    }
}
