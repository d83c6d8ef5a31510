//! An agreement's period (PRODUCT §11): when an agreement signed at some instant ends, from
//! its template's `open_config.period_mode` / `period_time` as the official model documents
//! them, all in UTC+8 (Alipay's calendar). Without a mode: the template's `period_days`;
//! without either: 30 days (**ours**).

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone};
pub use zhima_proto::models::template_blocks::PeriodMode;
use zhima_proto::time::parse_alipay_datetime;
pub use zhima_proto::validate::TemplatePeriod;

use crate::domain::entities::Time;

/// The period when a template says nothing (**ours**).
pub const DEFAULT_PERIOD_DAYS: i64 = 30;

/// The end of an agreement signed at `start`.
pub fn end_of(period: Option<&TemplatePeriod>, period_days: Option<i64>, start: &Time) -> Time {
    let days = |n: i64| *start + Duration::days(n);
    let Some(p) = period else {
        return days(period_days.unwrap_or(DEFAULT_PERIOD_DAYS));
    };
    let n = i64::from(p.time.unwrap_or(0));
    let day = start.date_naive();
    match p.mode {
        // `period_time` days after signing, to the second.
        PeriodMode::RelativeDate => days(n),
        // `period_time` days counting the signing day: the end of day n.
        PeriodMode::AbsolateDate => end_of_day(start, day + Duration::days((n - 1).max(0))),
        // `period_time` days from the day after signing.
        PeriodMode::AbsolutePlus1Date => end_of_day(start, day + Duration::days(n)),
        // Day `appoint_date` of the month `period_time` months later (clamped to its length).
        PeriodMode::FixDate => {
            let wanted: u32 = p
                .appoint_date
                .as_deref()
                .and_then(|d| d.parse().ok())
                .unwrap_or(1);
            let months = day.year() * 12 + day.month0() as i32 + n as i32;
            let (y, m) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
            let d = (1..=wanted.clamp(1, 31))
                .rev()
                .find_map(|d| NaiveDate::from_ymd_opt(y, m, d))
                .unwrap_or(day);
            end_of_day(start, d)
        }
        // A fixed end.
        PeriodMode::AppointDate => p
            .appoint_date
            .as_deref()
            .and_then(|d| parse_alipay_datetime(d).ok())
            .unwrap_or_else(|| days(period_days.unwrap_or(DEFAULT_PERIOD_DAYS))),
    }
}

/// 23:59:59 of `day` in `like`'s zone.
fn end_of_day(like: &Time, day: NaiveDate) -> Time {
    let t = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    like.offset()
        .from_local_datetime(&t)
        .single()
        .unwrap_or(*like)
}

/// The storage form of a period: (`period_mode`, `period_time`), `period_time` holding the
/// count, or for `APPOINT_DATE` the end, or for `FIX_DATE` `months,day`.
pub fn to_columns(p: &TemplatePeriod) -> (String, String) {
    let time = match p.mode {
        PeriodMode::AppointDate => p.appoint_date.clone().unwrap_or_default(),
        PeriodMode::FixDate => format!(
            "{},{}",
            p.time.unwrap_or(0),
            p.appoint_date.as_deref().unwrap_or("1")
        ),
        _ => p.time.unwrap_or(0).to_string(),
    };
    (p.mode.as_str().to_owned(), time)
}

/// The period of stored columns ([`to_columns`]); `None` when there is no mode.
pub fn from_columns(mode: Option<&str>, time: Option<&str>) -> Option<TemplatePeriod> {
    let mode: PeriodMode = mode?.parse().ok()?;
    let time = time.unwrap_or("");
    Some(match mode {
        PeriodMode::AppointDate => TemplatePeriod {
            mode,
            time: None,
            appoint_date: Some(time.to_owned()),
        },
        PeriodMode::FixDate => {
            let (n, d) = time.split_once(',').unwrap_or((time, "1"));
            TemplatePeriod {
                mode,
                time: n.parse().ok(),
                appoint_date: Some(d.to_owned()),
            }
        }
        _ => TemplatePeriod {
            mode,
            time: time.parse().ok(),
            appoint_date: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::time::format_alipay_datetime;

    fn at(s: &str) -> Time {
        parse_alipay_datetime(s).unwrap()
    }

    fn end(mode: PeriodMode, time: Option<u32>, appoint: Option<&str>, start: &str) -> String {
        let p = TemplatePeriod {
            mode,
            time,
            appoint_date: appoint.map(str::to_owned),
        };
        let (m, t) = to_columns(&p);
        assert_eq!(from_columns(Some(&m), Some(&t)), Some(p.clone()));
        format_alipay_datetime(&end_of(Some(&p), None, &at(start)))
    }

    #[test]
    fn each_mode_ends_where_the_official_model_says() {
        let s = "2024-01-31 10:20:30";
        assert_eq!(
            end(PeriodMode::RelativeDate, Some(30), None, s),
            "2024-03-01 10:20:30"
        );
        assert_eq!(
            end(PeriodMode::AbsolateDate, Some(1), None, s),
            "2024-01-31 23:59:59"
        );
        assert_eq!(
            end(PeriodMode::AbsolateDate, Some(3), None, s),
            "2024-02-02 23:59:59"
        );
        assert_eq!(
            end(PeriodMode::AbsolutePlus1Date, Some(3), None, s),
            "2024-02-03 23:59:59"
        );
        // Day 31 of February does not exist: its last day.
        assert_eq!(
            end(PeriodMode::FixDate, Some(1), Some("31"), s),
            "2024-02-29 23:59:59"
        );
        assert_eq!(
            end(PeriodMode::FixDate, Some(12), Some("5"), s),
            "2025-01-05 23:59:59"
        );
        assert_eq!(
            end(
                PeriodMode::AppointDate,
                None,
                Some("2024-12-31 23:59:59"),
                s
            ),
            "2024-12-31 23:59:59"
        );
    }

    #[test]
    fn without_a_mode_period_days_then_thirty_days() {
        let s = at("2024-01-01 00:00:00");
        assert_eq!(
            format_alipay_datetime(&end_of(None, Some(7), &s)),
            "2024-01-08 00:00:00"
        );
        assert_eq!(
            format_alipay_datetime(&end_of(None, None, &s)),
            "2024-01-31 00:00:00"
        );
        assert_eq!(from_columns(None, Some("3")), None);
    }
}
