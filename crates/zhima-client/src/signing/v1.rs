//! v1 gateway: building a signed request and judging its response.
//!
//! All bytes come from zhima-proto: [`zhima_proto::v1::build_request`] signs and lays out the
//! parameters as the chosen official SDK does, [`zhima_proto::v1::extract_signed_node`] and
//! [`zhima_proto::v1::verify_response`] find and verify the signed node.

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use zhima_proto::catalog::GatewayCode;
use zhima_proto::v1::{self, Charset, GatewayParams, SdkLayout};

use super::malformed_or;
use crate::config::Config;
use crate::error::{snippet, ApiError, Error, Result, SignatureError, V1ApiError};
use crate::transport::HttpResponse;

/// The v1 `code` of success.
const SUCCESS_CODE: &str = GatewayCode::Success.as_str();

/// A verified v1 success (`code` `10000`, no `sub_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Response {
    /// The method called.
    pub method: String,
    /// `code`, always `10000` here (and the node has no `sub_code`).
    pub code: String,
    /// `msg`, normally `Success`.
    pub msg: String,
    /// The response node as JSON text (decrypted when the response was encrypted).
    pub node_json: String,
    /// The `trace_id` response header, if any.
    pub trace_id: Option<String>,
    /// How many attempts the call took.
    pub attempts: u32,
}

impl V1Response {
    /// Parses the node into a response model (`code`/`msg` and unknown fields are ignored).
    ///
    /// ```
    /// # use zhima_client::V1Response;
    /// use zhima_client::models::ZhimaDataStateDataSyncResponse;
    ///
    /// let r = V1Response {
    ///     method: "zhima.data.state.data.sync".into(),
    ///     code: "10000".into(),
    ///     msg: "Success".into(),
    ///     node_json: r#"{"code":"10000","msg":"Success","biz_result":"success"}"#.into(),
    ///     trace_id: None,
    ///     attempts: 1,
    /// };
    /// let data: ZhimaDataStateDataSyncResponse = r.parse()?;
    /// assert_eq!(data.biz_result.as_deref(), Some("success"));
    /// # Ok::<(), zhima_client::Error>(())
    /// ```
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        zhima_proto::models::from_json(&self.node_json).map_err(|e| {
            Error::MalformedResponse(format!("{} node does not fit the model: {e}", self.method))
        })
    }
}

/// The business content of one call, ready to be signed again for each attempt.
pub(crate) struct V1Call<'a> {
    pub(crate) method: &'a str,
    /// `biz_content` as sent: the JSON text, or its AES ciphertext.
    biz_content: String,
    encrypted: bool,
}

impl<'a> V1Call<'a> {
    /// Encrypts the content once (AES-CBC with a zero IV is deterministic, so every attempt
    /// sends the same ciphertext).
    pub(crate) fn new(config: &Config, method: &'a str, biz_json: &str) -> Self {
        match config
            .creds
            .aes
            .as_ref()
            .filter(|_| config.creds.encrypt_requests)
        {
            Some(key) => Self {
                method,
                biz_content: key.encrypt(biz_json.as_bytes()),
                encrypted: true,
            },
            None => Self {
                method,
                biz_content: biz_json.to_string(),
                encrypted: false,
            },
        }
    }

    /// Builds and signs one attempt with the current time.
    pub(crate) fn request(&self, config: &Config) -> Result<reqwest::Request> {
        let params = self.params(config);
        let signed = v1::build_request(&params, &*config.creds.signer, config.layout)
            .map_err(Error::Sign)?;
        let mut url = config.gateway_url.clone();
        url.set_query(Some(&signed.query));
        let content_type = match config.layout {
            SdkLayout::Python => "application/x-www-form-urlencoded;charset=utf-8",
            SdkLayout::Node => "application/x-www-form-urlencoded;charset=UTF-8",
        };
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        *request.body_mut() = Some(signed.body.into());
        Ok(request)
    }

    /// The signed GET URL of a page method, exactly as the official Python SDK's
    /// `page_execute(request, http_method="GET")` writes it: the gateway, `?`, the common
    /// parameters (with `return_url` and `sign`), `&`, then `biz_content`.
    pub(crate) fn page_url(&self, config: &Config, return_url: Option<&str>) -> Result<String> {
        let mut params = self.params(config);
        if let Some(url) = return_url {
            params.insert("return_url", url);
        }
        let signed = v1::build_request(&params, &*config.creds.signer, config.layout)
            .map_err(Error::Sign)?;
        let mut gateway = config.gateway_url.clone();
        gateway.set_query(None);
        Ok(format!("{gateway}?{}&{}", signed.query, signed.body))
    }

