//! Values that came from a request, made safe to log and audit before anyone is
//! authenticated: bounded in length, validated against the protocol's limits, secrets masked.
//!
//! The log gets these values as structured fields formatted with `?` (Debug), so control
//! characters are escaped there too; [`crate::logging`] escapes whatever still slips through.

use zhima_proto::v1::{MAX_APP_ID_LEN, MAX_METHOD_LEN};

/// What replaces a secret in a log line.
pub(crate) const MASK: &str = "******";

/// Longest log-only detail kept; longer ones are cut with a marker.
pub(crate) const MAX_DETAIL_CHARS: usize = 512;

/// Longest request path or HTTP method echoed in a label or a message.
pub(crate) const MAX_LABEL_CHARS: usize = 256;

/// `s` cut to `max` characters, with a marker saying how much was dropped.
pub(crate) fn bounded(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => s.into(),
        Some((cut, _)) => format!("{}…(+{} bytes)", &s[..cut], s.len() - cut).into(),
    }
}

/// A v1 `method` we may echo (as `<method>_response`) and log: within the public parameter
/// table's 128 characters and printable ASCII. Anything else is refused without an echo.
pub(crate) fn is_echoable_method(method: &str) -> bool {
    method.len() <= MAX_METHOD_LEN && method.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// An `app_id` we may look up, log and audit: at most 32 characters of `[0-9A-Za-z_-]`
/// (Alipay's are 16 digits).
pub(crate) fn is_plausible_app_id(app_id: &str) -> bool {
    !app_id.is_empty()
        && app_id.len() <= MAX_APP_ID_LEN
        && app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A v1 string-to-sign with the `app_auth_token` value masked (it is a bearer credential).
pub(crate) fn v1_sign_content_masked<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    zhima_proto::v1::sign_content(params.into_iter().map(|(k, v)| {
        if k == "app_auth_token" && !v.is_empty() {
            (k, MASK)
        } else {
            (k, v)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_on_char_boundaries_with_a_marker() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "abc…(+1 bytes)");
        assert_eq!(bounded("芝麻信用", 2), "芝麻…(+6 bytes)");
        assert_eq!(
            bounded(&"m".repeat(1_000_000), 4).len(),
            "mmmm…(+999996 bytes)".len()
        );
    }

    #[test]
    fn methods_and_app_ids_are_judged_by_the_public_parameter_table() {
        assert!(is_echoable_method("zhima.data.state.data.sync"));
        assert!(is_echoable_method("zhima.data.state.data.sync "));
        assert!(is_echoable_method(&"m".repeat(128)));
        assert!(!is_echoable_method(&"m".repeat(129)));
        assert!(!is_echoable_method("zz\n2026-01-01 INFO forged"));
        assert!(!is_echoable_method("a\0b"));
        assert!(!is_echoable_method("芝麻"));
        assert!(is_plausible_app_id("2021000000000001"));
        assert!(is_plausible_app_id(&"1".repeat(32)));
        assert!(!is_plausible_app_id(&"1".repeat(33)));
        assert!(!is_plausible_app_id("x;sign=abc"));
        assert!(!is_plausible_app_id(""));
    }

    #[test]
    fn the_token_is_masked_in_the_v1_string_to_sign() {
        let content = v1_sign_content_masked([
            ("app_id", "1"),
            ("app_auth_token", "202405BBsecret"),
            ("sign", "SIG"),
        ]);
        assert_eq!(content, format!("app_auth_token={MASK}&app_id=1"));
    }
}
