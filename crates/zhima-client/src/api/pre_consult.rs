//! `zhima.credit.pe.zmgo.pre.consult` (v1 only)
//! (芝麻GO签约预咨询).

use zhima_proto::models::{ZhimaCreditPeZmgoPreConsultModel, ZhimaCreditPeZmgoPreConsultResponse};

use crate::client::{Response, V1};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.pre.consult`: whether the user may sign (`admittance`).
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoPreConsultModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoPreConsultModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     template_id: Some("T1".into()),
    ///     alipay_user_id: Some("2088102000000000".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().pre_consult(&request).await?;
    /// println!("{:?}", reply.data.admittance);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn pre_consult<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoPreConsultModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoPreConsultResponse>> {
        self.call(content.into()).await
    }
}
