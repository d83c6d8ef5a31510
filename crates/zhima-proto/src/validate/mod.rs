//! Request validation: pure, config-free checks that turn a wire model into a typed, validated
//! value or the **first** failing business code, in the documented order (PRODUCT §4, §5).
//!
//! Checks that need server state (agreements, templates, state machines, idempotency records)
//! are the server's; each module says exactly where they slot in so the overall order holds.
//!
//! Every `sub_msg` starts with the code's default message and names the failing field, e.g.
//! `请求参数不合法: agreement_no不能为空`. Values echoed back are cut to 64 characters.

pub mod agreement_query;
mod checks;
pub mod cumulate_query;
pub mod cumulation;
pub mod settle_apply;
pub mod state_sync;

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
