//! Request validation: pure, config-free checks that turn a wire model into a typed, validated
//! value or the **first** failing business code, in the documented order (PRODUCT §4, §5).
//!
//! Checks that need server state (agreements, templates, state machines, idempotency records)
//! are the server's; each module says exactly where they slot in so the overall order holds.
//!
//! Every `sub_msg` starts with the code's default message and names the failing field, e.g.
//! `请求参数不合法: agreement_no不能为空`. Values echoed back are cut to 64 characters.

pub mod agreement_query;
pub mod agreement_sign;
pub mod agreement_unsign;
pub mod bizopt_close;
mod checks;
pub mod cumulate_query;
pub mod cumulation;
pub mod lifecycle;
pub mod merchant_cumulate_sync;
pub mod pre_consult;
pub mod preorder_create;
pub mod settle_apply;
pub mod settle_refund;
pub mod settle_unfreeze;
pub mod sign_apply;
pub mod state_sync;
pub mod template_create;
pub mod template_query;

pub use agreement_query::{validate_agreement_query, AgreementSelector, ValidAgreementQuery};
pub use checks::Violation;
pub use cumulate_query::{validate_cumulate_query, ValidCumulateQuery};
pub use cumulation::{parse_cumulation, validate_cumulation, ValidCumulation};
pub use settle_apply::{
    check_settle_totals, validate_settle_apply, LedgerTotals, ValidSettleApply,
};
pub use state_sync::{
    parse_state_sync, validate_biz_data, validate_state_sync_shape, ValidStateSync,
};

pub use agreement_sign::{validate_agreement_sign, ValidAgreementSign};
pub use agreement_unsign::{validate_agreement_unsign, ValidAgreementUnsign};
pub use bizopt_close::{validate_bizopt_close, ValidBizoptClose};
pub use lifecycle::{
    parse_timeout_express, UserRef, DEFAULT_TIMEOUT_EXPRESS_SECS, MAX_TIMEOUT_EXPRESS_SECS,
};
pub use merchant_cumulate_sync::{
    validate_merchant_cumulate_sync, MerchantSyncData, ValidMerchantCumulateSync,
};
pub use pre_consult::{validate_pre_consult, ValidPreConsult};
pub use preorder_create::{validate_preorder_create, ValidPreorderCreate};
pub use settle_refund::{validate_settle_refund, ValidSettleRefund};
pub use settle_unfreeze::{validate_settle_unfreeze, ValidSettleUnfreeze};
pub use sign_apply::{validate_sign_apply, ValidSignApply};
pub use template_create::{validate_template_create, TemplatePeriod, ValidTemplateCreate};
pub use template_query::{validate_template_query, ValidTemplateQuery};
