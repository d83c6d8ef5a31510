//! Checks shared by v1 and v3: the signature hypotheses engine, clock skew, certificate SNs.

use chrono::{DateTime, Duration, FixedOffset};
use zhima_proto::keys::PublicKey;
use zhima_proto::time::{format_alipay_datetime, parse_alipay_datetime, parse_epoch_millis};
use zhima_proto::SignType;

use super::findings::{Code, Finding, Findings};
use super::keyring::{short, KeyRing, VerifyingKey};

/// The instant doctor judges timestamps against and the tolerance.
pub struct Clock {
    /// "Now" (the system clock unless `--now` is given).
    pub now: DateTime<FixedOffset>,
    /// Allowed difference either way.
    pub skew: Duration,
}

/// What doctor shows besides the findings.
pub struct Summary {
    /// The string-to-sign the platform rebuilds (None when the request could not be parsed).
    pub string_to_sign: Option<String>,
    /// Facts about the request (method, sign_type, charset, request target...).
    pub details: Vec<(&'static str, String)>,
}

/// The finding for a signature that verifies with `vk` over the rebuilt string.
pub fn signature_ok(vk: &VerifyingKey) -> Finding {
    Finding::ok(
        Code::SignatureOk,
        format!(
            "signature OK: it verifies with {} ({}) over the rebuilt string",
            vk.source,
            short(&vk.key)
        ),
    )
}

/// The finding for a signature that neither verifies with `vk` nor under any of the classic
/// `mistakes` tried.
pub fn unexplained(vk: &VerifyingKey, mistakes: &str, fix: &str) -> Finding {
    Finding::error(
        Code::SignatureUnexplained,
        format!(
            "the signature does not verify with {} ({}) over the rebuilt string, nor under any of \
             the classic mistakes ({mistakes})",
            vk.source,
            short(&vk.key)
        ),
        fix,
    )
}

/// One explanation of a failing signature: "it verifies if the client did X".
pub struct Hypothesis {
    /// The diagnosis if it verifies.
    pub code: Code,
    /// What the client did.
    pub explanation: String,
    /// What to change.
    pub fix: String,
    /// The key to verify with.
    pub key: PublicKey,
    /// The algorithm to verify with.
    pub sign_type: SignType,
    /// The string the client would have signed.
    pub text: String,
    /// Its bytes in the charset the client would have used.
    pub bytes: Vec<u8>,
}

impl Hypothesis {
    /// "The client signed `text` (UTF-8, SHA256withRSA) with the private half of `key`".
    pub fn new(
        code: Code,
        explanation: impl Into<String>,
        fix: impl Into<String>,
        key: &PublicKey,
        text: impl Into<String>,
    ) -> Self {
        let text = text.into();
        let bytes = text.as_bytes().to_vec();
        Self {
            code,
            explanation: explanation.into(),
            fix: fix.into(),
            key: key.clone(),
            sign_type: SignType::Rsa2,
            text,
            bytes,
        }
    }

    /// With another algorithm.
    pub fn sign_type(self, sign_type: SignType) -> Self {
        Self { sign_type, ..self }
    }

    /// With the string's bytes in another charset.
    pub fn bytes(self, bytes: Vec<u8>) -> Self {
        Self { bytes, ..self }
    }

    fn holds(&self, sign: &str) -> bool {
        self.key.verify(self.sign_type, &self.bytes, sign).is_ok()
    }

    fn into_finding(self) -> Finding {
        Finding::error(self.code, self.explanation, self.fix).with_signed_string(self.text)
    }
}

/// Adds the finding of the first hypothesis that verifies; returns whether one did.
pub fn explain(hypotheses: Vec<Hypothesis>, sign: &str, findings: &mut Findings) -> bool {
    match hypotheses.into_iter().find(|h| h.holds(sign)) {
        Some(h) => {
            findings.add(h.into_finding());
            true
        }
        None => false,
    }
}

/// Human duration: `3h 12m 5s`, `42s`.
pub fn human(d: Duration) -> String {
    let secs = d.num_seconds().abs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}

fn direction(diff: Duration) -> &'static str {
    if diff > Duration::zero() {
        "ahead of"
    } else {
        "behind"
    }
}

fn within(diff: Duration, skew: Duration) -> bool {
    diff.abs() <= skew
}

/// A parsed timestamp and how far it is from now, when that is beyond the skew; None when it is
/// within it or unreadable (reported as the platform's `answer`, with `fix`).
fn skew_of<E: std::fmt::Display>(
    parsed: Result<DateTime<FixedOffset>, E>,
    answer: &str,
    fix: &str,
    clock: &Clock,
    findings: &mut Findings,
) -> Option<(DateTime<FixedOffset>, Duration)> {
    let t = match parsed {
        Ok(t) => t,
        Err(e) => {
            let explanation = format!("{e}: the platform answers {answer}");
            findings.add(Finding::error(Code::BadTimestamp, explanation, fix));
            return None;
        }
    };
    let diff = t.signed_duration_since(clock.now);
    (!within(diff, clock.skew)).then_some((t, diff))
}

