//! `zhima.credit.pe.zmgo.agreement.unsign` / `POST /v3/zhima/credit/pe/zmgo/agreement/unsign`
//! (芝麻GO协议解约).

use zhima_proto::models::{
    ZhimaCreditPeZmgoAgreementUnsignModel, ZhimaCreditPeZmgoAgreementUnsignResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.agreement.unsign`: ends an agreement (`Y` → `P`) and answers its `withhold_plan_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoAgreementUnsignModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoAgreementUnsignModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     quit_type: Some("USER_CANCEL_QUIT".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().agreement_unsign(&request).await?;
    /// println!("{:?}", reply.data.withhold_plan_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn agreement_unsign<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoAgreementUnsignModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoAgreementUnsignResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/credit/pe/zmgo/agreement/unsign`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoAgreementUnsignModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoAgreementUnsignModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     quit_type: Some("USER_CANCEL_QUIT".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().agreement_unsign(&request).await?;
    /// println!("{:?}", reply.data.withhold_plan_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn agreement_unsign<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoAgreementUnsignModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoAgreementUnsignResponse>> {
        self.call(content.into()).await
    }
}
