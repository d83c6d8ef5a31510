//! `zhima.credit.pe.zmgo.agreement.unsign` (PRODUCT §11): the merchant ends an agreement
//! early; it leaves `Y` for `P` with a new `withhold_plan_no` — the same move (and the same
//! write, `record_quit`) as expiry, only the `quit_type` differs.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL`; the agreement exists, is the partner's and (when sent) the
//! user's → `EASY_MEMBER_CONSULT_FAIL` (as `settle.apply`); `Y` → quit now; `P` by the same
//! `quit_type` → the same answer again; otherwise (`N`, or `P` by expiry or another quit type)
//! → `AGREEMENT_STATUS_ILLEGAL` (**ours**), whose sub_msg names the status and, for `P`, its
//! `withhold_plan_no`.

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::ZhimaCreditPeZmgoAgreementUnsignResponse;
pub use zhima_proto::validate::ValidAgreementUnsign;

use crate::domain::entities::{Agreement, AgreementQuit, AgreementStatus, Caller};
use crate::domain::expiry;
use crate::domain::preorder::check_access;
use crate::error::Rejection;

/// The command.
pub type UnsignCmd = ValidAgreementUnsign;

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsignDecision {
    /// Unsigned before by the same request: its answer again.
    Replay(UnsignReceipt),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Record the quit (`Y` → `P`).
    Quit(UnsignReceipt, AgreementQuit),
}

/// An unsigned agreement, as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignReceipt {
    /// The agreement.
    pub agreement_no: String,
    /// The plan `settle.apply` must now name.
    pub withhold_plan_no: String,
}

impl UnsignReceipt {
    /// The wire success body.
    pub fn to_response(&self) -> ZhimaCreditPeZmgoAgreementUnsignResponse {
        ZhimaCreditPeZmgoAgreementUnsignResponse {
            agreement_id: Some(self.agreement_no.clone()),
            withhold_plan_no: Some(self.withhold_plan_no.clone()),
        }
    }
}

/// The unsign rules over the (locked) agreement; `random` seeds a new `withhold_plan_no`.
pub fn decide(
    cmd: &UnsignCmd,
    caller: &Caller,
    agreement: Option<&Agreement>,
    random: u128,
) -> UnsignDecision {
    if let Err(r) = check_access(&cmd.partner_id, caller) {
        return UnsignDecision::Reject(r);
    }
    let user = &cmd.user;
    let found = agreement.filter(|a| {
        a.partner_id == cmd.partner_id
            && (user.is_empty() || a.belongs_to(user.user_id.as_deref(), user.open_id.as_deref()))
    });
    let Some(a) = found else {
        return UnsignDecision::Reject(Rejection::new(
            CumulationCode::EasyMemberConsultFail,
            format_args!("商户{}的协议{}不存在", cmd.partner_id, cmd.agreement_id),
        ));
    };
    let quit_type = cmd.quit_type.as_str();
    let illegal = |detail: String| {
        UnsignDecision::Reject(Rejection::new(
            CumulationCode::AgreementStatusIllegal,
            detail,
        ))
    };
    match (&a.status, &a.quit) {
        (AgreementStatus::Valid, _) => {
            let now = caller.business_now;
            let quit = AgreementQuit {
                withhold_plan_no: expiry::withhold_plan_no(&now, random),
                quit_type: quit_type.to_owned(),
                quit_time: now,
            };
            UnsignDecision::Quit(
                UnsignReceipt {
                    agreement_no: a.agreement_no.clone(),
                    withhold_plan_no: quit.withhold_plan_no.clone(),
                },
                quit,
            )
        }
        (AgreementStatus::Invalidating, Some(q)) if q.quit_type == quit_type => {
            UnsignDecision::Replay(UnsignReceipt {
                agreement_no: a.agreement_no.clone(),
                withhold_plan_no: q.withhold_plan_no.clone(),
            })
        }
        (AgreementStatus::Invalidating, Some(q)) => illegal(format!(
            "协议{}已因{}解约(P)，withhold_plan_no为{}",
            a.agreement_no, q.quit_type, q.withhold_plan_no
        )),
        (status, _) => illegal(format!(
            "协议{}状态为{}，不能解约",
            a.agreement_no,
            status.as_str()
        )),
    }
}
