//! Canonical JSON for idempotency comparisons: "the same content" means semantically equal
//! JSON, so key order and insignificant whitespace must not matter.
//!
//! Rules: object keys sorted by their UTF-8 bytes, no whitespace, strings escaped by
//! `serde_json`, and a float with an integral value below 2^53 written as an integer (`1.0` and
//! `1` are the same number). The output is itself valid JSON. The ordering is done here rather
//! than relying on `serde_json::Map` being a `BTreeMap`, which the `preserve_order` feature
//! (possibly enabled by another crate in the build) would change.

use serde_json::{Number, Value};

/// Largest integer every IEEE double represents exactly.
const MAX_EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

/// Writes `value` as canonical JSON (sorted keys, no whitespace).
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_value(value, &mut out);
    // Only JSON punctuation, serde_json's escaped strings and numbers were written.
    String::from_utf8(out).expect("canonical JSON is UTF-8")
}

/// Parses `text` and returns its canonical JSON.
pub fn canonical_json_str(text: &str) -> Result<String, serde_json::Error> {
    serde_json::from_str::<Value>(text).map(|v| canonical_json(&v))
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out);
            }
            out.push(b'}');
        }
    }
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < MAX_EXACT_F64_INT => {
            // Exact: |f| < 2^53 and integral.
            out.extend_from_slice((f as i64).to_string().as_bytes());
        }
        _ => out.extend_from_slice(n.to_string().as_bytes()),
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // serde_json's string escaping, straight into the buffer; writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_recursively_and_strips_whitespace() {
        let a = canonical_json_str(r#"{ "b": 1, "a": {"y": [1, {"d":2,"c":3}], "x": null} }"#);
        assert_eq!(
            a.unwrap(),
            r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }

    #[test]
    fn integral_floats_equal_integers() {
        assert_eq!(
            canonical_json_str("[1.0, -2.0, 1.5, 1e2]").unwrap(),
            "[1,-2,1.5,100]"
        );
    }

    #[test]
    fn strings_are_escaped_and_unicode_kept() {
        let v = serde_json::json!({"k": "流浪\"地球\"\n/"});
        assert_eq!(canonical_json(&v), "{\"k\":\"流浪\\\"地球\\\"\\n/\"}");
        assert_eq!(canonical_json_str(r#""\u6d41\/""#).unwrap(), "\"流/\"");
    }

    #[test]
    fn array_order_matters() {
        assert_ne!(
            canonical_json_str("[1,2]").unwrap(),
            canonical_json_str("[2,1]").unwrap()
        );
    }
}
