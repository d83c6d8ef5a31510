//! The v3 error body (PROTOCOL §B4): `{"code","message","links":[{"link","desc"}]}`, sent with
//! the error's HTTP status.

use serde::{Deserialize, Serialize};

/// Alipay's error-check page; the trace id follows.
pub const ERROR_CHECK_URL_PREFIX: &str = "https://open.alipay.com/api/errCheck?traceId=";

/// The `desc` of the error-check link.
pub const ERROR_LINK_DESC: &str = "解决方案";

/// A v3 error answer's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = V3ErrorBody))]
pub struct ErrorBody {
    /// The error code: a v3 common code (`invalid-signature`) or the API's business code
    /// (`REQUEST_PARAM_ILLEGAL`).
    pub code: String,
    /// What went wrong, for people (Chinese, naming the failing field where there is one).
    pub message: String,
    /// Where the solution is: one link, the error-check page of this answer's trace id.
    pub links: Vec<ErrorLink>,
}

/// One entry of [`ErrorBody::links`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = V3ErrorLink))]
pub struct ErrorLink {
    /// The page's URL.
    pub link: String,
    /// What the page is (`解决方案`).
    pub desc: String,
}

impl ErrorBody {
    /// The body for `code` and `message`, linking the error-check page of `trace_id`.
    pub fn new(code: &str, message: &str, trace_id: &str) -> Self {
        ErrorBody {
            code: code.to_owned(),
            message: message.to_owned(),
            links: vec![ErrorLink {
                link: format!("{ERROR_CHECK_URL_PREFIX}{trace_id}"),
                desc: ERROR_LINK_DESC.to_owned(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_wire_order_with_one_link() {
        let body = ErrorBody::new("SYSTEM_ERROR", "系统繁忙", "0b12");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"SYSTEM_ERROR","message":"系统繁忙","links":[{"link":"https://open.alipay.com/api/errCheck?traceId=0b12","desc":"解决方案"}]}"#
        );
    }
}
