//! `zhima.merchant.zmgo.cumulate.sync` / `POST /v3/zhima/merchant/zmgo/cumulate/sync`
//! (芝麻GO商户数据回传).

use zhima_proto::models::{
    ZhimaMerchantZmgoCumulateSyncModel, ZhimaMerchantZmgoCumulateSyncResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.merchant.zmgo.cumulate.sync`: reports a task or discount into the agreement's ledger; exactly-once on `out_biz_no`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaMerchantZmgoCumulateSyncModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaMerchantZmgoCumulateSyncModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     provider_pid: Some("2088621805983504".into()),
    ///     out_biz_no: Some("M1".into()),
    ///     biz_action: Some("POSITIVE".into()),
    ///     data_type: Some("TASK".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().merchant_cumulate_sync(&request).await?;
    /// println!("{:?}", reply.data.out_biz_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn merchant_cumulate_sync<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoCumulateSyncModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoCumulateSyncResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `POST /v3/zhima/merchant/zmgo/cumulate/sync`, the model as the JSON body.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaMerchantZmgoCumulateSyncModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaMerchantZmgoCumulateSyncModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     provider_pid: Some("2088621805983504".into()),
    ///     out_biz_no: Some("M1".into()),
    ///     biz_action: Some("POSITIVE".into()),
    ///     data_type: Some("TASK".into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v3().merchant_cumulate_sync(&request).await?;
    /// println!("{:?}", reply.data.out_biz_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn merchant_cumulate_sync<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoCumulateSyncModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoCumulateSyncResponse>> {
        self.call(content.into()).await
    }
}
