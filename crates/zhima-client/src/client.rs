//! [`ZhimaClient`]: the entry point. Generic calls live here ([`ZhimaClient::execute`] for v1,
//! [`ZhimaClient::request`] for v3); typed calls hang off [`ZhimaClient::v1`] and
//! [`ZhimaClient::v3`], one file per API under `api/`.

use std::fmt;
use std::sync::Arc;

use reqwest::Method;

use crate::config::Config;
use crate::error::Result;
use crate::signing::v1::{V1Call, V1Response};
use crate::signing::v3::{V3Call, V3Response};
use crate::transport::{self, CallInfo, HttpResponse, RequestStrategy};

/// An async client of the Alipay / Zhima open platform (production, sandbox or a local
/// `zhima serve`), v1 gateway and v3 REST.
///
/// Cheap to clone (the configuration and connection pool are shared). Every request is signed
/// with the app key and every response verified with the platform key before anything is
/// returned; see [`crate::Error`] for the ways a call can fail.
///
/// ```no_run
/// use zhima_client::{Endpoint, ZhimaClient};
/// use zhima_client::models::ZhimaDataStateDataSyncModel;
///
/// # async fn demo(app_key: &str, platform_key: &str) -> Result<(), zhima_client::Error> {
/// let client = ZhimaClient::builder()
///     .app_id("2021000000000001")
///     .app_private_key(app_key)
///     .platform_public_key(platform_key)
///     .endpoint(Endpoint::local("http://127.0.0.1:8080"))
///     .build()?;
/// let model = ZhimaDataStateDataSyncModel { out_biz_no: Some("ZMDS1".into()), ..Default::default() };
/// let reply = client.v1().state_data_sync(&model).await?;
/// println!("{:?}", reply.data.biz_result);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ZhimaClient {
    config: Arc<Config>,
    strategy: RequestStrategy,
}

impl fmt::Debug for ZhimaClient {
    // Keys show as fingerprints and the auth token is redacted (see `Credentials`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZhimaClient")
            .field("credentials", &self.config.creds)
            .field("gateway_url", &self.config.gateway_url.as_str())
            .field("v3_base_url", &self.config.v3_base_url)
            .field("layout", &self.config.layout)
            .field("sign_type", &self.config.sign_type)
            .field("strategy", &self.strategy)
            .finish()
    }
}

/// A typed success: the response model plus call facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<T> {
    /// The business fields of the response.
    pub data: T,
    /// The platform's trace id (v1 `trace_id`, v3 `alipay-trace-id` header), if any.
    pub trace_id: Option<String>,
    /// How many attempts the call took.
    pub attempts: u32,
}

impl ZhimaClient {
    pub(crate) fn from_parts(config: Arc<Config>, strategy: RequestStrategy) -> Self {
        Self { config, strategy }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// A client sharing this one's configuration and connections but retrying differently.
    ///
    /// ```
    /// # use zhima_client::{RequestStrategy, ZhimaClient};
    /// # use zhima_client::proto::keys::PrivateKey;
    /// # let client = ZhimaClient::builder().app_id("1")
    /// #     .app_key(PrivateKey::generate().unwrap())
    /// #     .platform_key(PrivateKey::generate().unwrap().public_key()).build().unwrap();
    /// let patient = client.with_strategy(RequestStrategy::retry(5));
    /// assert_eq!(patient.strategy().max_attempts(), 5);
    /// assert_eq!(client.strategy(), RequestStrategy::Once);
    /// ```
    pub fn with_strategy(&self, strategy: RequestStrategy) -> Self {
        Self {
            config: Arc::clone(&self.config),
            strategy,
        }
    }

    /// The configured `app_id`.
    pub fn app_id(&self) -> &str {
        &self.config.creds.app_id
    }

    /// The retry strategy in use.
    pub fn strategy(&self) -> RequestStrategy {
        self.strategy
    }

    /// The typed v1 gateway methods.
    pub fn v1(&self) -> V1<'_> {
        V1 { client: self }
    }

