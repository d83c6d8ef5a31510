//! From an authenticated request to a domain answer, identical for v1 and v3: parse the
//! model, validate it (zhima-proto `validate`, rule 1), build the domain command, call
//! storage (rules 2–9, durable before it returns), and hand back the business response.

use serde::de::DeserializeOwned;
use serde::Serialize;
use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::{
    self, Api, ZhimaCreditPeZmgoAgreementQueryModel, ZhimaCreditPeZmgoAgreementQueryResponse,
    ZhimaCreditPeZmgoCumulationSyncResponse, ZhimaCreditPeZmgoSettleApplyModel,
    ZhimaCreditPeZmgoSettleApplyResponse, ZhimaDataStateDataSyncResponse,
    ZhimaMerchantZmgoCumulateQueryModel, ZhimaMerchantZmgoCumulateQueryResponse,
};
use zhima_proto::validate::{self, Violation};

use super::error::{ApiError, GatewayFault};
use super::shared::Shared;
use crate::domain::entities::Caller;
use crate::domain::merchant_sync::merchant_sync_response;
use crate::domain::query::agreement_response;
use crate::domain::settle_refund::refund_response;
use crate::domain::settle_unfreeze::unfreeze_response;
use zhima_proto::models::{
    ZhimaCreditPeZmgoSettleRefundModel, ZhimaCreditPeZmgoSettleRefundResponse,
    ZhimaCreditPeZmgoSettleUnfreezeModel, ZhimaCreditPeZmgoSettleUnfreezeResponse,
    ZhimaMerchantZmgoCumulateSyncModel, ZhimaMerchantZmgoCumulateSyncResponse,
};

/// Where the business model comes from.
pub(crate) enum Input<'a> {
    /// v1 `biz_content` (decrypted) or a v3 POST body.
    Json(&'a str),
    /// A v3 GET query, decoded.
    Query(Vec<(String, String)>),
}

/// A successful business answer. Serialises as the bare response model (untagged), whose
/// field order is the model's declaration order.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Success {
    StateSync(ZhimaDataStateDataSyncResponse),
    Cumulation(ZhimaCreditPeZmgoCumulationSyncResponse),
    CumulateQuery(ZhimaMerchantZmgoCumulateQueryResponse),
    AgreementQuery(ZhimaCreditPeZmgoAgreementQueryResponse),
    Settle(ZhimaCreditPeZmgoSettleApplyResponse),
    Agreements(super::dispatch_agreements::AgreementSuccess),
    SettleRefund(ZhimaCreditPeZmgoSettleRefundResponse),
    SettleUnfreeze(ZhimaCreditPeZmgoSettleUnfreezeResponse),
    MerchantCumulateSync(ZhimaMerchantZmgoCumulateSyncResponse),
}

