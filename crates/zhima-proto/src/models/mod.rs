//! Business models of the sixteen APIs, exactly as on the wire (v1 `biz_content`, v3 body or
//! query), plus the API routing table and canonical JSON for idempotency.
//!
//! Conventions: every field is optional at the serde level (validation decides what is
//! required, so a missing field becomes a protocol error rather than a parse failure), amounts
//! are yuan strings, dates are `yyyy-MM-dd HH:mm:ss` strings, unknown fields are ignored, and
//! `None` fields are not serialized.
//!
//! With the `openapi` feature the models of the v3 routes also derive `utoipa::ToSchema` (their OpenAPI 3.1
//! schema, with the field rules validation enforces; see `openapi.rs`).

/// Generates a closed wire enum: variants with their wire strings, `ALL`, `as_str()`, `FromStr`
/// (error [`UnknownVariant`]), `Display`, string serde and (feature `openapi`) its schema.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value exactly as on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The wire values joined with `/`, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join("/")
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::models::codec::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    $crate::models::codec::UnknownVariant {
                        kind: stringify!($name),
                        value: s.chars().take(64).collect(),
                    }
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::models::openapi::wire_enum_schema(Self::ALL.iter().map(|v| v.as_str()))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

mod api;
mod canonical;
mod codec;
mod de;
#[cfg(feature = "openapi")]
mod openapi;

pub mod agreement_query;
pub mod agreement_sign;
pub mod agreement_unsign;
pub mod bizopt_close;
pub mod cumulate_query;
pub mod cumulation_sync;
pub mod merchant_cumulate_sync;
pub mod pre_consult;
pub mod preorder_create;
pub mod settle_apply;
pub mod settle_refund;
pub mod settle_unfreeze;
pub mod sign_apply;
pub mod state_sync;
pub mod template_blocks;
pub mod template_create;
pub mod template_query;

pub use agreement_query::{
    AgreementStatus, ZhimaCreditPeZmgoAgreementQueryModel, ZhimaCreditPeZmgoAgreementQueryResponse,
};
pub use api::{Api, ApiModel, HttpMethod, V3Route};
pub use canonical::{canonical_json, canonical_json_str};
pub use codec::{from_json, from_query_pairs, to_query_pairs, ModelError, UnknownVariant};
pub use cumulate_query::{
    CumulateDataDetail, ZhimaMerchantZmgoCumulateQueryModel, ZhimaMerchantZmgoCumulateQueryResponse,
};
pub use cumulation_sync::REQUEST_FROM_EXTERNAL_MERCHANT;
pub use cumulation_sync::{
    AmountTypeData, BizAction, CumulateDataType, DiscountType, TaskTypeData, ZMGoOutDiscountInfo,
    ZMGoTradeInfo, ZhimaCreditPeZmgoCumulationSyncModel, ZhimaCreditPeZmgoCumulationSyncResponse,
};
pub use settle_apply::{
    SettleActionType, SettleAdjustReason, SettleExtraParams, SettleStatus,
    ZhimaCreditPeZmgoSettleApplyModel, ZhimaCreditPeZmgoSettleApplyResponse,
};
pub use state_sync::{ZhimaDataStateDataSyncModel, ZhimaDataStateDataSyncResponse};

pub use agreement_sign::{
    ZhimaCreditPeZmgoAgreementSignModel, ZhimaCreditPeZmgoAgreementSignResponse,
};
pub use agreement_unsign::{
    QuitType, ZhimaCreditPeZmgoAgreementUnsignModel, ZhimaCreditPeZmgoAgreementUnsignResponse,
};
pub use bizopt_close::{ZhimaCreditPeZmgoBizoptCloseModel, ZhimaCreditPeZmgoBizoptCloseResponse};
pub use merchant_cumulate_sync::{
    AmountTypeSyncData, DiscountTypeSyncData, MerchantBizAction, SubBizAction, SyncDataType,
    TimesTypeSyncData, ZhimaMerchantZmgoCumulateSyncModel, ZhimaMerchantZmgoCumulateSyncResponse,
};
pub use pre_consult::{ZhimaCreditPeZmgoPreConsultModel, ZhimaCreditPeZmgoPreConsultResponse};
pub use preorder_create::{
    ExtTemplateConf, PreOrderExtInfo, ZhimaCreditPeZmgoPreorderCreateModel,
    ZhimaCreditPeZmgoPreorderCreateResponse,
};
pub use settle_refund::{
    ZhimaCreditPeZmgoSettleRefundModel, ZhimaCreditPeZmgoSettleRefundResponse,
};
pub use settle_unfreeze::{
    UnfreezeExtendParams, ZhimaCreditPeZmgoSettleUnfreezeModel,
    ZhimaCreditPeZmgoSettleUnfreezeResponse,
};
pub use sign_apply::{
    SignExtendInfo, ZhimaCreditPeZmgoSignApplyModel, ZhimaCreditPeZmgoSignApplyResponse,
};
pub use template_blocks::{
    PeriodMode, ZMGOBasicConfig, ZMGOCycleFlexConfig, ZMGOCycleWithholdConfig, ZMGOExtConfig,
    ZMGOObligationConfig, ZMGOOpenConfig, ZMGOQuitConfig, ZMGORightConfig, ZMGOSettlementConfig,
};
pub use template_create::{
    ZhimaMerchantZmgoTemplateCreateModel, ZhimaMerchantZmgoTemplateCreateResponse,
};
pub use template_query::{
    ZhimaMerchantZmgoTemplateQueryModel, ZhimaMerchantZmgoTemplateQueryResponse,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_table_round_trips() {
        for &api in Api::ALL {
            assert_eq!(Api::from_v1_method(api.v1_method()), Some(api));
            if let Some(r) = api.v3_route() {
                assert_eq!(Api::from_v3_route(r.method, r.path), Some(api));
            }
        }
        assert_eq!(Api::StateSync.v3_route(), None);
        assert_eq!(Api::from_v1_method("alipay.trade.pay"), None);
        assert_eq!(
            Api::from_v3_route(HttpMethod::Get, "/v3/zhima/credit/pe/zmgo/cumulation/sync"),
            None
        );
    }

    #[test]
    fn a_syntax_error_in_an_unnamed_member_has_no_question_mark_path() {
        for text in [
            r#"{"x":"#,
            r#"{"user_id":"20"#,
            r#"{"a":[1,"#,
            "{",
            r#"{"a""#,
            r#"{"amount_type_data":{"#,
        ] {
            let e = from_json::<ZhimaCreditPeZmgoCumulationSyncModel>(text).unwrap_err();
            assert!(!e.path.contains('?'), "{text}: {e:?}");
        }
    }

    #[test]
    fn model_error_names_the_path() {
        let e = from_json::<ZhimaCreditPeZmgoCumulationSyncModel>(
            r#"{"amount_type_data":{"trade_info":{"amount":3.57}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "amount_type_data.trade_info.amount");
        assert_eq!(e.field.as_deref(), Some("amount_type_data"));
        assert!(e
            .to_string()
            .starts_with("amount_type_data.trade_info.amount: invalid type"));

        let e = from_json::<ZhimaCreditPeZmgoCumulationSyncModel>("[1]").unwrap_err();
        assert_eq!(e.path, "");
        assert_eq!(e.field, None);
        assert!(from_json::<ZhimaCreditPeZmgoCumulationSyncModel>("{} x").is_err());
        assert!(from_json::<ZhimaCreditPeZmgoCumulationSyncModel>("{}").is_ok());
    }
}
