//! `zhima.credit.pe.zmgo.bizopt.close` (PRODUCT §11): the merchant closes a preorder it no
//! longer wants signed, by its `out_request_no`.
//!
//! Order: `REQUEST_ACCESS_ILLEGAL`; the preorder exists under (`partner_id`, `out_request_no`)
//! and matches the `template_id` and user sent → `PREORDER_NOT_EXIST`; already closed → the
//! same answer again; signed → `PREORDER_STATUS_ILLEGAL`; waiting or expired → closed now
//! (**ours**: closing an expired preorder is accepted, it only makes the end explicit).

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::ZhimaCreditPeZmgoBizoptCloseResponse;
pub use zhima_proto::validate::ValidBizoptClose;

use crate::domain::entities::{Caller, Time};
use crate::domain::preorder::{check_access, Preorder, PreorderStatus};
use crate::error::Rejection;

/// The command.
pub type CloseCmd = ValidBizoptClose;

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseDecision {
    /// Already closed: its answer again.
    Replay(CloseReceipt),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Close `preorder_no` with `biz_opt_no` at `at`.
    Close(CloseReceipt, Time),
}

/// A closed preorder, as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReceipt {
    /// The preorder closed.
    pub preorder_no: String,
    /// `biz_opt_no`.
    pub biz_opt_no: String,
    /// Echo of the key.
    pub out_request_no: String,
    /// The merchant.
    pub partner_id: String,
    /// The preorder's user id.
    pub user_id: Option<String>,
    /// The preorder's open id.
    pub open_id: Option<String>,
}

impl CloseReceipt {
    fn of(p: &Preorder, biz_opt_no: String) -> Self {
        CloseReceipt {
            preorder_no: p.preorder_no.clone(),
            biz_opt_no,
            out_request_no: p.out_request_no.clone(),
            partner_id: p.partner_id.clone(),
            user_id: p.user.user_id.clone(),
            open_id: p.user.open_id.clone(),
        }
    }

    /// The wire success body.
    pub fn to_response(&self) -> ZhimaCreditPeZmgoBizoptCloseResponse {
        ZhimaCreditPeZmgoBizoptCloseResponse {
            biz_opt_no: Some(self.biz_opt_no.clone()),
            open_id: self.open_id.clone(),
            out_request_no: Some(self.out_request_no.clone()),
            partner_id: Some(self.partner_id.clone()),
            user_id: self.user_id.clone(),
        }
    }
}

/// The closing rules over the preorder stored under the key; `biz_opt_no` is the number a
/// closing gets.
pub fn decide(
    cmd: &CloseCmd,
    caller: &Caller,
    preorder: Option<&Preorder>,
    biz_opt_no: String,
) -> CloseDecision {
    if let Err(r) = check_access(&cmd.partner_id, caller) {
        return CloseDecision::Reject(r);
    }
    let found = preorder.filter(|p| {
        p.partner_id == cmd.partner_id
            && p.is_for(&cmd.user)
            && cmd.template_id.as_ref().is_none_or(|t| *t == p.template_no)
    });
    let Some(p) = found else {
        return CloseDecision::Reject(Rejection::new(
            CumulationCode::PreorderNotExist,
            format_args!("out_request_no为{}的预下单不存在", cmd.out_request_no),
        ));
    };
    match p.status_at(&caller.business_now) {
        PreorderStatus::Closed => CloseDecision::Replay(CloseReceipt::of(
            p,
            p.biz_opt_no.clone().unwrap_or_default(),
        )),
        PreorderStatus::Signed => CloseDecision::Reject(Rejection::new(
            CumulationCode::PreorderStatusIllegal,
            format_args!("预下单{}已签约，不能关闭", p.preorder_no),
        )),
        PreorderStatus::WaitSign | PreorderStatus::Expired => {
            CloseDecision::Close(CloseReceipt::of(p, biz_opt_no), caller.business_now)
        }
    }
}
