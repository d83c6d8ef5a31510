//! View tokens for consumer pages (PRODUCT §13) **\[ours\]**: `<expiry>.<mac>` where `expiry`
//! is Unix seconds and `mac` the unpadded base64url HMAC-SHA256, under a 32-byte server key
//! every process shares, of the page kind, the subject (e.g. the agreement number) and the
//! expiry. A token opens one page of one subject until it expires; nothing is stored per token.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;

/// The kinds of page a token can open (part of what is signed, so a token for one kind
/// never opens another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// The Zhima GO card of an agreement (`/c/agreements/{agreement_no}`).
    AgreementCard,
    /// A state-sync instance (`/c/instances/{service_id}/{category_code}/{out_principal_id}`);
    /// its subject is [`instance_subject`].
    StateInstance,
}

impl PageKind {
    fn label(self) -> &'static str {
        match self {
            PageKind::AgreementCard => "agreement_card",
            PageKind::StateInstance => "state_instance",
        }
    }
}

/// Why a token does not open a page (the page says neither: both are a 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a token of ours for this page and subject (forged, altered, malformed).
    Invalid,
    /// A genuine token past its expiry.
    Expired,
}

/// The signed message: length-prefixed fields, so no two (kind, subject, expiry) triples
/// share one.
fn message(kind: PageKind, subject: &str, expires_at: i64) -> String {
    let kind = kind.label();
    format!(
        "zhima-view-v1|{}:{kind}|{}:{subject}|{expires_at}",
        kind.len(),
        subject.len()
    )
}

/// The subject of a state-sync instance's page: its four key parts, each length-prefixed, so
/// no two instances share a subject (a `/` or `|` inside a part cannot shift the split).
pub fn instance_subject(
    service_id: &str,
    category_code: &str,
    user_id: &str,
    out_principal_id: &str,
) -> String {
    [service_id, category_code, user_id, out_principal_id]
        .iter()
        .map(|p| format!("{}:{p}", p.len()))
        .collect::<Vec<_>>()
        .join("|")
}

/// A token opening `kind` of `subject` until `expires_at` (Unix seconds).
pub fn mint(key: &[u8; KEY_LEN], kind: PageKind, subject: &str, expires_at: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, message(kind, subject, expires_at).as_bytes());
    format!("{expires_at}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Checks `token` for `kind` of `subject` at `now` (Unix seconds); the MAC is compared in
/// constant time before the expiry is looked at.
pub fn verify(
    key: &[u8; KEY_LEN],
    kind: PageKind,
    subject: &str,
    token: &str,
    now: i64,
) -> Result<(), Refusal> {
    let (expiry, mac) = token.split_once('.').ok_or(Refusal::Invalid)?;
    // Only canonical decimal: "+5" or "05" would sign the same value under another spelling.
    if expiry.is_empty()
        || expiry.len() > 19
        || !expiry.bytes().all(|b| b.is_ascii_digit())
        || (expiry.len() > 1 && expiry.starts_with('0'))
    {
        return Err(Refusal::Invalid);
    }
    let expires_at: i64 = expiry.parse().map_err(|_| Refusal::Invalid)?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| Refusal::Invalid)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&key, message(kind, subject, expires_at).as_bytes(), &mac)
        .map_err(|_| Refusal::Invalid)?;
    if now >= expires_at {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// Parses a stored key (64 hex digits).
pub fn parse_key(hex_key: &str) -> Option<[u8; KEY_LEN]> {
    hex::decode(hex_key.trim()).ok()?.try_into().ok()
}

/// A link lifetime such as `30m`, `1h`, `7d` (seconds; 1 minute to 30 days).
pub fn parse_ttl(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (n, unit) = text.split_at(split);
    let n: i64 = n
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a positive number with a unit (s, m, h, d)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    if !(60..=MAX_TTL_SECS).contains(&secs) {
        return Err(format!("`{text}`: a link lives from 1 minute to 30 days"));
    }
    Ok(secs)
}

/// Longest link lifetime.
pub const MAX_TTL_SECS: i64 = 30 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; KEY_LEN] = [7; KEY_LEN];
    const CARD: PageKind = PageKind::AgreementCard;

    #[test]
    fn a_minted_token_opens_its_page_until_it_expires() {
        let t = mint(&KEY, CARD, "20250101000000001", 1_000);
        assert!(t.starts_with("1000."));
        assert_eq!(verify(&KEY, CARD, "20250101000000001", &t, 999), Ok(()));
        assert_eq!(
            verify(&KEY, CARD, "20250101000000001", &t, 1_000),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn another_subject_or_key_is_refused() {
        let t = mint(&KEY, CARD, "A1", 1_000);
        assert_eq!(verify(&KEY, CARD, "A2", &t, 0), Err(Refusal::Invalid));
        assert_eq!(
            verify(&[8; KEY_LEN], CARD, "A1", &t, 0),
            Err(Refusal::Invalid)
        );
    }

    #[test]
    fn forged_or_altered_tokens_are_refused() {
        let t = mint(&KEY, CARD, "A1", 1_000);
        let (_, mac) = t.split_once('.').unwrap();
        // A later expiry with the old MAC.
        assert_eq!(
            verify(&KEY, CARD, "A1", &format!("2000.{mac}"), 0),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            verify(&KEY, CARD, "A1", &format!("01000.{mac}"), 0),
            Err(Refusal::Invalid)
        );
        let mut flipped = t.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(verify(&KEY, CARD, "A1", &flipped, 0), Err(Refusal::Invalid));
        for bad in ["", ".", "1000", "1000.", "x.abc", "1000.!!", "-5.abc"] {
            assert_eq!(
                verify(&KEY, CARD, "A1", bad, 0),
                Err(Refusal::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_card_token_does_not_open_an_instance_and_instances_are_distinct() {
        let subject = instance_subject("S", "C", "2088000000000001", "P");
        let t = mint(&KEY, PageKind::StateInstance, &subject, 1_000);
        assert_eq!(
            verify(&KEY, PageKind::StateInstance, &subject, &t, 0),
            Ok(())
        );
        assert_eq!(verify(&KEY, CARD, &subject, &t, 0), Err(Refusal::Invalid));
        let card = mint(&KEY, CARD, &subject, 1_000);
        assert_eq!(
            verify(&KEY, PageKind::StateInstance, &subject, &card, 0),
            Err(Refusal::Invalid)
        );
        // Moving a separator between parts gives another subject.
        assert_ne!(
            instance_subject("S", "C|1:x", "U", "P"),
            instance_subject("S", "C", "1:x|U", "P")
        );
        assert_ne!(
            instance_subject("S", "C", "U", "P"),
            instance_subject("S", "C", "U", "Q")
        );
    }

    #[test]
    fn ttls_parse_within_bounds() {
        assert_eq!(parse_ttl("1h"), Ok(3600));
        assert_eq!(parse_ttl("30m"), Ok(1800));
        assert_eq!(parse_ttl("7d"), Ok(7 * 86_400));
        for bad in ["", "h", "0h", "10s", "31d", "1w", "-1h", "1.5h"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_key(&hex::encode(KEY)), Some(KEY));
        assert_eq!(parse_key("abcd"), None);
    }
}
