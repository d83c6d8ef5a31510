//! Other serialisations of the same JSON, to catch a `biz_content` (or v3 body) that was
//! re-serialised between signing and sending.
//!
//! Each variant is produced by re-emitting the parsed document through serde_json with a
//! different formatter: `serde-transcode` streams it token by token, so member order is kept
//! unless the variant sorts keys on purpose.

use std::io;

use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

/// How one variant writes JSON.
#[derive(Clone, Copy)]
struct Style {
    /// Python `json.dumps` separators `", "` and `": "`.
    spaced: bool,
    /// Non-ASCII as `\uXXXX` (Python's default `ensure_ascii=True`).
    ascii: bool,
    /// `/` as `\/` (the Java SDK's JSONWriter).
    escape_slash: bool,
}

struct StyleFormatter(Style);

impl Formatter for StyleFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separator(w, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separator(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.0.spaced { b": " } else { b":" })
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !self.0.ascii && !self.0.escape_slash {
            return w.write_all(fragment.as_bytes());
        }
        let mut units = [0u16; 2];
        for c in fragment.chars() {
            if c == '/' && self.0.escape_slash {
                w.write_all(b"\\/")?;
            } else if !c.is_ascii() && self.0.ascii {
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            } else {
                let mut buf = [0u8; 4];
                w.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            }
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        CompactFormatter.write_char_escape(w, escape)
    }
}

impl StyleFormatter {
    fn separator<W: ?Sized + io::Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        match (first, self.0.spaced) {
            (true, _) => Ok(()),
            (false, true) => w.write_all(b", "),
            (false, false) => w.write_all(b","),
        }
    }
}

/// Re-emits `text` through `formatter`, keeping member order.
fn transcode<F: Formatter>(text: &str, formatter: F) -> Option<String> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut de = serde_json::Deserializer::from_str(text);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde_transcode::transcode(&mut de, &mut ser).ok()?;
    de.end().ok()?;
    String::from_utf8(out).ok()
}

/// Serialisations of the same JSON value other than `text` itself, each with a description.
/// Empty when `text` is not JSON.
pub fn variants(text: &str) -> Vec<(String, String)> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let sorted = zhima_proto::models::canonical_json(&value);
    let mut out: Vec<(String, String)> = Vec::new();
    for (order, source) in [
        ("in the same key order", text),
        ("with keys sorted", sorted.as_str()),
    ] {
        let styles = [
            (
                "compact",
                Style {
                    spaced: false,
                    ascii: false,
                    escape_slash: false,
                },
            ),
            (
                "with Python json.dumps separators (\", \" and \": \")",
                Style {
                    spaced: true,
                    ascii: false,
                    escape_slash: false,
                },
            ),
            (
                "with Python json.dumps defaults (spaced, non-ASCII as \\uXXXX)",
                Style {
                    spaced: true,
                    ascii: true,
                    escape_slash: false,
                },
            ),
            (
                "compact with non-ASCII as \\uXXXX",
                Style {
                    spaced: false,
                    ascii: true,
                    escape_slash: false,
                },
            ),
            (
                "compact with '/' escaped as '\\/' (Java SDK)",
                Style {
                    spaced: false,
                    ascii: false,
                    escape_slash: true,
                },
            ),
        ];
        for (name, style) in styles {
            if let Some(v) = transcode(source, StyleFormatter(style)) {
                out.push((format!("{name}, {order}"), v));
            }
        }
        for indent in [&b"  "[..], b"    "] {
            if let Some(v) = transcode(source, PrettyFormatter::with_indent(indent)) {
                out.push((
                    format!("pretty-printed with {}-space indent, {order}", indent.len()),
                    v,
                ));
            }
        }
    }
    let mut seen = std::collections::HashSet::from([text.to_string()]);
    out.retain(|(_, v)| seen.insert(v.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produces_the_serialisations_sdks_use() {
        let text = r#"{"b":"流/x","a":[1,{"d":2,"c":3}]}"#;
        let all: Vec<String> = variants(text).into_iter().map(|(_, v)| v).collect();
        for expected in [
            r#"{"a":[1,{"c":3,"d":2}],"b":"流/x"}"#,
            r#"{"a": [1, {"c": 3, "d": 2}], "b": "\u6d41/x"}"#,
            r#"{"b": "流/x", "a": [1, {"d": 2, "c": 3}]}"#,
            r#"{"b":"流\/x","a":[1,{"d":2,"c":3}]}"#,
        ] {
            assert!(
                all.iter().any(|v| v == expected),
                "missing {expected} in {all:#?}"
            );
        }
        assert!(
            !all.iter().any(|v| v == text),
            "the original is not a variant"
        );
        assert!(variants("not json").is_empty());
    }

    #[test]
    fn astral_characters_become_surrogate_pairs() {
        let all: Vec<String> = variants(r#"{"e":"😀"}"#)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert!(
            all.iter().any(|v| v == r#"{"e":"\ud83d\ude00"}"#),
            "{all:?}"
        );
    }
}
