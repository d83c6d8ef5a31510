//! Platform-generated numbers the merchant sees (`refund_opt_no`, …): the business date
//! (UTC+8) then random digits, so they sort by day and never collide in practice; the unique
//! index on each column turns the impossible collision into a lost race (the job re-runs).

use crate::domain::entities::Time;

/// A `yyyyMMdd` + 20-digit number from `random` (the shape of `withhold_plan_no`).
pub fn dated_no(at: &Time, random: u128) -> String {
    format!("{}{:020}", at.format("%Y%m%d"), random % 10u128.pow(20))
}

/// A fresh `refund_opt_no` for a refund accepted at business time `at`.
pub fn refund_opt_no(at: &Time) -> String {
    dated_no(at, uuid::Uuid::new_v4().as_u128())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::time::parse_alipay_datetime;

    #[test]
    fn dated_numbers_are_the_date_then_twenty_digits() {
        let at = parse_alipay_datetime("2024-06-01 00:30:00").unwrap();
        assert_eq!(dated_no(&at, 42), "2024060100000000000000000042");
        let n = refund_opt_no(&at);
        assert_eq!(n.len(), 28);
        assert!(n.starts_with("20240601") && n.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(n, refund_opt_no(&at));
    }
}
