//! Business fingerprints for idempotency: "the same request again" means semantically equal
//! business fields (PRODUCT §4 rule 2). zhima-proto's validated requests render those fields
//! as canonical JSON (`business_fingerprint()`: keys sorted, no whitespace, amounts as fen,
//! embedded JSON parsed); storage keeps the SHA-256 of that text, a fixed-size value any
//! backend can index and compare.

use sha2::{Digest, Sha256};

/// SHA-256 (lowercase hex) of a canonical business text.
pub fn digest(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable_hex() {
        assert_eq!(
            digest("{}"),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_ne!(digest(r#"{"a":1}"#), digest(r#"{"a":2}"#));
    }
}
