//! `zhima.merchant.zmgo.template.create` / `POST /v3/zhima/merchant/zmgo/template/create`
//! (芝麻GO模板创建).

use zhima_proto::models::{
    ZhimaMerchantZmgoTemplateCreateModel, ZhimaMerchantZmgoTemplateCreateResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.merchant.zmgo.template.create`: creates a template from its seven config blocks; idempotent on `basic_config.out_biz_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::{ZMGOBasicConfig, ZhimaMerchantZmgoTemplateCreateModel};
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaMerchantZmgoTemplateCreateModel {
    ///     basic_config: Some(ZMGOBasicConfig {
    ///         partner_id: Some("2088621805983504".into()),
    ///         out_biz_no: Some("T1".into()),
    ///         template_name: Some("GO".into()),
    ///         ..Default::default()
    ///     }),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().template_create(&request).await?;
    /// println!("{:?}", reply.data.template_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn template_create<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoTemplateCreateModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoTemplateCreateResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/merchant/zmgo/template/create`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::{ZMGOBasicConfig, ZhimaMerchantZmgoTemplateCreateModel};
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaMerchantZmgoTemplateCreateModel {
    ///     basic_config: Some(ZMGOBasicConfig {
    ///         partner_id: Some("2088621805983504".into()),
    ///         out_biz_no: Some("T1".into()),
    ///         template_name: Some("GO".into()),
    ///         ..Default::default()
    ///     }),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().template_create(&request).await?;
    /// println!("{:?}", reply.data.template_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn template_create<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoTemplateCreateModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoTemplateCreateResponse>> {
        self.call(content.into()).await
    }
}
