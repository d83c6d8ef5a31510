//! `zhima.credit.pe.zmgo.cumulation.sync` / `POST /v3/zhima/credit/pe/zmgo/cumulation/sync`
//! (芝麻GO用户数据回传).

use zhima_proto::models::{
    ZhimaCreditPeZmgoCumulationSyncModel, ZhimaCreditPeZmgoCumulationSyncResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.credit.pe.zmgo.cumulation.sync`: reports a payment, refund or task of a Zhima GO
    /// agreement. Idempotent on `out_biz_no`, so a retry never counts twice.
    ///
    /// ```no_run
    /// use zhima_client::models::{TaskTypeData, ZhimaCreditPeZmgoCumulationSyncModel};
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let model = ZhimaCreditPeZmgoCumulationSyncModel {
    ///     agreement_no: Some("20195108518085620000".into()),
    ///     user_id: Some("2088602002015001".into()),
    ///     partner_id: Some("2088621805983504".into()),
    ///     out_biz_no: Some("T20240520001".into()),
    ///     biz_action: Some("ORDER_PAID".into()),
    ///     biz_time: Some("2024-05-20 10:00:00".into()),
    ///     cumulate_data_type: Some("TASK".into()),
    ///     task_type_data: Some(TaskTypeData { name: Some("打车1次".into()) }),
    ///     request_from: Some("ExternalMerchantSource".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().cumulation_sync(&model).await?;
    /// assert_eq!(reply.data.out_biz_no.as_deref(), Some("T20240520001"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cumulation_sync<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoCumulationSyncModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoCumulationSyncResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/credit/pe/zmgo/cumulation/sync`: the v3 form of
    /// [`V1::cumulation_sync`]; the model is the JSON body. Refusals come back as
    /// [`crate::Error::Api`] with the HTTP status and the business `code`.
    ///
    /// ```no_run
    /// use zhima_client::Content;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// // Verbatim JSON text is signed and sent byte for byte.
    /// let body = r#"{"agreement_no":"20195108518085620000","out_biz_no":"T1"}"#;
    /// let reply = client.v3().cumulation_sync(Content::json(body)).await?;
    /// println!("{:?}", reply.data.agreement_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cumulation_sync<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoCumulationSyncModel>>,
    ) -> Result<Response<ZhimaCreditPeZmgoCumulationSyncResponse>> {
        self.call(content.into()).await
    }
}