/// v1 `timestamp`: `yyyy-MM-dd HH:mm:ss`, UTC+8 wall time, within the skew.
pub fn check_v1_timestamp(ts: Option<&str>, clock: &Clock, findings: &mut Findings) {
    let Some(ts) = ts.filter(|t| !t.is_empty()) else {
        return;
    };
    let Some((_, diff)) = skew_of(
        parse_alipay_datetime(ts),
        "isv.invalid-timestamp",
        "send timestamp as yyyy-MM-dd HH:mm:ss in UTC+8 (Asia/Shanghai), e.g. 2024-05-20 10:00:00",
        clock,
        findings,
    ) else {
        return;
    };
    let utc_hint = within(diff + Duration::hours(8), clock.skew);
    findings.add(Finding::error(
        Code::ClockSkew,
        format!(
            "timestamp {ts} (UTC+8) is {} {} now ({} UTC+8); the platform accepts ±{} \
             (isv.invalid-timestamp){}",
            human(diff),
            direction(diff),
            format_alipay_datetime(&clock.now),
            human(clock.skew),
            if utc_hint {
                ". It is exactly 8 hours behind: it was written in UTC"
            } else {
                ""
            }
        ),
        if utc_hint {
            "format the timestamp in UTC+8 (Asia/Shanghai), not UTC: e.g. run the SDK with \
             TZ=Asia/Shanghai or convert explicitly"
        } else {
            "synchronise the client's clock (NTP) and stamp each request when it is sent, in UTC+8"
        },
    ));
}

/// v3 authString `timestamp`: epoch milliseconds within the skew.
pub fn check_v3_timestamp(ts: &str, clock: &Clock, findings: &mut Findings) {
    let Some((t, diff)) = skew_of(
        parse_epoch_millis(ts),
        "invalid-timestamp",
        "send the authString timestamp as Unix epoch milliseconds (e.g. 1716170400123)",
        clock,
        findings,
    ) else {
        return;
    };
    let seconds_hint = ts
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(1000))
        .and_then(|ms| zhima_proto::time::from_epoch_millis(ms).ok());
    let seconds_hint =
        seconds_hint.is_some_and(|t| within(t.signed_duration_since(clock.now), clock.skew));
    findings.add(Finding::error(
        Code::ClockSkew,
        format!(
            "authString timestamp {ts} ({} UTC+8) is {} {} now ({} UTC+8); the platform accepts \
             ±{} (invalid-timestamp){}",
            format_alipay_datetime(&t),
            human(diff),
            direction(diff),
            format_alipay_datetime(&clock.now),
            human(clock.skew),
            if seconds_hint {
                ". Read as seconds it would be now: it is in seconds, not milliseconds"
            } else {
                ""
            }
        ),
        if seconds_hint {
            "v3 timestamps are epoch milliseconds (System.currentTimeMillis(), Date.now())"
        } else {
            "synchronise the client's clock (NTP) and stamp each request when it is sent"
        },
    ));
}

/// `app_cert_sn` (v1 param / v3 authString) against the app certificate given.
pub fn check_app_cert_sn(sent: Option<&str>, ring: &KeyRing, findings: &mut Findings) {
    let Some(cert) = &ring.app_cert else { return };
    match sent.filter(|s| !s.is_empty()) {
        Some(sn) if sn == cert.sn => {}
        Some(sn) => findings.add(Finding::error(
            Code::CertSnMismatch,
            format!(
                "app_cert_sn {sn} is not the SN of the app certificate given ({}, from issuer \
                 {:?} and serial {}); the platform looks the app key up by this SN",
                cert.sn, cert.issuer_dn, cert.serial_decimal
            ),
            "compute app_cert_sn from the app public-key certificate the platform issued \
             (MD5 of issuer DN in RFC 2253 form + decimal serial), or load that certificate in the SDK",
        )),
        None => findings.add(Finding::error(
            Code::CertSnMismatch,
            format!("an app certificate was given (SN {}) but the request has no app_cert_sn", cert.sn),
            "in cert mode send app_cert_sn (and alipay_root_cert_sn); both are part of the signed string",
        )),
    }
}

/// `alipay_root_cert_sn` (v1 param / v3 header) against the root bundle given.
pub fn check_root_cert_sn(sent: Option<&str>, ring: &KeyRing, findings: &mut Findings) {
    let Some(expected) = &ring.root_cert_sn else {
        return;
    };
    let sent = sent.unwrap_or_default();
    if sent != expected {
        findings.add(Finding::error(
            Code::RootCertSnMismatch,
            format!("the root certificate SN sent ({sent:?}) is not the SN list of the root bundle given ({expected})"),
            "compute it from the platform root bundle: the SNs of its RSA-signed certificates joined with '_'",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::seconds(42)), "42s");
        assert_eq!(human(Duration::seconds(-125)), "2m 5s");
        assert_eq!(human(Duration::seconds(8 * 3600 + 3)), "8h 0m 3s");
    }

    #[test]
    fn utc_instead_of_utc8_is_recognised() {
        let now = parse_alipay_datetime("2024-05-20 10:00:00").unwrap();
        let clock = Clock {
            now,
            skew: Duration::minutes(15),
        };
        let mut f = Findings::default();
        check_v1_timestamp(Some("2024-05-20 02:00:05"), &clock, &mut f);
        let f = f.sorted();
        assert_eq!(f[0].code, Code::ClockSkew);
        assert!(
            f[0].explanation.contains("written in UTC"),
            "{}",
            f[0].explanation
        );
        let mut f = Findings::default();
        check_v1_timestamp(Some("2024-05-20 10:14:00"), &clock, &mut f);
        assert!(f.sorted().is_empty());
        let mut f = Findings::default();
        check_v3_timestamp("1716170400", &clock, &mut f);
        assert!(f.sorted()[0]
            .explanation
            .contains("seconds, not milliseconds"));
    }
}
