//! Notifications to merchants (PRODUCT §12): which notification a change emits, to whom, what
//! it says, and what happens after each delivery attempt. Pure: storage writes the outbox row
//! in the change's transaction, the delivery worker (`crate::notify`) posts it.
//!
//! Topic names (`notify_type`) and payloads are **ours** (Alipay publishes none for Zhima GO);
//! the README lists each with an example.

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Map, Value};
use zhima_proto::money::Fen;
use zhima_proto::time::format_alipay_datetime;

use crate::domain::entities::{Agreement, AgreementQuit, Time};
use crate::domain::settle::Settlement;
use crate::domain::settle_refund::SettlementRefund;
use crate::domain::settle_unfreeze::Unfreeze;
use crate::domain::sign::SignedAgreement;

/// Alipay's published retry schedule after a failed attempt: 4m, 10m, 10m, 1h, 2h, 6h, 15h
/// (business time). After the last retry fails the notification is `FAILED`.
pub const RETRY_SCHEDULE_SECS: [i64; 7] = [240, 600, 600, 3600, 7200, 21600, 54000];

/// Attempts in all: the first plus one per retry.
pub const MAX_ATTEMPTS: i64 = RETRY_SCHEDULE_SECS.len() as i64 + 1;

/// The event a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyType {
    /// A preorder was signed into an agreement (`Y`).
    AgreementSigned,
    /// The merchant unsigned an agreement (`Y` → `P`, with a `withhold_plan_no`).
    AgreementUnsigned,
    /// An agreement expired (`Y` → `P`, with the `withhold_plan_no` settlement needs).
    AgreementExpired,
    /// `settle.apply` succeeded (`N`).
    SettleSucceeded,
    /// `settle.refund` refunded part of a settlement.
    SettleRefunded,
    /// `settle.unfreeze` released part of the frozen amount.
    UnfreezeDone,
}

impl NotifyType {
    /// Every type, in README order.
    pub const ALL: [NotifyType; 6] = [
        NotifyType::AgreementSigned,
        NotifyType::AgreementUnsigned,
        NotifyType::AgreementExpired,
        NotifyType::SettleSucceeded,
        NotifyType::SettleRefunded,
        NotifyType::UnfreezeDone,
    ];

    /// The `notify_type` value (in the style of Alipay's `dut_user_sign`).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyType::AgreementSigned => "zmgo_agreement_sign",
            NotifyType::AgreementUnsigned => "zmgo_agreement_unsign",
            NotifyType::AgreementExpired => "zmgo_agreement_expire",
            NotifyType::SettleSucceeded => "zmgo_settle_success",
            NotifyType::SettleRefunded => "zmgo_settle_refund",
            NotifyType::UnfreezeDone => "zmgo_settle_unfreeze",
        }
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotifyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NotifyType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown notify_type {s:?}"))
    }
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The merchant answered `success`.
    Delivered,
    /// Every attempt failed, or the target may not be contacted; redeliverable.
    Failed,
}

impl NotifyStatus {
    /// The stored and shown spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyStatus::Pending => "PENDING",
            NotifyStatus::Delivered => "DELIVERED",
            NotifyStatus::Failed => "FAILED",
        }
    }
}

impl FromStr for NotifyStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "PENDING" => Ok(NotifyStatus::Pending),
            "DELIVERED" => Ok(NotifyStatus::Delivered),
            "FAILED" => Ok(NotifyStatus::Failed),
            other => Err(format!(
                "unknown notification status {other:?} (PENDING, DELIVERED or FAILED)"
            )),
        }
    }
}

/// A change worth telling the merchant about, before routing.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub notify_type: NotifyType,
    /// The agreement it happened to (notifications are ordered per agreement).
    pub agreement_no: String,
    /// The merchant.
    pub partner_id: String,
    /// The `biz_content` JSON object.
    pub biz_content: Value,
}

fn time(t: &Time) -> Value {
    json!(format_alipay_datetime(t))
}

fn amount(f: Fen) -> Value {
    json!(f.to_yuan_string())
}

fn user_fields(m: &mut Map<String, Value>, a: &Agreement) {
    if let Some(u) = &a.user_id {
        m.insert("user_id".into(), json!(u));
    }
    if let Some(o) = &a.open_id {
        m.insert("open_id".into(), json!(o));
    }
}

/// `zmgo_agreement_sign`.
pub fn signed(s: &SignedAgreement) -> Event {
    let a = &s.agreement;
    let mut m = Map::new();
    m.insert("agreement_id".into(), json!(a.agreement_no));
    m.insert("partner_id".into(), json!(a.partner_id));
    m.insert("template_id".into(), json!(a.template_no));
    m.insert("out_request_no".into(), json!(s.out_request_no));
    user_fields(&mut m, a);
    m.insert("agreement_status".into(), json!(a.status.as_str()));
    m.insert("sign_time".into(), time(&s.sign_time));
    m.insert("start_time".into(), time(&a.start_time));
    m.insert("exp_invalid_time".into(), time(&a.end_time));
    m.insert("freeze_amount".into(), amount(s.freeze_amount));
    Event {
        notify_type: NotifyType::AgreementSigned,
        agreement_no: a.agreement_no.clone(),
        partner_id: a.partner_id.clone(),
        biz_content: Value::Object(m),
    }
}

