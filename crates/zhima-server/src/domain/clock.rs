//! The sandbox clock (PRODUCT §11): business time = real time + an offset the operator
//! advances, so a merchant can test a 30-day agreement in seconds. Pure: the caller supplies
//! the real instant. Request timestamps, v3 nonces and app-auth-token expiry never use it.

use std::fmt;

use crate::domain::entities::Time;

/// Largest single advance (10 years).
pub const MAX_ADVANCE_MS: i64 = 3650 * DAY_MS;
/// Largest total offset (100 years): business times stay far inside what storage and
/// `yyyy-MM-dd HH:mm:ss` can represent.
pub const MAX_OFFSET_MS: i64 = 36500 * DAY_MS;

const SECOND_MS: i64 = 1000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The stored clock: how far business time runs ahead of real time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxClock {
    /// Milliseconds added to real time (never negative: the clock only moves forward).
    pub offset_ms: i64,
}

impl SandboxClock {
    /// The business instant at the real instant `real`, in `real`'s offset (UTC+8 here).
    pub fn business_time(&self, real: &Time) -> Time {
        *real + chrono::Duration::milliseconds(self.offset_ms)
    }
}

/// A clock reading: both instants taken together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The stored clock.
    pub clock: SandboxClock,
    /// Real time (UTC+8).
    pub real_time: Time,
    /// Business time = real time + offset (UTC+8).
    pub business_time: Time,
}

impl ClockReading {
    /// Reads `clock` at the real instant `real`.
    pub fn at(clock: SandboxClock, real: Time) -> Self {
        ClockReading {
            clock,
            real_time: real,
            business_time: clock.business_time(&real),
        }
    }
}

/// A clock advance the operator asked for (`30d`, `12h`, `15m`, `90s`): positive and at most
/// [`MAX_ADVANCE_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advance {
    /// Milliseconds to add to the offset.
    pub ms: i64,
}

/// Why an advance is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// Not `<positive integer>(s|m|h|d)`.
    Malformed(String),
    /// Zero.
    NotPositive,
    /// More than [`MAX_ADVANCE_MS`] at once.
    TooLarge,
    /// The total offset would pass [`MAX_OFFSET_MS`].
    OffsetLimit,
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockError::Malformed(s) => write!(
                f,
                "{s:?} is not a duration: expected a positive whole number followed by s, m, h or d (e.g. 30d, 12h, 15m, 90s)"
            ),
            ClockError::NotPositive => f.write_str("the clock only moves forward: the duration must be positive"),
            ClockError::TooLarge => write!(f, "at most {}d at once", MAX_ADVANCE_MS / DAY_MS),
            ClockError::OffsetLimit => write!(
                f,
                "the sandbox clock cannot run more than {}d ahead of real time",
                MAX_OFFSET_MS / DAY_MS
            ),
        }
    }
}

impl std::error::Error for ClockError {}

impl Advance {
    /// Parses `30d`, `12h`, `15m`, `90s` (ASCII digits, one unit letter, no sign or spaces).
    pub fn parse(text: &str) -> Result<Advance, ClockError> {
        let malformed = || ClockError::Malformed(text.chars().take(40).collect());
        let unit = text.chars().last().ok_or_else(malformed)?;
        let digits = &text[..text.len() - unit.len_utf8()];
        let unit_ms = match unit {
            's' => SECOND_MS,
            'm' => MINUTE_MS,
            'h' => HOUR_MS,
            'd' => DAY_MS,
            _ => return Err(malformed()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        // Too many digits to be a sane duration is "too large", not "malformed".
        let n: i64 = digits.parse().map_err(|_| ClockError::TooLarge)?;
        Advance::of_ms(n.checked_mul(unit_ms).ok_or(ClockError::TooLarge)?)
    }

    /// An advance of `ms` milliseconds, checked like a parsed one.
    pub fn of_ms(ms: i64) -> Result<Advance, ClockError> {
        match ms {
            ..=0 => Err(ClockError::NotPositive),
            ms if ms > MAX_ADVANCE_MS => Err(ClockError::TooLarge),
            ms => Ok(Advance { ms }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::time::parse_alipay_datetime;

    #[test]
    fn durations_parse_in_each_unit() {
        assert_eq!(Advance::parse("30d"), Ok(Advance { ms: 30 * DAY_MS }));
        assert_eq!(Advance::parse("12h"), Ok(Advance { ms: 12 * HOUR_MS }));
        assert_eq!(Advance::parse("15m"), Ok(Advance { ms: 15 * MINUTE_MS }));
        assert_eq!(Advance::parse("90s"), Ok(Advance { ms: 90 * SECOND_MS }));
    }

    #[test]
    fn bad_durations_are_refused() {
        for bad in [
            "", "d", "30", "-1d", "+1d", "1.5d", "1 d", "30w", "3０d", "1dd",
        ] {
            assert!(
                matches!(Advance::parse(bad), Err(ClockError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert_eq!(Advance::parse("0d"), Err(ClockError::NotPositive));
        assert_eq!(Advance::parse("3651d"), Err(ClockError::TooLarge));
        assert_eq!(
            Advance::parse("99999999999999999999d"),
            Err(ClockError::TooLarge)
        );
        assert_eq!(
            Advance::parse("9999999999999999d"),
            Err(ClockError::TooLarge)
        );
    }

    #[test]
    fn business_time_is_real_time_plus_offset() {
        let real = parse_alipay_datetime("2026-01-01 00:00:00").unwrap();
        let clock = SandboxClock {
            offset_ms: 31 * DAY_MS,
        };
        let reading = ClockReading::at(clock, real);
        assert_eq!(
            reading.business_time,
            parse_alipay_datetime("2026-02-01 00:00:00").unwrap()
        );
        assert_eq!(reading.business_time.offset(), real.offset());
    }
}
