//! Read-side rules: `cumulate.query` and `agreement.query` (PRODUCT §4 "Query").
//!
//! Storage loads the agreement and its totals row (never a SUM over events, so the cost does
//! not grow with history), plus one page of events when `need_detail`; the functions here
//! decide access and shape the answer.

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{
    CumulateDataDetail, ZhimaCreditPeZmgoAgreementQueryResponse,
    ZhimaMerchantZmgoCumulateQueryResponse,
};
use zhima_proto::money::Fen;
use zhima_proto::time::format_alipay_datetime;
pub use zhima_proto::validate::{AgreementSelector, ValidAgreementQuery, ValidCumulateQuery};

use crate::domain::entities::{Agreement, Caller};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::error::Rejection;

/// Default `page_size` (PRODUCT §4).
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Largest `page_size` (PRODUCT §4).
pub const MAX_PAGE_SIZE: i64 = 100;

/// A page request: `page_no` from 1, `page_size` 1..=100 (queries, consumer page, admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Page number, from 1.
    pub no: i64,
    /// Items per page.
    pub size: i64,
}

impl Page {
    /// Applies the defaults (1, 20) and bounds for callers outside the validated APIs (admin,
    /// consumer page); out-of-range values → `INVALID_PARAMETER`.
    pub fn new(page_no: Option<i64>, page_size: Option<i64>) -> Result<Page, Rejection> {
        let no = page_no.unwrap_or(1);
        let size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if no < 1 {
            return Err(Rejection::new(
                CumulationCode::InvalidParameter,
                format_args!("page_no取值不合法: {no}，应不小于1"),
            ));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(Rejection::new(
                CumulationCode::InvalidParameter,
                format_args!("page_size取值不合法: {size}，应在1到{MAX_PAGE_SIZE}之间"),
            ));
        }
        Ok(Page { no, size })
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.no - 1).saturating_mul(self.size)
    }
}

/// The `cumulate.query` command (zhima-proto `validate_cumulate_query`).
pub type CumulateQuery = ValidCumulateQuery;

impl Page {
    /// The page a validated `cumulate.query` asks for.
    pub fn of_query(q: &CumulateQuery) -> Page {
        Page {
            no: i64::from(q.page_no),
            size: i64::from(q.page_size),
        }
    }
}

/// Who may read an agreement's ledger: the caller's partner must be the agreement's (and
/// `provider_pid`, when sent); identities sent must match. Unknown or foreign agreements look
/// the same (`EASY_MEMBER_CONSULT_FAIL`) so their existence does not leak.
pub fn check_cumulate_access(
    q: &CumulateQuery,
    caller: &Caller,
    agreement: Option<&Agreement>,
) -> Result<(), Rejection> {
    if let Some(pid) = q
        .provider_pid
        .as_deref()
        .filter(|p| *p != caller.partner_id)
    {
        return Err(Rejection::new(
            CumulationCode::RequestAccessIllegal,
            format_args!(
                "应用{}代表商户{}调用，不能查询商户{pid}的数据",
                caller.app_id, caller.partner_id
            ),
        ));
    }
    let not_found = || {
        Rejection::new(
            CumulationCode::EasyMemberConsultFail,
            format_args!(
                "商户{}下不存在该用户的协议{}",
                caller.partner_id, q.agreement_id
            ),
        )
    };
    let a = agreement
        .filter(|a| a.partner_id == caller.partner_id)
        .ok_or_else(not_found)?;
    let identities_sent = q.user_id.is_some() || q.open_id.is_some();
    if identities_sent && !a.belongs_to(q.user_id.as_deref(), q.open_id.as_deref()) {
        return Err(not_found());
    }
    Ok(())
}

/// The answer of a `cumulate.query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CumulateSummary {
    /// The agreement.
    pub agreement_no: String,
    /// Its totals row.
    pub totals: AgreementTotals,
    /// The page requested.
    pub page: Page,
    /// Events of the page, newest first; `None` unless `need_detail`.
    pub details: Option<Vec<LedgerEvent>>,
}

