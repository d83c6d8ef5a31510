//! The agreement half of the lifecycle (PRODUCT §11) from a parsed request to its answer, for
//! v1 and v3 alike: `template.create` / `template.query`, `pre.consult`, `preorder.create`,
//! `agreement.sign`, `bizopt.close`, `agreement.unsign`.

use serde::Serialize;
use zhima_proto::models::{
    Api, ZhimaCreditPeZmgoAgreementSignModel, ZhimaCreditPeZmgoAgreementSignResponse,
    ZhimaCreditPeZmgoAgreementUnsignModel, ZhimaCreditPeZmgoAgreementUnsignResponse,
    ZhimaCreditPeZmgoBizoptCloseModel, ZhimaCreditPeZmgoBizoptCloseResponse,
    ZhimaCreditPeZmgoPreConsultModel, ZhimaCreditPeZmgoPreConsultResponse,
    ZhimaCreditPeZmgoPreorderCreateModel, ZhimaCreditPeZmgoPreorderCreateResponse,
    ZhimaMerchantZmgoTemplateCreateModel, ZhimaMerchantZmgoTemplateCreateResponse,
    ZhimaMerchantZmgoTemplateQueryModel, ZhimaMerchantZmgoTemplateQueryResponse,
};
use zhima_proto::validate;

use super::dispatch::{parse_model, Input};
use super::error::{ApiError, GatewayFault};
use super::shared::Shared;
use crate::domain::entities::Caller;

/// A successful answer of one of these APIs (the bare response model).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum AgreementSuccess {
    TemplateCreate(ZhimaMerchantZmgoTemplateCreateResponse),
    TemplateQuery(Box<ZhimaMerchantZmgoTemplateQueryResponse>),
    PreConsult(ZhimaCreditPeZmgoPreConsultResponse),
    PreorderCreate(ZhimaCreditPeZmgoPreorderCreateResponse),
    AgreementSign(ZhimaCreditPeZmgoAgreementSignResponse),
    BizoptClose(ZhimaCreditPeZmgoBizoptCloseResponse),
    AgreementUnsign(ZhimaCreditPeZmgoAgreementUnsignResponse),
}

/// Runs one of the agreement-half APIs (template, pre.consult, preorder, sign, close, unsign)
/// for `caller`; `dispatch` routes exactly those here.
pub(crate) async fn run(
    shared: &Shared,
    api: Api,
    input: Input<'_>,
    caller: Caller,
) -> Result<AgreementSuccess, ApiError> {
    let storage = &shared.storage;
    Ok(match api {
        Api::TemplateCreate => {
            let m: ZhimaMerchantZmgoTemplateCreateModel = parse_model(input)?;
            let cmd = validate::validate_template_create(&m)?;
            let r = storage.create_template(cmd, caller).await?;
            AgreementSuccess::TemplateCreate(r.to_response())
        }
        Api::TemplateQuery => {
            let m: ZhimaMerchantZmgoTemplateQueryModel = parse_model(input)?;
            let q = validate::validate_template_query(&m)?;
            AgreementSuccess::TemplateQuery(Box::new(storage.template_query(q, caller).await?))
        }
        Api::PreConsult => {
            let m: ZhimaCreditPeZmgoPreConsultModel = parse_model(input)?;
            let cmd = validate::validate_pre_consult(&m)?;
            AgreementSuccess::PreConsult(storage.pre_consult(cmd, caller).await?)
        }
        Api::PreorderCreate => {
            let m: ZhimaCreditPeZmgoPreorderCreateModel = parse_model(input)?;
            let cmd = validate::validate_preorder_create(&m)?;
            let r = storage.create_preorder(cmd, caller).await?;
            AgreementSuccess::PreorderCreate(r.to_response())
        }
        Api::AgreementSign => {
            let m: ZhimaCreditPeZmgoAgreementSignModel = parse_model(input)?;
            let cmd = validate::validate_agreement_sign(&m)?;
            let r = storage.sign_preorder(cmd, caller).await?;
            AgreementSuccess::AgreementSign(r.to_response())
        }
        Api::BizoptClose => {
            let m: ZhimaCreditPeZmgoBizoptCloseModel = parse_model(input)?;
            let cmd = validate::validate_bizopt_close(&m)?;
            let r = storage.close_preorder(cmd, caller).await?;
            AgreementSuccess::BizoptClose(r.to_response())
        }
        Api::AgreementUnsign => {
            let m: ZhimaCreditPeZmgoAgreementUnsignModel = parse_model(input)?;
            let cmd = validate::validate_agreement_unsign(&m)?;
            let r = storage.unsign_agreement(cmd, caller).await?;
            AgreementSuccess::AgreementUnsign(r.to_response())
        }
        // `dispatch` sends only the arms above here.
        _ => return Err(ApiError::gateway(GatewayFault::InvalidMethod)),
    })
}
