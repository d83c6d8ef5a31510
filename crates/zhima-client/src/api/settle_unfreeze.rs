//! `zhima.credit.pe.zmgo.settle.unfreeze` / `PUT /v3/zhima/credit/pe/zmgo/settle/unfreeze`
//! (芝麻GO解冻).

use zhima_proto::models::{
    ZhimaCreditPeZmgoSettleUnfreezeModel, ZhimaCreditPeZmgoSettleUnfreezeResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.settle.unfreeze`: releases part of the agreement's frozen amount; idempotent on `out_request_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSettleUnfreezeModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoSettleUnfreezeModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("U1".into()),
    ///     unfreeze_amount: Some("1.00".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().settle_unfreeze(&request).await?;
    /// println!("{:?}", reply.data.unfreeze_status);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle_unfreeze<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSettleUnfreezeModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoSettleUnfreezeResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `PUT /v3/zhima/credit/pe/zmgo/settle/unfreeze`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSettleUnfreezeModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoSettleUnfreezeModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("U1".into()),
    ///     unfreeze_amount: Some("1.00".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().settle_unfreeze(&request).await?;
    /// println!("{:?}", reply.data.unfreeze_status);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn settle_unfreeze<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSettleUnfreezeModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoSettleUnfreezeResponse>> {
        self.call(content.into()).await
    }
}
