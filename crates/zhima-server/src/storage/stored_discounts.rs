//! How both engines store an event's discount lines: one text column holding
//! `[[discount_type, name, fen], …]` as JSON. One home, so the engines cannot drift apart.

use zhima_proto::models::DiscountType;
use zhima_proto::money::Fen;

use crate::domain::ledger::DiscountLine;

/// The stored text of `lines`.
pub(crate) fn encode(lines: &[DiscountLine]) -> String {
    let rows: Vec<(&str, &str, i64)> = lines
        .iter()
        .map(|d| (d.discount_type.as_str(), d.name.as_str(), d.amount.0))
        .collect();
    serde_json::to_string(&rows).expect("tuples of strings and integers serialize")
}

/// The lines of a stored text; the error names what does not parse.
pub(crate) fn decode(text: &str) -> Result<Vec<DiscountLine>, String> {
    let rows: Vec<(String, String, i64)> =
        serde_json::from_str(text).map_err(|e| format!("stored discounts: {e}"))?;
    rows.into_iter()
        .map(|(kind, name, fen)| {
            Ok(DiscountLine {
                discount_type: kind
                    .parse::<DiscountType>()
                    .map_err(|e| format!("stored discount type {kind:?}: {e}"))?,
                name,
                amount: Fen(fen),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_bad_text_is_named() {
        let lines = vec![DiscountLine {
            discount_type: "exclusiveBenefit".parse().unwrap(),
            name: "立减".into(),
            amount: Fen(357),
        }];
        let text = encode(&lines);
        assert_eq!(text, r#"[["exclusiveBenefit","立减",357]]"#);
        assert_eq!(decode(&text).unwrap(), lines);
        assert!(decode(r#"[["nope","x",1]]"#).unwrap_err().contains("nope"));
        assert!(decode("{").unwrap_err().starts_with("stored discounts"));
    }
}
