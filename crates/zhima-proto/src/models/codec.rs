//! Models from and to the wire: strict JSON objects and query strings, with errors that name
//! the offending field ([`ModelError`]), and [`UnknownVariant`] for closed wire enums.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// A string that is not one of a wire enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {value:?}")]
pub struct UnknownVariant {
    /// The enum (e.g. `"BizAction"`).
    pub kind: &'static str,
    /// The rejected value (truncated to 64 characters).
    pub value: String,
}

/// A JSON text or query that does not fit a model, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", if path.is_empty() { "body" } else { path.as_str() })]
pub struct ModelError {
    /// Path of the failing field (`amount_type_data.trade_info.amount`, `out_discount_infos[0]`);
    /// empty when the text as a whole is not a JSON object.
    pub path: String,
    /// Top-level field the failure is under, if any (`amount_type_data` above).
    pub field: Option<String>,
    /// What was wrong, from serde.
    pub message: String,
}

impl ModelError {
    fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let field = e.path().iter().next().and_then(|s| match s {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        // Segments serde could not name (a syntax error inside an unknown member) print as
        // `?`; they tell the reader nothing, so the path stops at the last named segment.
        let named: Vec<String> = e
            .path()
            .iter()
            .take_while(|s| !matches!(s, serde_path_to_error::Segment::Unknown))
            .map(ToString::to_string)
            .collect();
        // Same spelling as serde_path_to_error's own Display: `a.b[0].c`.
        let path = named.join(".").replace(".[", "[");
        ModelError {
            path,
            field,
            message: e.into_inner().to_string(),
        }
    }
}

/// Parses a JSON object text (v1 `biz_content` after decryption, v3 body) into a model.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    // Derived structs would also accept a JSON array; a body must be an object.
    if !text.trim_start().starts_with('{') {
        return Err(ModelError {
            path: String::new(),
            field: None,
            message: "expected a JSON object".into(),
        });
    }
    // The happy path without path tracking (it costs about a third of the parse); a body
    // that fails is parsed again with it, only to name the offending field.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(ModelError::from_path_error)?;
    // Like serde_json::from_str: only whitespace may follow the value.
    de.end().map_err(|e| ModelError {
        path: String::new(),
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

/// Builds a model from decoded v3 query pairs (later duplicates win). Numeric and boolean
/// fields accept their string forms (`page_size=20`, `need_detail=true`).
pub fn from_query_pairs<T, K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<T, ModelError>
where
    T: DeserializeOwned,
    K: Into<String>,
    V: Into<String>,
{
    let map: Map<String, Value> = pairs
        .into_iter()
        .map(|(k, v)| (k.into(), Value::String(v.into())))
        .collect();
    let text = Value::Object(map).to_string();
    from_json(&text)
}

/// Flattens a model into v3 query pairs, sorted by key: strings as-is, numbers and booleans in
/// their JSON spelling, nested values as compact JSON; `None` fields are omitted.
pub fn to_query_pairs<T: Serialize>(model: &T) -> Result<Vec<(String, String)>, serde_json::Error> {
    let Value::Object(map) = serde_json::to_value(model)? else {
        return Err(serde::ser::Error::custom(
            "a query model must serialize to a JSON object",
        ));
    };
    let mut pairs: Vec<(String, String)> = map
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    pairs.sort();
    Ok(pairs)
}
