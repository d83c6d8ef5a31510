//! Business fingerprints for idempotency: "the same request again" means semantically equal
//! business fields (PRODUCT §4 rule 2) — key order, insignificant whitespace and equivalent
//! spellings (e.g. `"3.5"` vs `"3.50"`) do not matter.
//!
//! A fingerprint is the SHA-256 of a canonical JSON text (object keys sorted at every level,
//! no whitespace) of a normalised view of the command, so it can be stored in a fixed-size
//! column and compared by any storage backend.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// SHA-256 (lowercase hex) of the canonical JSON form of `value`.
pub fn fingerprint(value: &Value) -> String {
    let mut text = String::with_capacity(256);
    write_canonical(value, &mut text);
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Writes `value` as JSON with object keys sorted, independent of serde_json's map ordering
/// feature (another crate in the build may enable `preserve_order`).
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A JSON-in-a-string field (`ext_info`, `biz_data`) compared by meaning when it parses,
/// by exact text otherwise.
pub fn embedded_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str("{ \"a\" : {\"x\":\"s\",\n \"y\":[1, 2]}, \"b\":1 }").unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn values_and_array_order_matter() {
        assert_ne!(fingerprint(&json!({"a":[1,2]})), fingerprint(&json!({"a":[2,1]})));
        assert_ne!(fingerprint(&json!({"a":"1"})), fingerprint(&json!({"a":1})));
        assert_eq!(fingerprint(&json!({})).len(), 64);
    }

    #[test]
    fn embedded_json_parses_or_keeps_text() {
        assert_eq!(embedded_json(r#" {"n": 1} "#), json!({"n":1}));
        assert_eq!(embedded_json("not json"), json!("not json"));
    }
}
