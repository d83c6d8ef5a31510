//! The signed JSON envelope the gateway answers with (PROTOCOL.md §A5):
//!
//! ```text
//! {"<method>_response":<node>,["alipay_cert_sn":"<sn>",]"sign":"<base64>"}
//! ```
//!
//! The signature covers exactly the bytes written for `<node>`: the object text, or for an
//! AES-encrypted node the string literal *with* its quotes. `sign` comes last, directly after
//! the node (or after `alipay_cert_sn`) because the Python SDK finds it by regex.

use serde::Serialize;

use super::params::Charset;
use crate::aes::AesKey;
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::sign::SignType;

/// The value of the `<method>_response` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseNode {
    /// Compact JSON object text, written and signed byte for byte.
    Json(String),
    /// Base64 AES ciphertext of the node JSON, written as a JSON string.
    Encrypted(String),
}

impl ResponseNode {
    /// Serialises a node. Field order follows the struct's declaration order, so put
    /// `code`, `msg`, `sub_code`, `sub_msg` first as Alipay does. serde_json never writes
    /// `\/`, which keeps every SDK's verification simple.
    pub fn json<T: Serialize>(node: &T) -> Result<Self> {
        let text = serde_json::to_string(node)
            .map_err(|e| Error::GatewayResponse(format!("cannot serialise node: {e}")))?;
        if !text.starts_with('{') {
            return Err(Error::GatewayResponse(
                "a response node must be a JSON object".into(),
            ));
        }
        Ok(ResponseNode::Json(text))
    }

    /// Encrypts a JSON node with the app's AES key (for a request that was encrypted).
    pub fn encrypt(self, key: &AesKey) -> Self {
        match self {
            ResponseNode::Json(text) => ResponseNode::Encrypted(key.encrypt(text.as_bytes())),
            encrypted => encrypted,
        }
    }

    /// The exact text written after `"…_response":`, which is also the signed content.
    pub fn wire_text(&self) -> String {
        match self {
            ResponseNode::Json(text) => text.clone(),
            // Base64 needs no JSON escaping.
            ResponseNode::Encrypted(b64) => format!("\"{b64}\""),
        }
    }
}

/// Writes and signs a complete response body.
///
/// `node_key` is `<method with . → _>_response`, or `error_response` when the request had no
/// method. `cert_sn` is the platform certificate's SN in cert mode. The signature is over the
/// node text's bytes in the request's `charset` (the Java SDK verifies GBK responses in GBK);
/// the caller must write the returned body in that same charset.
pub fn build_response(
    node_key: &str,
    node: &ResponseNode,
    key: &PrivateKey,
    sign_type: SignType,
    charset: Charset,
    cert_sn: Option<&str>,
) -> Result<String> {
    let node_text = node.wire_text();
    let sign = key.sign(sign_type, &charset.encode(&node_text)?)?;
    Ok(assemble_response(node_key, node, cert_sn, &sign))
}

/// Writes a response body around a node whose signature is already known (for example a
/// cached one: a constant node signed once per sign type and charset). `sign` must be the
/// signature of `node`'s [`ResponseNode::wire_text`] in the charset the body is written in.
pub fn assemble_response(
    node_key: &str,
    node: &ResponseNode,
    cert_sn: Option<&str>,
    sign: &str,
) -> String {
    let node_text = node.wire_text();
    let key_json = serde_json::to_string(node_key).expect("a string serialises");
    let mut body = String::with_capacity(node_text.len() + key_json.len() + sign.len() + 64);
    body.push('{');
    body.push_str(&key_json);
    body.push(':');
    body.push_str(&node_text);
    if let Some(sn) = cert_sn {
        body.push_str(",\"alipay_cert_sn\":");
        body.push_str(&serde_json::to_string(sn).expect("a string serialises"));
    }
    body.push_str(",\"sign\":\"");
    body.push_str(sign);
    body.push_str("\"}");
    body
}
