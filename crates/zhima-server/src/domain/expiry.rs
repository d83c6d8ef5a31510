//! Agreement expiry (PRODUCT §11): when business time passes an agreement's end, a `Y`
//! agreement moves to `P` and gets the `withhold_plan_no` that `settle.apply` must then name.
//! Pure: the storage layer loads the due agreements, [`decide`] says what to write, and the
//! write is conditional on the agreement still being `Y`, so it happens exactly once.

use crate::domain::entities::{Agreement, AgreementQuit, AgreementStatus, Time};

/// `quit_type` of an agreement that ended because its period ran out **\[ours\]**: Alipay
/// documents `USER_CANCEL_QUIT` and `SETTLE_APPLY_QUIT` for unsign, nothing for expiry.
pub const EXPIRE_QUIT: &str = "EXPIRE_QUIT";

/// Due agreements handled per write transaction by the sweep.
pub const SWEEP_BATCH: i64 = 500;

/// One agreement leaving `Y` because its period ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// The agreement.
    pub agreement_no: String,
    /// Its new quit record (status becomes `P`).
    pub quit: AgreementQuit,
}

/// Whether `agreement` has expired at business time `now` (end inclusive).
pub fn is_due(agreement: &Agreement, now: &Time) -> bool {
    agreement.status == AgreementStatus::Valid && agreement.end_time <= *now
}

/// The expiries of `candidates` at business time `now`; `plan_no` names each new plan (the
/// database keeps plan numbers unique). The quit time is the agreement's end: the instant it
/// expired, however late the sweep ran.
pub fn decide(
    candidates: &[Agreement],
    now: &Time,
    mut plan_no: impl FnMut(&Agreement) -> String,
) -> Vec<Expiry> {
    candidates
        .iter()
        .filter(|a| is_due(a, now))
        .map(|a| Expiry {
            agreement_no: a.agreement_no.clone(),
            quit: AgreementQuit {
                withhold_plan_no: plan_no(a),
                quit_type: EXPIRE_QUIT.to_owned(),
                quit_time: a.end_time,
            },
        })
        .collect()
}

/// A `withhold_plan_no` **\[ours\]**: `yyyyMMdd` of `at` (UTC+8) and 20 digits of `random`
/// (28 digits, like Alipay's long numeric identifiers).
pub fn withhold_plan_no(at: &Time, random: u128) -> String {
    crate::domain::ids::alipay_no(at, 20, random)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::time::parse_alipay_datetime;

    fn agreement(no: &str, status: AgreementStatus, end: &str) -> Agreement {
        Agreement {
            agreement_no: no.into(),
            template_no: "T".into(),
            user_id: Some("2088000000000001".into()),
            open_id: None,
            partner_id: "2088000000000002".into(),
            status,
            start_time: parse_alipay_datetime("2026-01-01 00:00:00").unwrap(),
            end_time: parse_alipay_datetime(end).unwrap(),
            quit: None,
            app_id: None,
        }
    }

    #[test]
    fn only_valid_agreements_past_their_end_expire() {
        let now = parse_alipay_datetime("2026-02-01 00:00:00").unwrap();
        let list = [
            agreement("due", AgreementStatus::Valid, "2026-01-31 00:00:00"),
            agreement("exact", AgreementStatus::Valid, "2026-02-01 00:00:00"),
            agreement("later", AgreementStatus::Valid, "2026-02-01 00:00:01"),
            agreement("settled", AgreementStatus::Invalid, "2026-01-01 00:00:00"),
            agreement("quit", AgreementStatus::Invalidating, "2026-01-01 00:00:00"),
        ];
        let mut n = 0;
        let out = decide(&list, &now, |_| {
            n += 1;
            format!("plan{n}")
        });
        let names: Vec<_> = out.iter().map(|e| e.agreement_no.as_str()).collect();
        assert_eq!(names, ["due", "exact"]);
        assert_eq!(out[0].quit.quit_type, EXPIRE_QUIT);
        assert_eq!(out[0].quit.quit_time, list[0].end_time);
        assert_ne!(out[0].quit.withhold_plan_no, out[1].quit.withhold_plan_no);
    }

    #[test]
    fn plan_numbers_are_28_digits() {
        let at = parse_alipay_datetime("2026-02-01 00:00:00").unwrap();
        let no = withhold_plan_no(&at, u128::MAX);
        assert_eq!(no.len(), 28);
        assert!(no.starts_with("20260201"));
        assert!(no.bytes().all(|b| b.is_ascii_digit()));
    }
}
