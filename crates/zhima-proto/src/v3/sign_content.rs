//! v3 strings-to-sign (PROTOCOL.md §B2, §B3), byte-exact.

/// `authString \n METHOD \n request-target \n body \n [app_auth_token \n]`.
///
/// `request_uri` is the path plus `?query` exactly as sent on the wire; `body` is the exact
/// body text (the ciphertext for AES bodies; empty for GET).
pub fn request_sign_content(
    auth_string: &str,
    method: &str,
    request_uri: &str,
    body: &str,
    app_auth_token: Option<&str>,
) -> String {
    let mut s = String::with_capacity(auth_string.len() + request_uri.len() + body.len() + 64);
    for part in [auth_string, method, request_uri, body] {
        s.push_str(part);
        s.push('\n');
    }
    if let Some(token) = app_auth_token {
        s.push_str(token);
        s.push('\n');
    }
    s
}

/// `alipay-timestamp \n alipay-nonce \n body \n`.
pub fn response_sign_content(timestamp: &str, nonce: &str, body: &str) -> String {
    format!("{timestamp}\n{nonce}\n{body}\n")
}
