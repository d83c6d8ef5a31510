//! Lenient scalar deserializers for fields that are JSON numbers/booleans in v1 `biz_content`
//! but strings in a v3 GET query (`?page_no=2&need_detail=true`).

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// `Option<i64>` from a JSON integer or a decimal string (`"20"`); `null`/absent is `None`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or a decimal integer string")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("integer out of range"))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            // i64::from_str accepts a leading '+'; the wire never carries one.
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                return Err(E::invalid_value(de::Unexpected::Str(v), &self));
            }
            v.parse()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_option(V)
}

/// `Option<String>` holding a count that some SDKs send as a JSON integer (the Java SDK's `Long`
/// fields) and others as a decimal string; the integer is kept as its decimal text so that
/// validation sees one form. Any other JSON type is an error.
pub(crate) fn opt_int_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum IntOrText {
        Unsigned(u64),
        Signed(i64),
        Text(String),
    }
    Ok(
        <Option<IntOrText> as serde::Deserialize>::deserialize(d)?.map(|v| match v {
            IntOrText::Unsigned(n) => n.to_string(),
            IntOrText::Signed(n) => n.to_string(),
            IntOrText::Text(s) => s,
        }),
    )
}

/// `Option<bool>` from a JSON boolean or the strings `"true"`/`"false"`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean or \"true\"/\"false\"")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_option(V)
}

/// A `T` that must come from a JSON object: serde's derived structs also accept a JSON array
/// (fields by position), which for wire models would turn `[]` into an all-default value.
pub(crate) struct ObjectOnly<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

/// `Option<T>` for a nested model: an object, `null` or absent.
pub(crate) fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<ObjectOnly<T>> as serde::Deserialize>::deserialize(d).map(|o| o.map(|x| x.0))
}

/// `Option<Vec<T>>` for a list of nested models: an array of objects, `null` or absent.
pub(crate) fn opt_object_vec<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<Vec<ObjectOnly<T>>> as serde::Deserialize>::deserialize(d)
        .map(|o| o.map(|v| v.into_iter().map(|x| x.0).collect()))
}

/// `Option<String>` for a field the official typed models declare as a string but that some
/// callers send as a JSON number (`"freeze_amount": 0.01`, `"obligation_times": 3`), as the
/// gateway accepts: the number is kept as its JSON text. Booleans, arrays and objects are errors.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(
        <Option<NumberOrText> as serde::Deserialize>::deserialize(d)?.map(|v| match v {
            NumberOrText::Text(s) => s,
            NumberOrText::Number(n) => n.to_string(),
        }),
    )
}
