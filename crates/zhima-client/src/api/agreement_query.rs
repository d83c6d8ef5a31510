//! `zhima.credit.pe.zmgo.agreement.query` / `GET /v3/zhima/credit/pe/zmgo/agreement/query`
//! (芝麻GO协议查询).

use zhima_proto::models::{
    ZhimaCreditPeZmgoAgreementQueryModel, ZhimaCreditPeZmgoAgreementQueryResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.agreement.query`: an agreement's status (`Y`/`P`/`N`) and period.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoAgreementQueryModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let q = ZhimaCreditPeZmgoAgreementQueryModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     ..Default::default()
    /// };
    /// let agreement = client.v1().agreement_query(&q).await?.data;
    /// println!("{:?}", agreement.agreement_status);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn agreement_query<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoAgreementQueryModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoAgreementQueryResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `GET /v3/zhima/credit/pe/zmgo/agreement/query`, fields as the query string.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoAgreementQueryModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let q = ZhimaCreditPeZmgoAgreementQueryModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     ..Default::default()
    /// };
    /// let agreement = client.v3().agreement_query(&q).await?.data;
    /// println!("{:?}", agreement.start_time);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn agreement_query<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoAgreementQueryModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoAgreementQueryResponse>> {
        self.call(content.into()).await
    }
}
