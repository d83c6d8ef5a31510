//! `zhima.merchant.zmgo.cumulate.query` / `GET /v3/zhima/merchant/zmgo/cumulate/query`
//! (芝麻GO累计数据查询).

use zhima_proto::models::{
    ZhimaMerchantZmgoCumulateQueryModel, ZhimaMerchantZmgoCumulateQueryResponse,
};

use crate::client::{Response, V1, V3};
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// `zhima.merchant.zmgo.cumulate.query`: the cumulated totals of an agreement, and its
    /// events when `need_detail`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaMerchantZmgoCumulateQueryModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let query = ZhimaMerchantZmgoCumulateQueryModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     user_id: Some("2088602002015001".into()),
    ///     need_detail: Some(true),
    ///     ..Default::default()
    /// };
    /// let totals = client.v1().cumulate_query(&query).await?.data;
    /// println!("{:?} yuan over {:?} orders", totals.aggr_amount, totals.aggr_times);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cumulate_query<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoCumulateQueryModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoCumulateQueryResponse>> {
        self.call(content.into()).await
    }
}

impl V3<'_> {
    /// `GET /v3/zhima/merchant/zmgo/cumulate/query`: the model's fields travel as the query
    /// string, in declaration order (`agreement_id=…&user_id=…&need_detail=true&page_no=1…`).
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaMerchantZmgoCumulateQueryModel;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let query = ZhimaMerchantZmgoCumulateQueryModel {
    ///     agreement_id: Some("20195108518085620000".into()),
    ///     page_size: Some(50),
    ///     ..Default::default()
    /// };
    /// let totals = client.v3().cumulate_query(&query).await?.data;
    /// println!("{:?}", totals.aggr_discount_amount);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cumulate_query<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaMerchantZmgoCumulateQueryModel>>,
    ) -> Result<Response<ZhimaMerchantZmgoCumulateQueryResponse>> {
        self.call(content.into()).await
    }
}
