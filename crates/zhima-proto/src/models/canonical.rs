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
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

/// Parses `text` and returns its canonical JSON.
pub fn canonical_json_str(text: &str) -> Result<String, serde_json::Error> {
    serde_json::from_str::<Value>(text).map(|v| canonical_json(&v))
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(v, out);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &Number, out: &mut String) {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < MAX_EXACT_F64_INT => {
            // Exact: |f| < 2^53 and integral.
            out.push_str(&(f as i64).to_string());
        }
        _ => out.push_str(&n.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's string escaping cannot fail for a &str.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
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
