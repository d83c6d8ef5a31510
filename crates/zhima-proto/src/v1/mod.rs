//! The v1 gateway protocol (`gateway.do`, PROTOCOL.md §A).
//!
//! * [`params`]: merge query + form body, decode in `charset` (server) and form-encode (client);
//! * [`sign_content`] (this file): the string-to-sign both sides build;
//! * [`request`]: sign a parameter set and lay it out on the wire as the official SDKs do;
//! * [`response`]: the signed JSON envelope the server writes;
//! * [`extract`]: the client's escape-aware extraction and verification of that envelope.

pub mod extract;
pub mod params;
pub mod request;
pub mod response;

pub use extract::{extract_signed_node, verify_response, SignedNode, VerifiedResponse};
pub use params::{
    form_encode, form_encode_pairs, Charset, FormStyle, GatewayParams, MAX_APP_ID_LEN,
    MAX_METHOD_LEN,
};
pub use request::{build_request, sign_params, verify_request, SdkLayout, SignedRequest};
pub use response::{build_response, ResponseNode};

/// The string-to-sign of a parameter set (PROTOCOL.md §A3): every parameter except `sign`,
/// empty values dropped, sorted by key in byte order, `key=value` joined with `&`, values raw
/// (not URL-encoded; `biz_content` JSON verbatim).
pub fn sign_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut kept: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, v)| *k != "sign" && !k.is_empty() && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(kept.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in kept.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The JSON member name of a method's response node: `zhima.data.state.data.sync` →
/// `zhima_data_state_data_sync_response`.
pub fn response_node_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The node name used when the request had no usable `method`.
pub const ERROR_RESPONSE_KEY: &str = "error_response";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_content_drops_sign_and_empties_and_sorts_bytewise() {
        let s = sign_content([("b", "2"), ("sign", "x"), ("a", "1"), ("B", "3"), ("e", "")]);
        assert_eq!(s, "B=3&a=1&b=2");
        assert_eq!(
            response_node_key("zhima.data.state.data.sync"),
            "zhima_data_state_data_sync_response"
        );
    }
}
