//! `zhima.merchant.zmgo.template.query` / `GET /v3/zhima/merchant/zmgo/template/query`
//! (芝麻GO模板查询).

use zhima_proto::models::{
    ZhimaMerchantZmgoTemplateQueryModel, ZhimaMerchantZmgoTemplateQueryResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.merchant.zmgo.template.query`: a template's stored blocks.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaMerchantZmgoTemplateQueryModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaMerchantZmgoTemplateQueryModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     template_no: Some("T1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().template_query(&request).await?;
    /// println!("{:?}", reply.data.basic_config);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn template_query<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoTemplateQueryModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoTemplateQueryResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `GET /v3/zhima/merchant/zmgo/template/query`, fields as the query string.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaMerchantZmgoTemplateQueryModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaMerchantZmgoTemplateQueryModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     template_no: Some("T1".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().template_query(&request).await?;
    /// println!("{:?}", reply.data.basic_config);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn template_query<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoTemplateQueryModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoTemplateQueryResponse>> {
        self.call(content.into()).await
    }
}