/// `zmgo_agreement_unsign` or `zmgo_agreement_expire`: the agreement left `Y` with `quit`
/// (`quit_type` `EXPIRE_QUIT` means expiry).
pub fn quit(a: &Agreement, quit: &AgreementQuit) -> Event {
    let notify_type = if quit.quit_type == crate::domain::expiry::EXPIRE_QUIT {
        NotifyType::AgreementExpired
    } else {
        NotifyType::AgreementUnsigned
    };
    let mut m = Map::new();
    m.insert("agreement_id".into(), json!(a.agreement_no));
    m.insert("partner_id".into(), json!(a.partner_id));
    m.insert("template_id".into(), json!(a.template_no));
    user_fields(&mut m, a);
    m.insert("agreement_status".into(), json!("P"));
    m.insert("withhold_plan_no".into(), json!(quit.withhold_plan_no));
    m.insert("quit_type".into(), json!(quit.quit_type));
    m.insert("quit_time".into(), time(&quit.quit_time));
    Event {
        notify_type,
        agreement_no: a.agreement_no.clone(),
        partner_id: a.partner_id.clone(),
        biz_content: Value::Object(m),
    }
}

/// `zmgo_settle_success`.
pub fn settled(s: &Settlement) -> Event {
    Event {
        notify_type: NotifyType::SettleSucceeded,
        agreement_no: s.agreement_no.clone(),
        partner_id: s.partner_id.clone(),
        biz_content: json!({
            "agreement_id": s.agreement_no,
            "partner_id": s.partner_id,
            "out_request_no": s.out_request_no,
            "withhold_plan_no": s.withhold_plan_no,
            "pay_amount": amount(s.pay_amount),
            "agreement_status": "N",
            "settle_time": time(&s.settled_at),
        }),
    }
}

/// `zmgo_settle_refund`.
pub fn refunded(r: &SettlementRefund) -> Event {
    Event {
        notify_type: NotifyType::SettleRefunded,
        agreement_no: r.agreement_no.clone(),
        partner_id: r.partner_id.clone(),
        biz_content: json!({
            "agreement_id": r.agreement_no,
            "partner_id": r.partner_id,
            "out_request_no": r.out_request_no,
            "withhold_plan_no": r.withhold_plan_no,
            "refund_opt_no": r.refund_opt_no,
            "refund_amount": amount(r.refund_amount),
            "refund_time": time(&r.created_at),
        }),
    }
}

/// `zmgo_settle_unfreeze`.
pub fn unfrozen(u: &Unfreeze) -> Event {
    Event {
        notify_type: NotifyType::UnfreezeDone,
        agreement_no: u.agreement_no.clone(),
        partner_id: u.partner_id.clone(),
        biz_content: json!({
            "agreement_id": u.agreement_no,
            "partner_id": u.partner_id,
            "out_request_no": u.out_request_no,
            "unfreeze_amount": amount(u.unfreeze_amount),
            "unfreeze_time": time(&u.created_at),
        }),
    }
}

/// An outbox row to write in the change's transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// `notify_id`: the same on every attempt.
    pub notify_id: String,
    /// What happened.
    pub notify_type: NotifyType,
    /// The app notified (its `app_id` is a signed parameter).
    pub app_id: String,
    /// The merchant.
    pub partner_id: String,
    /// The agreement (order key).
    pub agreement_no: String,
    /// Where to post it.
    pub notify_url: String,
    /// The URL came from the request's `notify_url` (so only allowed hosts may be contacted).
    pub url_from_request: bool,
    /// The JSON text of `biz_content`.
    pub biz_content: String,
    /// Business time of the change; the first attempt is due then.
    pub created: Time,
}

/// Routes `event` to `app_id`: the request's `notify_url` for events that request caused,
/// else the app's configured one; `None` (no row) when there is neither.
pub fn route(
    event: Event,
    app_id: &str,
    request_url: Option<&str>,
    app_url: Option<&str>,
    now: &Time,
    notify_id: String,
) -> Option<NewNotification> {
    let request_url = request_url.map(str::trim).filter(|u| !u.is_empty());
    let app_url = app_url.map(str::trim).filter(|u| !u.is_empty());
    let (notify_url, url_from_request) = match (request_url, app_url) {
        (Some(u), _) => (u.to_owned(), true),
        (None, Some(u)) => (u.to_owned(), false),
        (None, None) => return None,
    };
    Some(NewNotification {
        notify_id,
        notify_type: event.notify_type,
        app_id: app_id.to_owned(),
        partner_id: event.partner_id,
        agreement_no: event.agreement_no,
        notify_url,
        url_from_request,
        biz_content: event.biz_content.to_string(),
        created: *now,
    })
}

