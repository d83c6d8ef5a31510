//! `zhima.credit.pe.zmgo.settle.refund` / `POST /v3/zhima/credit/pe/zmgo/settle/refund`
//! (芝麻GO结算退款).

use zhima_proto::models::{
    ZhimaCreditPeZmgoSettleRefundModel, ZhimaCreditPeZmgoSettleRefundResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.settle.refund`: refunds part of a settlement; idempotent on `out_request_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSettleRefundModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoSettleRefundModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("R1".into()),
    ///     withhold_plan_no: Some("W1".into()),
    ///     refund_amount: Some("1.00".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().settle_refund(&request).await?;
    /// println!("{:?}", reply.data.refund_opt_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle_refund<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSettleRefundModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoSettleRefundResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/credit/pe/zmgo/settle/refund`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSettleRefundModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoSettleRefundModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("R1".into()),
    ///     withhold_plan_no: Some("W1".into()),
    ///     refund_amount: Some("1.00".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().settle_refund(&request).await?;
    /// println!("{:?}", reply.data.refund_opt_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle_refund<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSettleRefundModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoSettleRefundResponse>> {
        self.call(content.into()).await
    }
}
