//! `zhima.credit.pe.zmgo.sign.apply` (v1 page method; 芝麻GO签约申请): not called but turned
//! into the signed URL the user's browser opens.

use zhima_proto::models::{ApiModel, ZhimaCreditPeZmgoSignApplyModel};

use crate::client::V1;
use crate::content::Content;
use crate::error::Result;

impl V1<'_> {
    /// The signed GET URL of `zhima.credit.pe.zmgo.sign.apply` (byte for byte the official
    /// Python SDK's `page_execute(request, http_method="GET")`); after the user agrees, the
    /// browser goes to `return_url`.
    ///
    /// ```no_run
    /// use zhima_client::models::ZhimaCreditPeZmgoSignApplyModel;
    /// # fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let request = ZhimaCreditPeZmgoSignApplyModel {
    ///     partner_id: Some("2088621805983504".into()),
    ///     preorder_no: Some("PO1".into()),
    ///     ..Default::default()
    /// };
    /// let url = client.v1().sign_apply_url(&request, Some("https://merchant.example/back"))?;
    /// println!("{url}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn sign_apply_url<'a>(
        &self,
        content: impl Into<Content<'a, ZhimaCreditPeZmgoSignApplyModel>>,
        return_url: Option<&str>,
    ) -> Result<String> {
        self.page_url(content.into(), return_url)
    }

    /// The signed GET URL of any page method's model (see [`Self::sign_apply_url`]).
    pub fn page_url<M: ApiModel>(
        &self,
        content: Content<'_, M>,
        return_url: Option<&str>,
    ) -> Result<String> {
        let biz_content = content.render(self.client.config().v1_json)?;
        self.client.page_url(M::V1_METHOD, &biz_content, return_url)
    }
}
