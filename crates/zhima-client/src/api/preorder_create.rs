//! `zhima.credit.pe.zmgo.preorder.create` / `PUT /v3/zhima/credit/pe/zmgo/preorder/create`
//! (芝麻GO签约预创单).

use zhima_proto::models::{
    ZhimaCreditPeZmgoPreorderCreateModel, ZhimaCreditPeZmgoPreorderCreateResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.preorder.create`: a `WAIT_SIGN` preorder; idempotent on `out_request_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoPreorderCreateModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoPreorderCreateModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     template_id: Some("T1".into()),
    ///     out_request_no: Some("P1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().preorder_create(&request).await?;
    /// println!("{:?}", reply.data.preorder_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn preorder_create<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoPreorderCreateModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoPreorderCreateResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `PUT /v3/zhima/credit/pe/zmgo/preorder/create`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoPreorderCreateModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoPreorderCreateModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     template_id: Some("T1".into()),
    ///     out_request_no: Some("P1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().preorder_create(&request).await?;
    /// println!("{:?}", reply.data.preorder_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn preorder_create<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoPreorderCreateModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoPreorderCreateResponse>> {
        self.call(content.into()).await
    }
}
