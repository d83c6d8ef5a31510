//! `zhima.credit.pe.zmgo.agreement.sign` (v1 only)
//! (芝麻GO协议签约).

use zhima_proto::models::{
    ZhimaCreditPeZmgoAgreementSignModel, ZhimaCreditPeZmgoAgreementSignResponse,
};

use crate::client::{Response, V1};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.agreement.sign`: signs a `WAIT_SIGN` preorder server-side into an agreement.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoAgreementSignModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoAgreementSignModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     preorder_no: Some("PO1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().agreement_sign(&request).await?;
    /// println!("{:?}", reply.data.agreement_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn agreement_sign<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoAgreementSignModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoAgreementSignResponse>> {
        self.call(content.into()).await
    }
}