    /// The parameters of one attempt: the common ones plus `biz_content`.
    fn params(&self, config: &Config) -> GatewayParams {
        let creds = &config.creds;
        let timestamp = zhima_proto::time::format_alipay_datetime(&config.sources.clock.now());
        let mut params = GatewayParams::from_pairs([
            ("app_id", creds.app_id.as_str()),
            ("method", self.method),
            ("charset", Charset::Utf8.as_str()),
            ("sign_type", config.sign_type.as_str()),
            ("timestamp", timestamp.as_str()),
            ("version", v1::VERSION),
        ]);
        // The Node SDK does not send `format`; Python and Java send `format=json`.
        if config.layout == SdkLayout::Python {
            params.insert("format", "json");
        }
        if let Some(token) = &creds.app_auth_token {
            params.insert("app_auth_token", token.as_str());
        }
        if let Some(cert) = &creds.cert {
            params.insert("app_cert_sn", cert.app_cert_sn.as_str());
            params.insert("alipay_root_cert_sn", cert.root_cert_sn.as_str());
        }
        if self.encrypted {
            params.insert("encrypt_type", zhima_proto::aes::ENCRYPT_TYPE);
        }
        if !self.biz_content.is_empty() {
            params.insert("biz_content", self.biz_content.as_str());
        }
        params
    }

    /// Judges a response: HTTP 200 only, signature required on success, cert SN checked,
    /// then success or a typed refusal.
    pub(crate) fn response(
        &self,
        config: &Config,
        raw: &HttpResponse,
        attempts: u32,
    ) -> Result<V1Response> {
        if raw.status != 200 {
            return Err(Error::HttpStatus {
                status: raw.status,
                body_snippet: snippet(&raw.body),
            });
        }
        let trace_id = raw.header(v1::HEADER_TRACE_ID).map(str::to_string);
        let node = v1::extract_signed_node(&raw.body, self.method)
            .map_err(|e| Error::MalformedResponse(e.to_string()))?;
        reject_other_nodes(&node)?;
        let Some(sign) = node.sign.as_deref().filter(|s| !s.is_empty()) else {
            return Err(unsigned(&node, trace_id));
        };
        let key = &config.creds.platform_key;
        if let Some(cert) = &config.creds.cert {
            if node.cert_sn.as_deref() != Some(cert.platform_cert_sn.as_str()) {
                let wrong_sn = Error::Signature(SignatureError::CertSn {
                    expected: cert.platform_cert_sn.clone(),
                    got: node.cert_sn.clone(),
                });
                return Err(malformed_or(sign, key, wrong_sn));
            }
        }
        let verified = v1::verify_node(
            &node,
            key,
            config.sign_type,
            Charset::Utf8,
            config.creds.aes.as_ref(),
        )
        .map_err(|e| match e {
            zhima_proto::Error::BadSignature => {
                malformed_or(sign, key, Error::Signature(SignatureError::Mismatch))
            }
            zhima_proto::Error::MissingSignature => {
                Error::Signature(SignatureError::Missing("sign".into()))
            }
            other => Error::MalformedResponse(other.to_string()),
        })?;
        let head = NodeHead::parse(&verified.node_json)?;
        if !head.is_success() {
            return Err(head.refusal(verified.node_json, trace_id, true));
        }
        if node.is_error_response() {
            // error_response names no method, so even signed it proves nothing about this call.
            return Err(Error::MalformedResponse(
                "error_response with a success code".into(),
            ));
        }
        Ok(V1Response {
            method: self.method.to_string(),
            code: head.code,
            msg: head.msg.unwrap_or_default(),
            node_json: verified.node_json,
            trace_id,
            attempts,
        })
    }
}

/// An unsigned body is never a success: an unsigned refusal (the gateway's `error_response`,
/// which Java and Node accept) is reported as an unverified refusal, anything else as a
/// missing signature.
fn unsigned(node: &v1::SignedNode<'_>, trace_id: Option<String>) -> Error {
    let missing = || Error::Signature(SignatureError::Missing("the response has no sign".into()));
    if node.is_encrypted() {
        return missing();
    }
    match NodeHead::parse(node.content) {
        Ok(head) if !head.is_success() => head.refusal(node.content.to_string(), trace_id, false),
        _ => missing(),
    }
}

/// Refuses a body holding a second response node next to the one found (e.g. an
/// `error_response` beside a signed success): the Java SDK reads the *first* object member,
/// so such a body means different things to different SDKs.
fn reject_other_nodes(node: &v1::SignedNode<'_>) -> Result<()> {
    match node.other_nodes.first() {
        Some(name) => Err(Error::MalformedResponse(format!(
            "body holds both {:?} and {name:?}",
            node.node_key
        ))),
        None => Ok(()),
    }
}

/// The common fields of every node.
#[derive(Deserialize)]
struct NodeHead {
    code: String,
    msg: Option<String>,
    sub_code: Option<String>,
    sub_msg: Option<String>,
}

impl NodeHead {
    /// Success as the official SDKs judge it: `code` 10000 and no `sub_code`
    /// (`AlipayResponse.isSuccess` tests the sub_code alone).
    fn is_success(&self) -> bool {
        self.code == SUCCESS_CODE && self.sub_code.as_deref().is_none_or(str::is_empty)
    }

    fn parse(node_json: &str) -> Result<Self> {
        serde_json::from_str(node_json)
            .map_err(|e| Error::MalformedResponse(format!("response node has no string code: {e}")))
    }

    fn refusal(self, node_json: String, trace_id: Option<String>, verified: bool) -> Error {
        Error::Api(ApiError::V1(Box::new(V1ApiError {
            code: self.code,
            msg: self.msg.unwrap_or_default(),
            sub_code: self.sub_code.filter(|s| !s.is_empty()),
            sub_msg: self.sub_msg.filter(|s| !s.is_empty()),
            node_json,
            trace_id,
            verified,
        })))
    }
}
