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
use zhima_proto::validate::{self, AgreementSelector, Violation};

use super::error::ApiError;
use super::state::Shared;
use crate::domain::cumulation::CumulationCmd;
use crate::domain::entities::Caller;
use crate::domain::ledger::DiscountLine;
use crate::domain::query::{agreement_response, AgreementQuery, CumulateQuery, Page};
use crate::domain::settle::SettleCmd;
use crate::domain::state_sync::StateSyncCmd;

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
}

/// Runs `api` for `caller`.
pub(crate) async fn dispatch(
    shared: &Shared,
    api: Api,
    input: Input<'_>,
    caller: Caller,
) -> Result<Success, ApiError> {
    let storage = &shared.storage;
    match api {
        Api::StateSync => {
            let text = json_text(&input);
            let model = validate::parse_state_sync(text)?;
            let v = validate::validate_state_sync_shape(&model)?;
            let cmd = StateSyncCmd {
                user_id: v.user_id,
                out_biz_no: v.out_biz_no,
                out_principal_id: v.out_principal_id,
                biz_state_code: v.biz_state_code,
                category_code: v.category_code,
                service_id: v.service_id,
                biz_data: v.biz_data.unwrap_or_default(),
            };
            storage.sync_state(cmd, caller).await?;
            Ok(Success::StateSync(ZhimaDataStateDataSyncResponse::success()))
        }
        Api::CumulationSync => {
            let model = validate::parse_cumulation(json_text(&input))?;
            let v = validate::validate_cumulation(&model, caller.now, shared.settings.clock_skew)?;
            let receipt = storage.sync_cumulation(cumulation_cmd(v), caller).await?;
            Ok(Success::Cumulation(receipt.to_response()))
        }
        Api::CumulateQuery => {
            let model: ZhimaMerchantZmgoCumulateQueryModel = parse_model(input)?;
            let v = validate::validate_cumulate_query(&model)?;
            let query = CumulateQuery {
                agreement_no: v.agreement_id,
                user_id: v.user_id,
                open_id: v.open_id,
                provider_pid: v.provider_pid,
                need_detail: v.need_detail,
                page: Page::new(Some(i64::from(v.page_no)), Some(i64::from(v.page_size)))?,
            };
            let summary = storage.cumulate_query(query, caller).await?;
            Ok(Success::CumulateQuery(summary.to_response()))
        }
        Api::AgreementQuery => {
            let model: ZhimaCreditPeZmgoAgreementQueryModel = parse_model(input)?;
            let v = validate::validate_agreement_query(&model)?;
            let query = match v.selector {
                AgreementSelector::AgreementId(no) => AgreementQuery {
                    agreement_no: Some(no),
                    user_id: None,
                    open_id: None,
                },
                AgreementSelector::User {
                    alipay_user_id,
                    open_id,
                } => AgreementQuery {
                    agreement_no: None,
                    user_id: alipay_user_id,
                    open_id,
                },
            };
            let agreement = storage.agreement_query(query, caller).await?;
            Ok(Success::AgreementQuery(agreement_response(&agreement)))
        }
        Api::SettleApply => {
            let model: ZhimaCreditPeZmgoSettleApplyModel = parse_model(input)?;
            let v = validate::validate_settle_apply(&model)?;
            let total_task_count =
                v.total_task_count
                    .map(i64::try_from)
                    .transpose()
                    .map_err(|_| {
                        Violation::new(CumulationCode::RequestParamIllegal, "total_task_count过大")
                    })?;
            let cmd = SettleCmd {
                agreement_no: v.agreement_id,
                partner_id: v.partner_id,
                user_id: v.alipay_user_id,
                open_id: v.alipay_open_id,
                out_request_no: v.out_request_no,
                withhold_plan_no: v.withhold_plan_no,
                pay_amount: v.pay_amount,
                total_real_pay_amount: v.total_real_pay_amount,
                total_discount_amount: v.total_discount_amount,
                total_task_count,
                action_type: v.action_type,
            };
            let receipt = storage.apply_settlement(cmd, caller).await?;
            Ok(Success::Settle(receipt.to_response()))
        }
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
fn parse_model<T: DeserializeOwned>(input: Input<'_>) -> Result<T, ApiError> {
    let parsed = match &input {
        Input::Json(_) => models::from_json(json_text(&input)),
        Input::Query(pairs) => {
            models::from_query_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        }
    };
    parsed.map_err(|e| Violation::new(CumulationCode::RequestParamIllegal, e).into())
}

/// The domain command of a cumulation sync that passed rule 1.
fn cumulation_cmd(v: validate::ValidCumulation) -> CumulationCmd {
    let trade_amount = v.trade_amount();
    let (amount_name, trade, discounts) = match v.amount {
        Some(a) => (Some(a.name), a.trade, a.discounts),
        None => (None, None, Vec::new()),
    };
    CumulationCmd {
        agreement_no: v.agreement_no,
        user_id: v.user_id,
        open_id: v.open_id,
        partner_id: v.partner_id,
        out_biz_no: v.out_biz_no,
        action: v.biz_action,
        pay_out_biz_no: v.pay_out_biz_no,
        biz_time: v.biz_time,
        data_type: v.cumulate_data_type,
        amount_name,
        task_name: v.task_name,
        trade_no: trade.as_ref().and_then(|t| t.trade_no.clone()),
        has_trade_info: trade.is_some(),
        has_discount_infos: !discounts.is_empty(),
        trade_amount,
        discounts: discounts
            .into_iter()
            .map(|d| DiscountLine {
                discount_type: d.discount_type,
                name: d.name,
                amount: d.amount,
            })
            .collect(),
        has_alipay_trade: v.has_alipay_trade,
        ext_info: v.ext_info,
    }
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

    #[test]
    fn cumulation_cmd_carries_amounts_and_discounts() {
        let model = validate::parse_cumulation(
            r#"{"agreement_no":"A1","user_id":"2088602002015001","partner_id":"2088621805983504",
            "out_biz_no":"O1","biz_action":"ORDER_PAID","biz_time":"2024-05-20 10:00:00",
            "cumulate_data_type":"AMOUNT","request_from":"ExternalMerchantSource",
            "amount_type_data":{"name":"累计消费","trade_info":{"trade_no":"T1","amount":"3.57"},
            "out_discount_infos":[{"discount_name":"d","discount_type":"memberPoint","discount_amount":"1.5"}]}}"#,
        )
        .unwrap();
        let now = zhima_proto::time::parse_alipay_datetime("2024-05-21 10:00:00").unwrap();
        let v = validate::validate_cumulation(&model, now, chrono::Duration::minutes(15)).unwrap();
        let cmd = cumulation_cmd(v);
        assert_eq!(cmd.trade_amount.0, 357);
        assert_eq!(cmd.trade_no.as_deref(), Some("T1"));
        assert!(cmd.has_trade_info && cmd.has_discount_infos);
        assert_eq!(cmd.discounts[0].amount.0, 150);
        assert_eq!(cmd.amount_name.as_deref(), Some("累计消费"));
    }
}
