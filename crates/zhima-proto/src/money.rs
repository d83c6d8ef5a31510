//! Money as integer fen (分, 1/100 yuan). No floats anywhere.
//!
//! On the wire every amount is a yuan string with at most two decimals (`"3.57"`). [`Fen`]
//! parses that format strictly and always formats back with exactly two decimals.
//!
//! Parsing accepts exactly `^\d{1,10}(\.\d{1,2})?$` (PRODUCT §4): no sign, no exponent, no
//! spaces, no thousands separators, no bare `"3."` or `".5"`. Leading zeros are accepted
//! because the documented pattern allows them (`"03.57"` = 357 fen); formatting never emits
//! them. Ten integer digits bound a parsed value to < 10^12 fen, far inside `i64`.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The accepted wire pattern for yuan amounts (PRODUCT §4 `^\d{1,10}(\.\d{1,2})?$`).
///
/// ASCII digits only: the `regex` crate's `\d` would also match non-ASCII digits.
pub const YUAN_PATTERN: &str = r"^([0-9]{1,10})(?:\.([0-9]{1,2}))?$";

static YUAN_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(YUAN_PATTERN).expect("YUAN_PATTERN is a valid regex"));

/// Longest input echoed back in an error message, so hostile input cannot bloat responses.
const MAX_ECHO_CHARS: usize = 40;

/// A yuan string that does not match [`YUAN_PATTERN`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid yuan amount {input:?}: expected digits with at most 2 decimals, e.g. \"3.57\"")]
pub struct ParseFenError {
    /// The rejected input (truncated to 40 characters).
    pub input: String,
}

/// An amount of money in fen (1 yuan = 100 fen).
///
/// Negative values are representable (differences, net totals) and format with a leading `-`,
/// but the wire parser ([`Fen::parse_yuan`], `FromStr`, `Deserialize`) never accepts a sign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// The amount in fen.
    pub const fn as_i64(self) -> i64 {
        self.0
    }

    /// Parses a wire yuan string strictly (`^\d{1,10}(\.\d{1,2})?$`); `"3.5"` is 350 fen.
    pub fn parse_yuan(s: &str) -> Result<Fen, ParseFenError> {
        let err = || ParseFenError {
            input: s.chars().take(MAX_ECHO_CHARS).collect(),
        };
        let caps = YUAN_RE.captures(s).ok_or_else(err)?;
        // At most 10 digits, so the integer part always fits in i64.
        let yuan: i64 = caps[1].parse().map_err(|_| err())?;
        let fen = match caps.get(2).map(|m| m.as_str()) {
            None => 0,
            Some(d) if d.len() == 1 => d.parse::<i64>().map_err(|_| err())? * 10,
            Some(d) => d.parse::<i64>().map_err(|_| err())?,
        };
        Ok(Fen(yuan * 100 + fen))
    }

    /// Formats as yuan with exactly two decimals: `"3.57"`, `"0.00"`, `"-1.05"`.
    pub fn to_yuan_string(self) -> String {
        self.to_string()
    }

    /// Addition that reports overflow instead of wrapping or panicking.
    pub const fn checked_add(self, rhs: Fen) -> Option<Fen> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// Subtraction that reports overflow instead of wrapping or panicking.
    pub const fn checked_sub(self, rhs: Fen) -> Option<Fen> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// Absolute value (saturating at `i64::MAX`).
    pub const fn abs(self) -> Fen {
        Fen(self.0.saturating_abs())
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // unsigned_abs avoids overflow on i64::MIN.
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Fen {
    type Err = ParseFenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fen::parse_yuan(s)
    }
}

impl Add for Fen {
    type Output = Fen;

    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0 + rhs.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, rhs: Fen) {
        self.0 += rhs.0;
    }
}

impl Sub for Fen {
    type Output = Fen;

    fn sub(self, rhs: Fen) -> Fen {
        Fen(self.0 - rhs.0)
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, rhs: Fen) {
        self.0 -= rhs.0;
    }
}

impl Neg for Fen {
    type Output = Fen;

    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Fen::parse_yuan(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_forms() {
        assert_eq!(Fen::parse_yuan("3.57"), Ok(Fen(357)));
        assert_eq!(Fen::parse_yuan("3.5"), Ok(Fen(350)));
        assert_eq!(Fen::parse_yuan("3"), Ok(Fen(300)));
        assert_eq!(Fen::parse_yuan("0.00"), Ok(Fen(0)));
        assert_eq!(Fen::parse_yuan("03.57"), Ok(Fen(357)));
        assert_eq!(Fen::parse_yuan("9999999999.99"), Ok(Fen(999_999_999_999)));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "-1",
            "+1",
            "1e3",
            " 1",
            "1 ",
            "1.",
            ".5",
            "1.234",
            "1,000",
            "１",
            "12345678901",
            "NaN",
            "0x10",
            "1.-1",
            "٣",
            "1\n",
            "1.5\n",
        ] {
            let err = Fen::parse_yuan(bad).unwrap_err();
            assert!(err.to_string().contains("invalid yuan amount"), "{bad:?}");
        }
    }

    #[test]
    fn error_echo_is_truncated() {
        let long = "9".repeat(1000);
        assert_eq!(Fen::parse_yuan(&long).unwrap_err().input.len(), 40);
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(Fen(357).to_yuan_string(), "3.57");
        assert_eq!(Fen(0).to_string(), "0.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-105).to_string(), "-1.05");
        assert_eq!(Fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn arithmetic_and_sum() {
        let v = [Fen(100), Fen(250), Fen(-50)];
        assert_eq!(v.iter().sum::<Fen>(), Fen(300));
        assert_eq!(v.into_iter().sum::<Fen>(), Fen(300));
        assert_eq!(Fen(1) + Fen(2) - Fen(4), Fen(-1));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert!(Fen(1) < Fen(2));
    }

    #[test]
    fn serde_is_a_yuan_string() {
        assert_eq!(serde_json::to_string(&Fen(875)).unwrap(), "\"8.75\"");
        assert_eq!(serde_json::from_str::<Fen>("\"8.75\"").unwrap(), Fen(875));
        assert!(serde_json::from_str::<Fen>("8.75").is_err());
        assert!(serde_json::from_str::<Fen>("\"8.755\"").is_err());
    }
}
