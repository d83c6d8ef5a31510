//! The sign.apply signing page (PRODUCT §11, §13): what the page shows, and the one-time
//! consent token its 同意 form carries.
//!
//! Rendering the page is a display check ([`subject`]): the preorder or template it names must
//! exist for the merchant and be signable now (a template only with an `out_request_no`, which
//! keys the preorder created at consent). The binding decision is taken again when the
//! form comes back, inside the write transaction that signs (the signing rules' own home).
//! The token is a bearer secret: only its SHA-256 is stored ([`token_hash`]); it expires on
//! the real clock ([`CONSENT_TTL_MS`]) and is used at most once ([`decide_use`]).

use serde::Deserialize;
use sha2::{Digest, Sha256};
use zhima_proto::catalog::CumulationCode;
use zhima_proto::money::Fen;
use zhima_proto::validate::ValidSignApply;

use super::entities::{Caller, Time};
use crate::error::Rejection;

/// How long a rendered page's 同意 button stays usable (real time).
pub const CONSENT_TTL_MS: i64 = 10 * 60 * 1000;

/// Days an agreement runs when the template names no period **\[ours\]** (PRODUCT §11).
pub const DEFAULT_PERIOD_DAYS: i64 = 30;

/// The SHA-256 (hex) under which a consent token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A rendered page's consent, as stored (`sign_consents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignConsent {
    /// SHA-256 of the token the form carries.
    pub token_hash: String,
    /// The app whose signed request rendered the page.
    pub app_id: String,
    /// The merchant the request acted for.
    pub partner_id: String,
    /// JSON of the validated sign.apply request ([`ValidSignApply`]).
    pub request: String,
    /// Where the browser goes after signing (http/https only).
    pub return_url: Option<String>,
    /// Real-time expiry, epoch ms.
    pub expires_ms: i64,
    /// When the token was used, epoch ms.
    pub used_ms: Option<i64>,
}

/// Why a consent token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentRefusal {
    /// No such token (never issued, or forged).
    Unknown,
    /// Already used: the first submit signed; a second never signs again.
    Used,
    /// Issued more than [`CONSENT_TTL_MS`] ago.
    Expired,
}

/// Whether the stored consent may be used at real time `now_ms`.
pub fn decide_use(consent: Option<&SignConsent>, now_ms: i64) -> Result<(), ConsentRefusal> {
    let c = consent.ok_or(ConsentRefusal::Unknown)?;
    if c.used_ms.is_some() {
        return Err(ConsentRefusal::Used);
    }
    if now_ms >= c.expires_ms {
        return Err(ConsentRefusal::Expired);
    }
    Ok(())
}

/// A preorder, as the page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreorderView {
    /// `preorder_no`.
    pub preorder_no: String,
    /// The merchant that created it.
    pub partner_id: String,
    /// Its template.
    pub template_no: String,
    /// `WAIT_SIGN`, `SIGNED`, `CLOSED` or `EXPIRED`.
    pub status: String,
    /// Business-time expiry, epoch ms.
    pub expires_ms: i64,
    /// `freeze_amount` of the preorder, if given.
    pub freeze_amount: Option<Fen>,
}

/// A template, as the page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateView {
    /// `template_no`.
    pub template_no: String,
    /// The merchant that created it; `None` for a configured template (serves everyone).
    pub owner: Option<String>,
    /// The config blocks as sent to template.create (JSON), if created through the API.
    pub blocks: Option<String>,
    /// `open_config.freeze_amount` (0 when none).
    pub freeze_amount: Fen,
    /// Obligation: tasks within the period.
    pub obligation_times: Option<i64>,
    /// Obligation: amount within the period.
    pub obligation_amount: Option<Fen>,
    /// Period in days (configured templates).
    pub period_days: Option<i64>,
    /// `open_config.period_mode` as sent.
    pub period_mode: Option<String>,
    /// `open_config.period_time` as sent.
    pub period_time: Option<String>,
}

/// What the signing page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignSubject {
    /// The template signed under.
    pub template_no: String,
    /// The template's name (`basic_config.template_name`), else a generic title.
    pub name: String,
    /// Benefit (`right_config.custom_benefit_desc`), if any.
    pub benefit: Option<String>,
    /// Sub-benefit (`right_config.custom_sub_benefit_desc`), if any.
    pub sub_benefit: Option<String>,
    /// The obligation in words (e.g. "完成3次任务"), if any.
    pub obligation: Option<String>,
    /// The period in words.
    pub period: String,
    /// Amount frozen on signing.
    pub freeze_amount: Fen,
    /// The merchant.
    pub partner_id: String,
}