    /// The typed v3 REST methods.
    pub fn v3(&self) -> V3<'_> {
        V3 { client: self }
    }

    /// Calls any v1 gateway `method` with `biz_content` JSON text sent verbatim (encrypted
    /// first when the client encrypts). Succeeds only with a verified `code` `10000` node.
    ///
    /// ```no_run
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let reply = client
    ///     .execute("zhima.credit.pe.zmgo.agreement.query", r#"{"agreement_id":"20195108518085620000"}"#)
    ///     .await?;
    /// println!("{}", reply.node_json);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn execute(&self, method: &str, biz_content: &str) -> Result<V1Response> {
        let config = self.config();
        let call = V1Call::new(config, method, biz_content);
        let info = CallInfo {
            protocol: "v1",
            method,
            content: Some(biz_content),
        };
        self.run(
            info,
            |config| call.request(config),
            |config, raw, attempt| call.response(config, raw, attempt),
        )
        .await
    }

    /// The signed URL of a v1 page method (`zhima.credit.pe.zmgo.sign.apply`): what the
    /// user's browser opens, byte for byte the official Python SDK's
    /// `page_execute(request, http_method="GET")`. Nothing is sent.
    ///
    /// ```no_run
    /// # fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let url = client.page_url(
    ///     "zhima.credit.pe.zmgo.sign.apply",
    ///     r#"{"partner_id":"2088621805983504","preorder_no":"P1"}"#,
    ///     Some("https://merchant.example/back"),
    /// )?;
    /// println!("{url}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn page_url(
        &self,
        method: &str,
        biz_content: &str,
        return_url: Option<&str>,
    ) -> Result<String> {
        let config = self.config();
        V1Call::new(config, method, biz_content).page_url(config, return_url)
    }

    /// Calls any v3 route: `path_and_query` such as `/v3/zhima/merchant/zmgo/cumulate/query?agreement_id=1`
    /// (sent and signed exactly as the URL parser normalises it), `body` the JSON text for
    /// POST/PUT (encrypted first when the client encrypts). Succeeds only with a verified 2xx.
    ///
    /// ```no_run
    /// use zhima_client::Method;
    /// # async fn demo(client: zhima_client::ZhimaClient) -> Result<(), zhima_client::Error> {
    /// let reply = client
    ///     .request(Method::GET, "/v3/zhima/credit/pe/zmgo/agreement/query?agreement_id=1", None)
    ///     .await?;
    /// println!("{} {}", reply.status, reply.body);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&str>,
    ) -> Result<V3Response> {
        let config = self.config();
        let call = V3Call::new(config, method.clone(), path_and_query, body)?;
        let label = format!(
            "{method} {}",
            path_and_query.split('?').next().unwrap_or_default()
        );
        let info = CallInfo {
            protocol: "v3",
            method: &label,
            content: body,
        };
        self.run(
            info,
            |config| call.request(config),
            |config, raw, attempt| call.response(config, raw, attempt),
        )
        .await
    }

    /// Runs one call under the retry strategy: every attempt builds the request afresh with
    /// `request`, sends it and judges the reply with `response` (given the attempt count).
    async fn run<T>(
        &self,
        info: CallInfo<'_>,
        request: impl Fn(&Config) -> Result<reqwest::Request>,
        response: impl Fn(&Config, &HttpResponse, u32) -> Result<T>,
    ) -> Result<T> {
        let config = self.config();
        let (request, response) = (&request, &response);
        let (reply, _) = transport::run(self.strategy, info, |attempt| async move {
            let raw = config.transport.send(request(config)?).await?;
            response(config, &raw, attempt)
        })
        .await?;
        Ok(reply)
    }
}

/// Typed v1 gateway methods: `client.v1().cumulation_sync(&model)`.
#[derive(Debug, Clone, Copy)]
pub struct V1<'c> {
    pub(crate) client: &'c ZhimaClient,
}

/// Typed v3 REST methods: `client.v3().cumulation_sync(&model)`.
#[derive(Debug, Clone, Copy)]
pub struct V3<'c> {
    pub(crate) client: &'c ZhimaClient,
}
