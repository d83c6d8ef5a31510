//! `zhima.credit.pe.zmgo.bizopt.close` / `POST /v3/zhima/credit/pe/zmgo/bizopt/close`
//! (芝麻GO关闭预下单).

use zhima_proto::models::{
    ZhimaCreditPeZmgoBizoptCloseModel, ZhimaCreditPeZmgoBizoptCloseResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.bizopt.close`: closes a `WAIT_SIGN` preorder named by `out_request_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoBizoptCloseModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoBizoptCloseModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("P1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().bizopt_close(&request).await?;
    /// println!("{:?}", reply.data.biz_opt_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bizopt_close<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoBizoptCloseModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoBizoptCloseResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/credit/pe/zmgo/bizopt/close`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoBizoptCloseModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoBizoptCloseModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_request_no: Some("P1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().bizopt_close(&request).await?;
    /// println!("{:?}", reply.data.biz_opt_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bizopt_close<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoBizoptCloseModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoBizoptCloseResponse>> {
        self.call(content.into()).await
    }
}