/// The subset of the template blocks the page reads (names as the official models spell them).
#[derive(Debug, Default, Deserialize)]
struct Blocks {
    #[serde(default)]
    basic_config: Option<Basic>,
    #[serde(default)]
    right_config: Option<Right>,
    #[serde(default)]
    open_config: Option<Open>,
    #[serde(default)]
    obligation_config: Option<Obligation>,
}

#[derive(Debug, Default, Deserialize)]
struct Basic {
    template_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Right {
    custom_benefit_desc: Option<String>,
    custom_sub_benefit_desc: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Open {
    appoint_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Obligation {
    promise_type_desc: Option<String>,
}

/// The page's subject: rule order as the API's (access, then the object), so another
/// merchant's preorder or template reads exactly like a missing one.
pub fn subject(
    cmd: &ValidSignApply,
    caller: &Caller,
    preorder: Option<&PreorderView>,
    template: Option<&TemplateView>,
) -> Result<SignSubject, Rejection> {
    if cmd.partner_id != caller.partner_id {
        return Err(Rejection::new(
            CumulationCode::RequestAccessIllegal,
            format_args!(
                "应用{}代表商户{}调用，不能为商户{}签约",
                caller.app_id, caller.partner_id, cmd.partner_id
            ),
        ));
    }
    if cmd.preorder_no.is_none() && cmd.out_request_no.is_none() {
        return Err(missing_out_request_no());
    }
    let mut freeze = cmd.freeze_amount;
    if let Some(no) = &cmd.preorder_no {
        let p = preorder
            .filter(|p| p.partner_id == cmd.partner_id)
            .ok_or_else(|| {
                Rejection::new(CumulationCode::PreorderNotExist, format_args!("{no}"))
            })?;
        let now_ms = caller.business_now.timestamp_millis();
        if p.status != "WAIT_SIGN" || now_ms >= p.expires_ms {
            return Err(Rejection::new(
                CumulationCode::PreorderStatusIllegal,
                format_args!("预下单{no}不是待签约状态"),
            ));
        }
        freeze = freeze.or(p.freeze_amount);
    }
    let t = template
        .filter(|t| t.owner.as_deref().is_none_or(|o| o == cmd.partner_id))
        .ok_or_else(|| {
            let no = cmd.template_id.as_deref().unwrap_or_default();
            Rejection::new(CumulationCode::TemplateNotExist, format_args!("{no}"))
        })?;
    let blocks: Blocks = t
        .blocks
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    let right = blocks.right_config.unwrap_or_default();
    let name = blocks
        .basic_config
        .and_then(|b| b.template_name)
        .unwrap_or_else(|| "芝麻GO".to_owned());
    let open = blocks.open_config.unwrap_or_default();
    let period = period_text(t, open.appoint_date.as_deref());
    let promise = blocks.obligation_config.and_then(|o| o.promise_type_desc);
    Ok(SignSubject {
        template_no: t.template_no.clone(),
        name,
        benefit: right.custom_benefit_desc,
        sub_benefit: right.custom_sub_benefit_desc,
        obligation: promise.or_else(|| obligation_text(t)),
        period,
        freeze_amount: freeze.unwrap_or(t.freeze_amount),
        partner_id: cmd.partner_id.clone(),
    })
}

/// Signing a template directly creates a preorder, keyed like preorder.create on
/// (`partner_id`, `out_request_no`): without one there is nothing to key it on **\[ours\]**.
pub fn missing_out_request_no() -> Rejection {
    Rejection::new(
        CumulationCode::RequestParamIllegal,
        "未传preorder_no时out_request_no不能为空",
    )
}

fn obligation_text(t: &TemplateView) -> Option<String> {
    match (t.obligation_times, t.obligation_amount) {
        (Some(n), Some(a)) => Some(format!("完成{n}次任务，且累计消费满¥{a}")),
        (Some(n), None) => Some(format!("完成{n}次任务")),
        (None, Some(a)) => Some(format!("累计消费满¥{a}")),
        (None, None) => None,
    }
}

/// The period as the official `period_mode` values describe it.
fn period_text(t: &TemplateView, appoint_date: Option<&str>) -> String {
    let time = t.period_time.as_deref().unwrap_or_default();
    match (t.period_mode.as_deref(), appoint_date) {
        (Some("RELATIVE_DATE" | "ABSOLATE_DATE" | "ABSOLUTE_PLUS_1_DATE"), _)
            if !time.is_empty() =>
        {
            format!("{time}天")
        }
        (Some("FIX_DATE"), _) if !time.is_empty() => format!("{time}个月"),
        (Some("APPOINT_DATE"), Some(date)) => format!("至{date}"),
        _ => format!("{}天", t.period_days.unwrap_or(DEFAULT_PERIOD_DAYS)),
    }
}

/// `now` as epoch ms (consent expiry is real time).
pub fn ms(t: &Time) -> i64 {
    t.timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(used: Option<i64>) -> SignConsent {
        SignConsent {
            token_hash: token_hash("t"),
            app_id: "a".into(),
            partner_id: "p".into(),
            request: "{}".into(),
            return_url: None,
            expires_ms: 1_000,
            used_ms: used,
        }
    }

    #[test]
    fn a_token_is_used_once_and_only_before_it_expires() {
        assert_eq!(decide_use(None, 0), Err(ConsentRefusal::Unknown));
        assert_eq!(decide_use(Some(&consent(None)), 999), Ok(()));
        assert_eq!(
            decide_use(Some(&consent(None)), 1_000),
            Err(ConsentRefusal::Expired)
        );
        assert_eq!(
            decide_use(Some(&consent(Some(5))), 10),
            Err(ConsentRefusal::Used)
        );
        assert_eq!(token_hash("t").len(), 64);
        assert_ne!(token_hash("t"), token_hash("u"));
    }

    fn template(owner: Option<&str>, blocks: Option<&str>) -> TemplateView {
        TemplateView {
            template_no: "T1".into(),
            owner: owner.map(Into::into),
            blocks: blocks.map(Into::into),
            freeze_amount: Fen(500),
            obligation_times: Some(3),
            obligation_amount: None,
            period_days: None,
            period_mode: Some("FIX_DATE".into()),
            period_time: Some("3".into()),
        }
    }

    fn cmd(json: &str) -> ValidSignApply {
        let m: zhima_proto::models::ZhimaCreditPeZmgoSignApplyModel =
            zhima_proto::models::from_json(json).unwrap();
        zhima_proto::validate::validate_sign_apply(&m).unwrap()
    }

    fn caller() -> Caller {
        let now = zhima_proto::time::parse_alipay_datetime("2026-01-01 00:00:00").unwrap();
        Caller {
            app_id: "app".into(),
            partner_id: "P1".into(),
            now,
            business_now: now,
            notify_url: None,
        }
    }

    #[test]
    fn the_subject_reads_the_blocks_and_hides_other_merchants() {
        let blocks = r#"{"basic_config":{"template_name":"<script>x</script>"},
            "right_config":{"custom_benefit_desc":"每单减5元"}}"#;
        let t = template(Some("P1"), Some(blocks));
        let s = subject(
            &cmd(r#"{"partner_id":"P1","template_id":"T1","out_request_no":"O"}"#),
            &caller(),
            None,
            Some(&t),
        )
        .unwrap();
        assert_eq!(s.name, "<script>x</script>");
        assert_eq!(s.benefit.as_deref(), Some("每单减5元"));
        assert_eq!(s.obligation.as_deref(), Some("完成3次任务"));
        assert_eq!(s.period, "3个月");
        assert_eq!(s.freeze_amount, Fen(500));
        let foreign = template(Some("P2"), Some(blocks));
        let e = subject(
            &cmd(r#"{"partner_id":"P1","template_id":"T1","out_request_no":"O"}"#),
            &caller(),
            None,
            Some(&foreign),
        )
        .unwrap_err();
        let missing = subject(
            &cmd(r#"{"partner_id":"P1","template_id":"T1","out_request_no":"O"}"#),
            &caller(),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e, missing);
        assert_eq!(e.code.as_str(), "TEMPLATE_NOT_EXIST");
    }

    #[test]
    fn only_a_waiting_unexpired_preorder_of_the_merchant_is_shown() {
        let t = template(None, None);
        let now_ms = caller().business_now.timestamp_millis();
        let p = |partner: &str, status: &str, expires_ms: i64| PreorderView {
            preorder_no: "PO".into(),
            partner_id: partner.into(),
            template_no: "T1".into(),
            status: status.into(),
            expires_ms,
            freeze_amount: Some(Fen(700)),
        };
        let c = cmd(r#"{"partner_id":"P1","preorder_no":"PO"}"#);
        let ok = subject(
            &c,
            &caller(),
            Some(&p("P1", "WAIT_SIGN", now_ms + 1)),
            Some(&t),
        )
        .unwrap();
        assert_eq!(ok.freeze_amount, Fen(700));
        assert_eq!(ok.name, "芝麻GO");
        let code = |pre: PreorderView| {
            subject(&c, &caller(), Some(&pre), Some(&t))
                .unwrap_err()
                .code
                .as_str()
        };
        assert_eq!(code(p("P2", "WAIT_SIGN", now_ms + 1)), "PREORDER_NOT_EXIST");
        assert_eq!(
            code(p("P1", "SIGNED", now_ms + 1)),
            "PREORDER_STATUS_ILLEGAL"
        );
        assert_eq!(
            code(p("P1", "WAIT_SIGN", now_ms)),
            "PREORDER_STATUS_ILLEGAL"
        );
    }
}
