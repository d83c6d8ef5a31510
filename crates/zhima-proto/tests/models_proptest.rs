//! Property tests of the data half: money round trips, parsers never panic, canonical JSON is
//! insensitive to key order and whitespace, validation never panics on arbitrary bodies.

use chrono::Duration;
use proptest::prelude::*;
use serde_json::{Map, Value};
use zhima_proto::models::{canonical_json, canonical_json_str};
use zhima_proto::money::Fen;
use zhima_proto::time::{format_alipay_datetime, parse_alipay_datetime};
use zhima_proto::validate::{
    parse_cumulation, parse_state_sync, validate_cumulation, validate_state_sync_shape,
};

const MAX_FEN: i64 = 999_999_999_999;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Dyadic fractions print and parse exactly (serde_json float parsing is not
        // always correctly rounded for long mantissas).
        (-100_000i32..100_000).prop_map(|n| Value::from(f64::from(n) / 8.0)),
        "[a-z流\"\\\\ ]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{0,5}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Writes `v` with object members in reverse order and random-ish whitespace.
fn respell(v: &Value, ws: &str) -> String {
    match v {
        Value::Array(items) => {
            let parts: Vec<_> = items.iter().map(|i| respell(i, ws)).collect();
            format!("[{ws}{}{ws}]", parts.join(&format!("{ws},{ws}")))
        }
        Value::Object(m) => {
            let parts: Vec<_> = m
                .iter()
                .rev()
                .map(|(k, v)| format!("{}{ws}:{ws}{}", Value::String(k.clone()), respell(v, ws)))
                .collect();
            format!("{{{ws}{}{ws}}}", parts.join(&format!("{ws},{ws}")))
        }
        other => other.to_string(),
    }
}

proptest! {
    #[test]
    fn fen_format_parse_round_trip(fen in 0..=MAX_FEN) {
        let text = Fen(fen).to_yuan_string();
        prop_assert!(text.contains('.') && text.split('.').nth(1).unwrap().len() == 2);
        prop_assert_eq!(Fen::parse_yuan(&text), Ok(Fen(fen)));
        let json = serde_json::to_string(&Fen(fen)).unwrap();
        prop_assert_eq!(serde_json::from_str::<Fen>(&json).unwrap(), Fen(fen));
    }

    #[test]
    fn fen_parse_matches_the_pattern(int in "[0-9]{1,10}", frac in proptest::option::of("[0-9]{1,2}")) {
        let text = match &frac { Some(f) => format!("{int}.{f}"), None => int.clone() };
        let fen = Fen::parse_yuan(&text).unwrap();
        let frac_fen: i64 = match &frac {
            Some(f) if f.len() == 1 => f.parse::<i64>().unwrap() * 10,
            Some(f) => f.parse().unwrap(),
            None => 0,
        };
        prop_assert_eq!(fen.as_i64(), int.parse::<i64>().unwrap() * 100 + frac_fen);
    }

    #[test]
    fn fen_parse_never_panics(s in "\\PC{0,24}") {
        if let Ok(f) = Fen::parse_yuan(&s) {
            prop_assert!((0..=MAX_FEN).contains(&f.as_i64()));
            prop_assert!(s.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
        }
    }

    #[test]
    fn alipay_datetime_round_trip(secs in 0i64..4_102_444_800) {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        let text = format_alipay_datetime(&t);
        prop_assert_eq!(parse_alipay_datetime(&text).unwrap(), t);
    }

    #[test]
    fn datetime_parse_never_panics(s in "\\PC{0,24}") {
        let _ = parse_alipay_datetime(&s);
    }

    #[test]
    fn canonical_json_ignores_order_and_whitespace(v in json_value(), ws in "[ \t\n\r]{0,2}") {
        let text = respell(&v, &ws);
        prop_assert_eq!(canonical_json_str(&text).unwrap(), canonical_json(&v));
        // The canonical form is itself JSON with the same meaning, and a fixed point.
        let canon = canonical_json(&v);
        prop_assert_eq!(canonical_json_str(&canon).unwrap(), canon);
    }

    #[test]
    fn validation_never_panics_on_arbitrary_bodies(v in json_value(), s in "\\PC{0,40}") {
        let now = parse_alipay_datetime("2024-05-20 10:00:00").unwrap();
        for text in [v.to_string(), s.clone()] {
            if let Ok(m) = parse_cumulation(&text) {
                let _ = validate_cumulation(&m, now, Duration::minutes(15));
            }
            if let Ok(m) = parse_state_sync(&text) {
                let _ = validate_state_sync_shape(&m);
            }
        }
    }
}