impl CumulateSummary {
    /// The wire success body.
    pub fn to_response(&self) -> ZhimaMerchantZmgoCumulateQueryResponse {
        ZhimaMerchantZmgoCumulateQueryResponse {
            agreement_id: Some(self.agreement_no.clone()),
            aggr_amount: Some(self.totals.trade_amount.to_yuan_string()),
            aggr_times: Some(self.totals.aggr_times()),
            aggr_discount_amount: Some(self.totals.discount_amount.to_yuan_string()),
            page_no: Some(self.page.no),
            page_size: Some(self.page.size),
            detail_list: self
                .details
                .as_ref()
                .map(|d| d.iter().map(detail_of).collect()),
            fail_reason: None,
        }
    }
}

/// One event as a `CumulateDataDetail`.
pub fn detail_of(e: &LedgerEvent) -> CumulateDataDetail {
    let join = |parts: Vec<&str>| (!parts.is_empty()).then(|| parts.join(","));
    // A TASK event carries amounts too when the merchant cumulate.sync reported them: show
    // whatever the totals count, so the details always add up to them.
    let has_amount = e.data_type.has_amount()
        || e.amounts.trade != Fen::ZERO
        || e.amounts.discount_total() != Fen::ZERO;
    CumulateDataDetail {
        out_biz_no: Some(e.out_biz_no.clone()),
        refer_out_biz_no: e.pay_out_biz_no.clone(),
        biz_time: Some(format_alipay_datetime(&e.biz_time)),
        action_type: Some(e.action.as_str().to_owned()),
        data_type: Some(e.data_type.as_str().to_owned()),
        sub_data_type: join(
            e.amounts
                .discounts
                .iter()
                .map(|d| d.discount_type.as_str())
                .collect(),
        ),
        task_desc: e.task_name.clone().or_else(|| e.amount_name.clone()),
        task_amount: has_amount.then(|| e.amounts.trade.to_yuan_string()),
        task_times: Some(e.amounts.tasks),
        discount_desc: join(
            e.amounts
                .discounts
                .iter()
                .map(|d| d.name.as_str())
                .collect(),
        ),
        discount_amount: has_amount.then(|| e.amounts.discount_total().to_yuan_string()),
    }
}

/// The `agreement.query` command (zhima-proto `validate_agreement_query`).
pub type AgreementQuery = ValidAgreementQuery;

/// Picks the answer of an `agreement.query` among the candidates storage loaded (the agreement
/// by number, or the user's agreements): the caller's partner's, newest period start first.
/// Unknown and foreign agreements look alike (`EASY_MEMBER_CONSULT_FAIL`).
pub fn pick_agreement<'a>(
    q: &AgreementQuery,
    caller: &Caller,
    candidates: &'a [Agreement],
) -> Result<&'a Agreement, Rejection> {
    let wanted = |a: &&Agreement| match &q.selector {
        AgreementSelector::AgreementId(no) => &a.agreement_no == no,
        AgreementSelector::User {
            alipay_user_id,
            open_id,
        } => a.belongs_to(alipay_user_id.as_deref(), open_id.as_deref()),
    };
    candidates
        .iter()
        .filter(|a| a.partner_id == caller.partner_id)
        .filter(wanted)
        .max_by_key(|a| a.start_time)
        .ok_or_else(|| {
            let what = match &q.selector {
                AgreementSelector::AgreementId(no) => format!("协议{no}"),
                AgreementSelector::User { .. } => "该用户的协议".to_owned(),
            };
            Rejection::new(
                CumulationCode::EasyMemberConsultFail,
                format_args!("商户{}下不存在{what}", caller.partner_id),
            )
        })
}

/// The wire answer of an `agreement.query`. We keep no agreement names, so the name is the
/// template number and the biz type `ZMGO`; the sign time is the signing's (business time),
/// or for a configured agreement its period start.
pub fn agreement_response(
    a: &Agreement,
    sign_time: Option<&crate::domain::entities::Time>,
) -> ZhimaCreditPeZmgoAgreementQueryResponse {
    ZhimaCreditPeZmgoAgreementQueryResponse {
        agreement_id: Some(a.agreement_no.clone()),
        agreement_name: Some(a.template_no.clone()),
        agreement_status: Some(a.status.as_str().to_owned()),
        alipay_user_id: a.user_id.clone(),
        open_id: a.open_id.clone(),
        biz_type: Some("ZMGO".to_owned()),
        sign_time: Some(format_alipay_datetime(sign_time.unwrap_or(&a.start_time))),
        start_time: Some(format_alipay_datetime(&a.start_time)),
    }
}
