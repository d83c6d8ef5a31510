//! `zhima.credit.pe.zmgo.settle.apply` / `POST /v3/zhima/credit/pe/zmgo/settle/apply`
//! (芝麻GO结算申请).

use zhima_proto::models::{
    ZhimaCreditPeZmgoSettleApplyModel, ZhimaCreditPeZmgoSettleApplyResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.settle.apply`: settles an agreement at expiry. Idempotent on
    /// `out_request_no`; totals that disagree with the platform's ledger are refused.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSettleApplyModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let settle = ZhimaCreditPeZmgoSettleApplyModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("S20240601001".into()),
    ///     withhold_plan_no: Some("W1".into()),
    ///     pay_amount: Some("0.00".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().settle_apply(&settle).await?;
    /// println!("{:?}", reply.data.settle_status);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle_apply<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSettleApplyModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoSettleApplyResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/credit/pe/zmgo/settle/apply`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSettleApplyModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let settle = ZhimaCreditPeZmgoSettleApplyModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     out_request_no: Some("S20240601001".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().settle_apply(&settle).await?;
    /// println!("{:?}", reply.data.withhold_plan_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle_apply<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSettleApplyModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoSettleApplyResponse>> {
        self.call(content.into()).await
    }
}
