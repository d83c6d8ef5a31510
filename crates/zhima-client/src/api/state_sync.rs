//! `zhima.data.state.data.sync` (芝麻业务状态数据同步), v1 only.

use zhima_proto::models::{ZhimaDataStateDataSyncModel, ZhimaDataStateDataSyncResponse};

use crate::client::{Response, V1};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.data.state.data.sync`: pushes a business-state change of a user's product
    /// instance. Success means the state was accepted (`biz_result` `success`); refusals come
    /// back as [`crate::Error::Api`] with the `ZMDATA.*` sub_code.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaDataStateDataSyncModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let model = ZhimaDataStateDataSyncModel {
    ///     user_id: Some("2088102000000001".into()),
    ///     out_biz_no: Some("ZMDS20240520000001".into()),
    ///     out_principal_id: Some("1303902".into()),
    ///     biz_state_code: Some("CONTRACT_STATE_WATCH_MOVIE_BUY".into()),
    ///     category_code: Some("WATCH_MOVIE".into()),
    ///     service_id: Some("2019080700000000000001800100".into()),
    ///     biz_data: Some(r#"{"orderNo":"1"}"#.into()),
    ///     ..Default::default()
    /// };
    /// let reply = client.v1().state_data_sync(&model).await?;
    /// assert_eq!(reply.data.biz_result.as_deref(), Some("success"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn state_data_sync<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaDataStateDataSyncModel>>,
    ) -> Result<Response<ZhimaDataStateDataSyncResponse>> {
        self.call(content.into()).await
    }
}