/// A fresh `notify_id` (32 hex digits).
pub fn new_notify_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The merchant answered `success`.
    Success,
    /// Anything else (another body, an HTTP error, a timeout, a refused connection): retried.
    Retry(String),
    /// The target may never be contacted (a scheme or host not allowed): `FAILED` at once.
    Refused(String),
}

/// What to store after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptUpdate {
    /// The new status.
    pub status: NotifyStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due (business time), for `PENDING`.
    pub next_attempt: Option<Time>,
    /// The failure, if any.
    pub error: Option<String>,
}

/// The schedule after attempt number `attempts_before + 1` ended with `outcome` at business
/// time `now`: retry `RETRY_SCHEDULE_SECS[n-1]` after the n-th failed attempt; `FAILED` after
/// the last; a refused target is `FAILED` without counting an attempt.
pub fn after_attempt(attempts_before: i64, outcome: &AttemptOutcome, now: &Time) -> AttemptUpdate {
    match outcome {
        AttemptOutcome::Success => AttemptUpdate {
            status: NotifyStatus::Delivered,
            attempts: attempts_before + 1,
            next_attempt: None,
            error: None,
        },
        AttemptOutcome::Refused(e) => AttemptUpdate {
            status: NotifyStatus::Failed,
            attempts: attempts_before,
            next_attempt: None,
            error: Some(e.clone()),
        },
        AttemptOutcome::Retry(e) => {
            let attempts = attempts_before + 1;
            let wait = usize::try_from(attempts - 1)
                .ok()
                .and_then(|i| RETRY_SCHEDULE_SECS.get(i));
            match wait {
                Some(&secs) => AttemptUpdate {
                    status: NotifyStatus::Pending,
                    attempts,
                    next_attempt: Some(*now + chrono::Duration::seconds(secs)),
                    error: Some(e.clone()),
                },
                None => AttemptUpdate {
                    status: NotifyStatus::Failed,
                    attempts,
                    next_attempt: None,
                    error: Some(e.clone()),
                },
            }
        }
    }
}

/// A stored notification, as the worker and the admin API see it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotification {
    /// Insertion order.
    pub seq: i64,
    /// The row as written.
    pub row: NewNotification,
    /// Where it stands.
    pub status: NotifyStatus,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (business time).
    pub next_attempt: Time,
    /// The last attempt (business time).
    pub last_attempt: Option<Time>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the merchant answered `success` (business time).
    pub delivered: Option<Time>,
}

/// Filters of the admin list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    /// Only this status.
    pub status: Option<NotifyStatus>,
    /// Only this agreement's.
    pub agreement_no: Option<String>,
    /// Only this app's.
    pub app_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::time::parse_alipay_datetime;

    fn t(s: &str) -> Time {
        parse_alipay_datetime(s).unwrap()
    }

    #[test]
    fn retries_follow_the_published_schedule_then_fail() {
        let now = t("2026-01-01 00:00:00");
        let e = AttemptOutcome::Retry("HTTP 500".into());
        let waits: Vec<i64> = (0..7)
            .map(|n| {
                let u = after_attempt(n, &e, &now);
                assert_eq!(u.status, NotifyStatus::Pending);
                assert_eq!(u.attempts, n + 1);
                (u.next_attempt.unwrap() - now).num_seconds()
            })
            .collect();
        assert_eq!(waits, [240, 600, 600, 3600, 7200, 21600, 54000]);
        let last = after_attempt(7, &e, &now);
        assert_eq!(last.status, NotifyStatus::Failed);
        assert_eq!(last.attempts, 8);
        let ok = after_attempt(2, &AttemptOutcome::Success, &now);
        assert_eq!((ok.status, ok.attempts), (NotifyStatus::Delivered, 3));
        let refused = after_attempt(0, &AttemptOutcome::Refused("host not allowed".into()), &now);
        assert_eq!(
            (refused.status, refused.attempts),
            (NotifyStatus::Failed, 0)
        );
    }

    #[test]
    fn the_request_url_wins_and_no_url_means_no_row() {
        let now = t("2026-01-01 00:00:00");
        let ev = || Event {
            notify_type: NotifyType::SettleSucceeded,
            agreement_no: "A".into(),
            partner_id: "P".into(),
            biz_content: json!({}),
        };
        let r = route(
            ev(),
            "app",
            Some("http://x/n"),
            Some("http://y/n"),
            &now,
            "id".into(),
        )
        .unwrap();
        assert_eq!(
            (r.notify_url.as_str(), r.url_from_request),
            ("http://x/n", true)
        );
        let r = route(
            ev(),
            "app",
            Some(" "),
            Some("http://y/n"),
            &now,
            "id".into(),
        )
        .unwrap();
        assert_eq!(
            (r.notify_url.as_str(), r.url_from_request),
            ("http://y/n", false)
        );
        assert!(route(ev(), "app", None, None, &now, "id".into()).is_none());
    }

    #[test]
    fn type_names_round_trip() {
        for ty in NotifyType::ALL {
            assert_eq!(ty.as_str().parse::<NotifyType>().unwrap(), ty);
        }
    }
}
