//! Alipay time formats.
//!
//! v1 `timestamp`, `biz_time` and every date in bodies are **UTC+8 wall time** written
//! `yyyy-MM-dd HH:mm:ss` (JAVA2 formats them in GMT+8; PROTOCOL §A2). v3 authString
//! `timestamp` and the `alipay-timestamp` response header are Unix epoch **milliseconds**.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

/// Alipay's zone: UTC+8 (Asia/Shanghai has had no DST since 1991).
pub const ALIPAY_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// `chrono` format string of Alipay wall times (`yyyy-MM-dd HH:mm:ss`).
pub const ALIPAY_DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Exact shape of an Alipay wall time: chrono alone accepts e.g. 1-digit months, signed
/// years and leap second `60`, none of which Alipay sends.
pub const DATETIME_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-5][0-9]$";

static DATETIME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(DATETIME_PATTERN).expect("datetime regex is valid"));

/// Longest input echoed back in an error message.
const MAX_ECHO_CHARS: usize = 40;

/// A time value that is not in the expected Alipay format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not a valid `yyyy-MM-dd HH:mm:ss` wall time.
    #[error("invalid time {input:?}: expected yyyy-MM-dd HH:mm:ss (UTC+8)")]
    InvalidDateTime {
        /// The rejected input (truncated to 40 characters).
        input: String,
    },
    /// Not a decimal count of epoch milliseconds.
    #[error("invalid epoch-millisecond timestamp {input:?}: expected decimal digits")]
    InvalidEpochMillis {
        /// The rejected input (truncated to 40 characters).
        input: String,
    },
    /// Epoch milliseconds outside the range chrono can represent.
    #[error("epoch-millisecond timestamp {millis} is out of range")]
    OutOfRange {
        /// The rejected value.
        millis: i64,
    },
}

fn echo(s: &str) -> String {
    s.chars().take(MAX_ECHO_CHARS).collect()
}

/// Parses `yyyy-MM-dd HH:mm:ss` strictly as UTC+8 wall time.
pub fn parse_alipay_datetime(s: &str) -> Result<DateTime<FixedOffset>, TimeError> {
    let err = || TimeError::InvalidDateTime { input: echo(s) };
    if !DATETIME_RE.is_match(s) {
        return Err(err());
    }
    let naive = NaiveDateTime::parse_from_str(s, ALIPAY_DATETIME_FORMAT).map_err(|_| err())?;
    // A fixed offset has no gaps or folds, so this mapping is always single.
    ALIPAY_OFFSET
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(err)
}

/// Formats any instant as UTC+8 wall time `yyyy-MM-dd HH:mm:ss` (sub-seconds dropped).
pub fn format_alipay_datetime<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    t.with_timezone(&ALIPAY_OFFSET)
        .format(ALIPAY_DATETIME_FORMAT)
        .to_string()
}

/// The current instant in UTC+8 (reads the system clock).
pub fn now_alipay() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&ALIPAY_OFFSET)
}

/// Unix epoch milliseconds of an instant (v3 `timestamp`, `alipay-timestamp`).
pub fn to_epoch_millis<Tz: TimeZone>(t: &DateTime<Tz>) -> i64 {
    t.timestamp_millis()
}

/// The instant at `millis` Unix epoch milliseconds, in UTC+8.
pub fn from_epoch_millis(millis: i64) -> Result<DateTime<FixedOffset>, TimeError> {
    DateTime::from_timestamp_millis(millis)
        .map(|t| t.with_timezone(&ALIPAY_OFFSET))
        .ok_or(TimeError::OutOfRange { millis })
}

/// Parses a v3 epoch-millisecond string (ASCII digits only, no sign or spaces).
pub fn parse_epoch_millis(s: &str) -> Result<DateTime<FixedOffset>, TimeError> {
    let err = || TimeError::InvalidEpochMillis { input: echo(s) };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let millis: i64 = s.parse().map_err(|_| err())?;
    from_epoch_millis(millis)
}

/// Whether `t` lies within `skew` of `now`, in either direction (inclusive).
pub fn within_skew<A: TimeZone, B: TimeZone>(
    t: &DateTime<A>,
    now: &DateTime<B>,
    skew: chrono::Duration,
) -> bool {
    let diff = t.clone().signed_duration_since(now.clone());
    diff <= skew && -diff <= skew
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn parses_as_utc_plus_8() {
        let t = parse_alipay_datetime("2024-05-20 10:00:00").unwrap();
        assert_eq!(t.offset(), &ALIPAY_OFFSET);
        assert_eq!(
            t.with_timezone(&Utc).to_rfc3339(),
            "2024-05-20T02:00:00+00:00"
        );
        assert_eq!(format_alipay_datetime(&t), "2024-05-20 10:00:00");
    }

    #[test]
    fn formats_any_zone_as_utc_plus_8() {
        let utc = Utc.with_ymd_and_hms(2024, 5, 19, 20, 30, 5).unwrap();
        assert_eq!(format_alipay_datetime(&utc), "2024-05-20 04:30:05");
    }

    #[test]
    fn rejects_loose_forms_and_names_the_input() {
        for bad in [
            "",
            "2024-5-20 10:00:00",
            "2024-05-20T10:00:00",
            "2024-05-20 10:00",
            "2024-05-20 10:00:00 ",
            "2024-02-30 10:00:00",
            "2024-05-20 24:00:00",
            "2024-05-20 23:59:60",
            "+2024-05-20 10:00:00",
            "２０２４-05-20 10:00:00",
        ] {
            let err = parse_alipay_datetime(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn epoch_millis_round_trip() {
        let t = parse_epoch_millis("1716170400123").unwrap();
        assert_eq!(to_epoch_millis(&t), 1_716_170_400_123);
        assert_eq!(format_alipay_datetime(&t), "2024-05-20 10:00:00");
        assert!(parse_epoch_millis("-1").is_err());
        assert!(parse_epoch_millis("12a").is_err());
        assert!(parse_epoch_millis("99999999999999999999").is_err());
        assert_eq!(
            from_epoch_millis(i64::MAX),
            Err(TimeError::OutOfRange { millis: i64::MAX })
        );
    }

    #[test]
    fn skew_window_is_inclusive_both_ways() {
        let now = parse_alipay_datetime("2024-05-20 10:00:00").unwrap();
        let skew = Duration::minutes(15);
        assert!(within_skew(&(now + skew), &now, skew));
        assert!(within_skew(&(now - skew), &now, skew));
        assert!(!within_skew(
            &(now + skew + Duration::seconds(1)),
            &now,
            skew
        ));
        assert!(!within_skew(
            &(now - skew - Duration::seconds(1)),
            &now,
            skew
        ));
    }
}
