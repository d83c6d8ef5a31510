//! [`Violation`] and the field checks every API's validation is built from: presence, length
//! in characters, enums, yuan amounts, and the 64-character echo of bad values.

use std::fmt;
use std::str::FromStr;

use crate::catalog::CatalogCode;
use crate::money::Fen;

/// Longest value echoed back in a sub_msg.
const MAX_ECHO_CHARS: usize = 64;

/// A failed check: the business code and a sub_msg naming the failing field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation<C> {
    /// The code (v1 `sub_code`, v3 `code`).
    pub code: C,
    /// Human message (v1 `sub_msg`, v3 `message`), starting with the code's default message.
    pub sub_msg: String,
}

impl<C: CatalogCode> Violation<C> {
    /// A violation whose sub_msg is `"<default message>: <detail>"`.
    pub fn new(code: C, detail: impl fmt::Display) -> Self {
        Violation {
            code,
            sub_msg: format!("{}: {detail}", code.default_message()),
        }
    }
}

impl<C: fmt::Display> fmt::Display for Violation<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.sub_msg)
    }
}

impl<C: fmt::Debug + fmt::Display> std::error::Error for Violation<C> {}

/// `value` cut to [`MAX_ECHO_CHARS`] characters, for sub_msgs.
pub(super) fn echo(value: &str) -> String {
    let mut out: String = value.chars().take(MAX_ECHO_CHARS).collect();
    if value.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// A present, non-blank value (SDKs drop empty values, so empty means absent).
pub(super) fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// An optional string field: absent/blank → `None`; longer than `max` chars → violation.
pub(super) fn optional<'a, C: CatalogCode>(
    code: C,
    field: &str,
    value: &'a Option<String>,
    max: usize,
) -> Result<Option<&'a str>, Violation<C>> {
    match present(value) {
        Some(v) if v.chars().count() > max => Err(Violation::new(
            code,
            format_args!("{field}长度不能超过{max}个字符"),
        )),
        other => Ok(other),
    }
}

/// A required string field: absent/blank or longer than `max` chars → violation.
pub(super) fn required<'a, C: CatalogCode>(
    code: C,
    field: &str,
    value: &'a Option<String>,
    max: usize,
) -> Result<&'a str, Violation<C>> {
    optional(code, field, value, max)?.ok_or_else(|| missing(code, field))
}

/// "`field` is required".
pub(super) fn missing<C: CatalogCode>(code: C, field: &str) -> Violation<C> {
    Violation::new(code, format_args!("{field}不能为空"))
}

/// Parses a wire enum value; `expected` lists the allowed values for the message.
pub(super) fn parse_enum<E: FromStr, C: CatalogCode>(
    code: C,
    field: &str,
    value: &str,
    expected: &str,
) -> Result<E, Violation<C>> {
    value.parse().map_err(|_| {
        Violation::new(
            code,
            format_args!("{field}取值不合法: {}，可选值: {expected}", echo(value)),
        )
    })
}

/// Parses a yuan amount (`^\d{1,10}(\.\d{1,2})?$`) into fen.
pub(super) fn parse_amount<C: CatalogCode>(
    code: C,
    field: &str,
    value: &str,
) -> Result<Fen, Violation<C>> {
    Fen::parse_yuan(value).map_err(|_| {
        Violation::new(
            code,
            format_args!(
                "{field}金额格式不合法: {}，应为以元为单位、最多两位小数的数字，如3.57",
                echo(value)
            ),
        )
    })
}

/// A required yuan amount: absent → violation with the same code as a malformed one.
pub(super) fn required_amount<C: CatalogCode>(
    code: C,
    field: &str,
    value: &Option<String>,
) -> Result<Fen, Violation<C>> {
    let v = present(value).ok_or_else(|| missing(code, field))?;
    parse_amount(code, field, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CumulationCode::RequestParamIllegal as R;

    #[test]
    fn blank_is_missing_and_length_counts_chars() {
        assert_eq!(
            required(R, "f", &Some(" ".into()), 3).unwrap_err().sub_msg,
            "请求参数不合法: f不能为空"
        );
        assert_eq!(required(R, "f", &Some("流浪地".into()), 3), Ok("流浪地"));
        let e = required(R, "f", &Some("流浪地球".into()), 3).unwrap_err();
        assert_eq!(e.sub_msg, "请求参数不合法: f长度不能超过3个字符");
        assert_eq!(optional(R, "f", &None, 3), Ok(None));
    }

    #[test]
    fn echo_truncates() {
        assert_eq!(echo(&"a".repeat(70)).chars().count(), 65);
        assert_eq!(echo("abc"), "abc");
    }

    #[test]
    fn violation_display_names_code_and_message() {
        let v = Violation::new(R, "x不能为空");
        assert_eq!(
            v.to_string(),
            "REQUEST_PARAM_ILLEGAL: 请求参数不合法: x不能为空"
        );
    }
}
