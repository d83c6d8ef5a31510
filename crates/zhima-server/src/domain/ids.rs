//! Numbers the platform hands out (`template_no`, `preorder_no`, `agreement_id`, `withhold_plan_no`,
//! `refund_opt_no`): Alipay-looking
//! digit strings, the business date (UTC+8) followed by random digits, so they sort by day and
//! never collide in practice (the unique keys in storage catch the rest: a collision is a lost
//! race and the job runs again with a new number).

use crate::domain::entities::Time;

/// `yyyyMMdd` of `at` followed by `digits` digits of `random` (at most 30).
pub fn alipay_no(at: &Time, digits: u32, random: u128) -> String {
    let digits = digits.min(30);
    let width = digits as usize;
    format!(
        "{}{:0width$}",
        at.format("%Y%m%d"),
        random % 10u128.pow(digits)
    )
}

/// A fresh random value for [`alipay_no`].
pub fn random() -> u128 {
    uuid::Uuid::new_v4().as_u128()
}

/// A new `template_no` (28 digits, like Alipay's).
pub fn template_no(at: &Time) -> String {
    alipay_no(at, 20, random())
}

/// A new `preorder_no` (28 digits).
pub fn preorder_no(at: &Time) -> String {
    alipay_no(at, 20, random())
}

/// A new `refund_opt_no` (28 digits).
pub fn refund_opt_no(at: &Time) -> String {
    alipay_no(at, 20, random())
}

/// A new `agreement_id` (24 digits).
pub fn agreement_no(at: &Time) -> String {
    alipay_no(at, 16, random())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::time::parse_alipay_datetime;

    #[test]
    fn numbers_start_with_the_business_date_and_keep_their_width() {
        let at = parse_alipay_datetime("2024-06-01 23:59:59").unwrap();
        assert_eq!(alipay_no(&at, 6, 42), "20240601000042");
        assert_eq!(alipay_no(&at, 4, 123_456), "202406013456");
        assert_eq!(template_no(&at).len(), 28);
        assert_eq!(agreement_no(&at).len(), 24);
        assert_ne!(preorder_no(&at), preorder_no(&at));
        assert_eq!(refund_opt_no(&at).len(), 28);
    }
}
