//! The v1 string-to-sign (PROTOCOL.md §A3), built the same way by the client that signs and
//! the gateway that verifies.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::names::response_node_key;

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
