//! OpenAPI schemas of the wire models (feature `openapi`).
//!
//! The models derive [`utoipa::ToSchema`] for their shape, JSON types and descriptions (doc
//! comments). The field rules that validation enforces are the value types below, used as
//! `#[schema(value_type = …, inline)]`: each is built from the constant validation checks
//! against, so the description cannot drift from the checks. Only rules that hold for every
//! accepted value are stated (a blank optional field counts as absent, so optional fields of
//! models that are also answers, the template blocks, carry no rules).

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::money::YUAN_PATTERN;
use crate::time::DATETIME_PATTERN;
use crate::validate::cumulate_query::{MAX_PAGE_NO, MAX_PAGE_SIZE};
use crate::validate::cumulation::{
    MAX_AGREEMENT_NO, MAX_DISCOUNTS, MAX_ENUM, MAX_EXT_INFO, MAX_ID, MAX_NAME, MAX_OPEN_ID,
    MAX_OUT_BIZ_NO, MAX_TRADE_NO,
};
use crate::validate::lifecycle::MAX_TIMEOUT_EXPRESS_DIGITS;
use crate::validate::settle_apply::{MAX_TASK_COUNT_DIGITS, MAX_WITHHOLD_PLAN_NO};

use super::cumulation_sync::{ZMGoOutDiscountInfo, REQUEST_FROM_EXTERNAL_MERCHANT};

/// A non-empty string of at most `max` characters (empty means absent on the wire).
fn text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
}

/// Declares value types whose schema is the given expression.
macro_rules! value_types {
    ($( $(#[$meta:meta])* $name:ident => $schema:expr; )+) => {$(
        $(#[$meta])*
        pub(crate) struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {}
    )+};
}

value_types! {
    /// `agreement_no` / `agreement_id`.
    AgreementNo => text(MAX_AGREEMENT_NO);
    /// Ant member ids (`user_id`, `alipay_user_id`) and PIDs (`partner_id`, `provider_pid`).
    Id => text(MAX_ID);
    /// OpenIds.
    OpenId => text(MAX_OPEN_ID);
    /// Merchant serial numbers (`out_biz_no`, `out_request_no`, …) and template numbers.
    OutBizNo => text(MAX_OUT_BIZ_NO);
    /// Display names and notes.
    Name => text(MAX_NAME);
    /// A code validated by length only (`quit_type` of settlements, `refund_type`).
    Code => text(MAX_ENUM);
    /// `ext_info` (JSON text).
    ExtInfo => text(MAX_EXT_INFO);
    /// `trade_info.trade_no`.
    TradeNo => text(MAX_TRADE_NO);
    /// `withhold_plan_no`.
    WithholdPlanNo => text(MAX_WITHHOLD_PLAN_NO);
    /// A yuan amount, e.g. `"3.57"`.
    Amount => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(YUAN_PATTERN));
    /// `yyyy-MM-dd HH:mm:ss`, UTC+8.
    AlipayTime => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(DATETIME_PATTERN));
    /// A count as decimal text (`total_task_count`).
    TaskCount => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[0-9]{{1,{MAX_TASK_COUNT_DIGITS}}}$")));
    /// `timeout_express`: minutes, hours or days, e.g. `15m`, `2h`, `1d` (at most 15 days).
    TimeoutExpress => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[0-9]{{1,{MAX_TIMEOUT_EXPRESS_DIGITS}}}[mhd]$")));
    /// `request_from`: the one accepted value.
    RequestFrom => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([REQUEST_FROM_EXTERNAL_MERCHANT]));
    /// `page_no` of cumulate.query.
    PageNo => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_PAGE_NO));
    /// `page_size` of cumulate.query.
    PageSize => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_PAGE_SIZE));
    /// A positive task count (`times_type_sync_data.task_times`).
    TaskTimes => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(u32::MAX));
}

/// `amount_type_data.out_discount_infos`: at most [`MAX_DISCOUNTS`] discounts.
pub(crate) struct Discounts;

impl PartialSchema for Discounts {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name(ZMGoOutDiscountInfo::name()))
            .max_items(Some(MAX_DISCOUNTS))
            .into()
    }
}

impl ToSchema for Discounts {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            ZMGoOutDiscountInfo::name().into_owned(),
            ZMGoOutDiscountInfo::schema(),
        ));
        ZMGoOutDiscountInfo::schemas(schemas);
    }
}

/// The schema of a closed wire enum: a string, one of `values`.
pub(crate) fn wire_enum_schema(values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}