/// Runs `api` for `caller`. The validated request values are the domain commands.
pub(crate) async fn dispatch(
    shared: &Shared,
    api: Api,
    input: Input<'_>,
    caller: Caller,
) -> Result<Success, ApiError> {
    let storage = &shared.storage;
    match api {
        Api::StateSync => {
            let model = validate::parse_state_sync(json_text(&input))?;
            let cmd = validate::validate_state_sync_shape(&model)?;
            storage.sync_state(cmd, caller).await?;
            Ok(Success::StateSync(ZhimaDataStateDataSyncResponse::success()))
        }
        Api::CumulationSync => {
            let model = validate::parse_cumulation(json_text(&input))?;
            let cmd = validate::validate_cumulation(
                &model,
                caller.business_now,
                shared.settings.clock_skew,
            )?;
            let receipt = storage.sync_cumulation(cmd, caller).await?;
            Ok(Success::Cumulation(receipt.to_response()))
        }
        Api::CumulateQuery => {
            let model: ZhimaMerchantZmgoCumulateQueryModel = parse_model(input)?;
            let query = validate::validate_cumulate_query(&model)?;
            let summary = storage.cumulate_query(query, caller).await?;
            Ok(Success::CumulateQuery(summary.to_response()))
        }
        Api::AgreementQuery => {
            let model: ZhimaCreditPeZmgoAgreementQueryModel = parse_model(input)?;
            let query = validate::validate_agreement_query(&model)?;
            let agreement = storage.agreement_query(query, caller).await?;
            let signed = storage.signed_agreement(&agreement.agreement_no).await?;
            let sign_time = signed.map(|s| s.sign_time);
            Ok(Success::AgreementQuery(agreement_response(
                &agreement,
                sign_time.as_ref(),
            )))
        }
        Api::SettleApply => {
            let model: ZhimaCreditPeZmgoSettleApplyModel = parse_model(input)?;
            let cmd = validate::validate_settle_apply(&model)?;
            let receipt = storage.apply_settlement(cmd, caller).await?;
            Ok(Success::Settle(receipt.to_response()))
        }
        Api::SettleRefund => {
            let model: ZhimaCreditPeZmgoSettleRefundModel = parse_model(input)?;
            let cmd = validate::validate_settle_refund(&model)?;
            let refund = storage.refund_settlement(cmd, caller).await?;
            Ok(Success::SettleRefund(refund_response(&refund)))
        }
        Api::SettleUnfreeze => {
            let model: ZhimaCreditPeZmgoSettleUnfreezeModel = parse_model(input)?;
            let cmd = validate::validate_settle_unfreeze(&model)?;
            let unfreeze = storage.unfreeze(cmd, caller).await?;
            Ok(Success::SettleUnfreeze(unfreeze_response(&unfreeze)))
        }
        Api::MerchantCumulateSync => {
            let model: ZhimaMerchantZmgoCumulateSyncModel = parse_model(input)?;
            let cmd = validate::validate_merchant_cumulate_sync(&model)?;
            let event = storage.merchant_cumulate_sync(cmd, caller).await?;
            Ok(Success::MerchantCumulateSync(merchant_sync_response(
                &event,
            )))
        }
        Api::TemplateCreate
        | Api::TemplateQuery
        | Api::PreConsult
        | Api::PreorderCreate
        | Api::AgreementSign
        | Api::BizoptClose
        | Api::AgreementUnsign => {
            let answer = super::dispatch_agreements::run(shared, api, input, caller).await;
            answer.map(Success::Agreements)
        }
        // A page method: the v1 gateway answers it with the signing page before dispatch
        // (`http/pages`), and it has no v3 route; anything else reaching here is unknown.
        Api::SignApply => Err(ApiError::gateway(GatewayFault::InvalidMethod)),
    }
}

/// The JSON text of a body input; an absent `biz_content` reads as `{}` so that validation
/// names the first missing field.
fn json_text<'a>(input: &'a Input<'_>) -> &'a str {
    match input {
        Input::Json(text) if !text.trim().is_empty() => text,
        _ => "{}",
    }
}

/// Parses a query/settlement model; a shape error is `REQUEST_PARAM_ILLEGAL` naming the field.
pub(crate) fn parse_model<T: DeserializeOwned>(input: Input<'_>) -> Result<T, ApiError> {
    let parsed = match &input {
        Input::Json(_) => models::from_json(json_text(&input)),
        Input::Query(pairs) => {
            models::from_query_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        }
    };
    parsed.map_err(|e| Violation::new(CumulationCode::RequestParamIllegal, e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_serialises_as_the_bare_model_in_declaration_order() {
        let s = Success::Cumulation(ZhimaCreditPeZmgoCumulationSyncResponse {
            agreement_no: Some("A".into()),
            out_biz_no: Some("O".into()),
            user_id: Some("U".into()),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"agreement_no":"A","out_biz_no":"O","user_id":"U"}"#
        );
    }

    #[test]
    fn query_shape_errors_name_the_field() {
        let e = parse_model::<ZhimaMerchantZmgoCumulateQueryModel>(Input::Query(vec![(
            "page_size".into(),
            "many".into(),
        )]))
        .unwrap_err();
        assert_eq!(e.outcome(), "REQUEST_PARAM_ILLEGAL");
        match e.fault {
            super::super::error::Fault::Business(r) => {
                assert!(r.sub_msg.contains("page_size"), "{}", r.sub_msg)
            }
            other => panic!("{other:?}"),
        }
    }
}
