//! v3 REST: building a signed request and judging its response.
//!
//! The `Authorization` header comes from [`zhima_proto::v3::Authorization::sign`], response
//! verification from [`zhima_proto::v3::verify_response`]. The request-target that is signed
//! is read back from the parsed URL that is sent, so the two cannot differ.

use reqwest::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use zhima_proto::v3::{self, AuthString, Authorization};

use super::malformed_or;
use crate::config::Config;
use crate::error::{snippet, ApiError, Error, ErrorLink, Result, SignatureError, V3ApiError};
use crate::transport::HttpResponse;

/// A verified v3 success (HTTP 2xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Response {
    /// The HTTP status.
    pub status: u16,
    /// The body as JSON text (decrypted when the response was encrypted).
    pub body: String,
    /// The `alipay-trace-id` response header, if any.
    pub trace_id: Option<String>,
    /// How many attempts the call took.
    pub attempts: u32,
}

impl V3Response {
    /// Parses the body into a response model (unknown fields are ignored).
    ///
    /// ```
    /// # use zhima_client::V3Response;
    /// use zhima_client::models::ZhimaCreditPeZmgoCumulationSyncResponse;
    ///
    /// let r = V3Response { status: 200, body: r#"{"out_biz_no":"B1"}"#.into(), trace_id: None, attempts: 1 };
    /// let data: ZhimaCreditPeZmgoCumulationSyncResponse = r.parse()?;
    /// assert_eq!(data.out_biz_no.as_deref(), Some("B1"));
    /// # Ok::<(), zhima_client::Error>(())
    /// ```
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        zhima_proto::models::from_json(&self.body)
            .map_err(|e| Error::MalformedResponse(format!("body does not fit the model: {e}")))
    }
}

/// One v3 call, ready to be signed again for each attempt.
pub(crate) struct V3Call {
    method: Method,
    url: Url,
    /// Path and query exactly as sent (line 3 of the string-to-sign).
    request_uri: String,
    /// The body as sent: JSON text, or its AES ciphertext.
    body: Option<String>,
    encrypted: bool,
    /// `alipay-request-id`: one per call, kept across retries so they can be correlated.
    request_id: String,
}

impl V3Call {
    /// Resolves the URL and encrypts the body once (AES with a zero IV is deterministic).
    pub(crate) fn new(
        config: &Config,
        method: Method,
        path_and_query: &str,
        body: Option<&str>,
    ) -> Result<Self> {
        if !path_and_query.starts_with('/') {
            return Err(Error::InvalidRequest(format!(
                "v3 path {path_and_query:?} must start with /"
            )));
        }
        let url = Url::parse(&format!("{}{path_and_query}", config.v3_base_url))
            .map_err(|e| Error::InvalidRequest(format!("v3 path {path_and_query:?}: {e}")))?;
        let request_uri = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let aes = config
            .creds
            .aes
            .as_ref()
            .filter(|_| config.creds.encrypt_requests);
        let (body, encrypted) = match (body, aes) {
            (Some(text), Some(key)) if !text.is_empty() => {
                (Some(key.encrypt(text.as_bytes())), true)
            }
            (body, _) => (body.map(str::to_string), false),
        };
        let request_id = crate::clock::random_uuid().simple().to_string();
        Ok(Self {
            method,
            url,
            request_uri,
            body,
            encrypted,
            request_id,
        })
    }

    /// Builds and signs one attempt with the current time and a fresh nonce.
    pub(crate) fn request(&self, config: &Config) -> Result<reqwest::Request> {
        let creds = &config.creds;
        let fields = AuthString {
            app_id: creds.app_id.clone(),
            app_cert_sn: creds.cert.as_ref().map(|c| c.app_cert_sn.clone()),
            nonce: config.sources.nonce.nonce(),
            timestamp: config.sources.clock.now().timestamp_millis().to_string(),
            extra: Vec::new(),
        };
        let auth = Authorization::sign(
            &*creds.signer,
            fields,
            self.method.as_str(),
            &self.request_uri,
            self.body.as_deref().unwrap_or(""),
            creds.app_auth_token.as_deref(),
        )
        .map_err(Error::Sign)?;
        let mut request = reqwest::Request::new(self.method.clone(), self.url.clone());
        let mut headers = vec![
            (AUTHORIZATION, auth.header_value()),
            (
                HeaderName::from_static(v3::HEADER_REQUEST_ID),
                self.request_id.clone(),
            ),
            (ACCEPT, "application/json".to_string()),
        ];
        if let Some(token) = &creds.app_auth_token {
            headers.push((
                HeaderName::from_static(v3::HEADER_APP_AUTH_TOKEN),
                token.clone(),
            ));
        }
        if let Some(cert) = &creds.cert {
            headers.push((
                HeaderName::from_static(v3::HEADER_ROOT_CERT_SN),
                cert.root_cert_sn.clone(),
            ));
        }
        if self.body.is_some() {
            let content_type = if self.encrypted {
                "text/plain"
            } else {
                "application/json"
            };
            headers.push((CONTENT_TYPE, content_type.to_string()));
        }
        if self.encrypted {
            headers.push((
                HeaderName::from_static(v3::HEADER_ENCRYPT_TYPE),
                zhima_proto::aes::ENCRYPT_TYPE.to_string(),
            ));
        }
        for (name, value) in headers {
            let value = HeaderValue::from_str(&value).map_err(|_| {
                Error::InvalidRequest(format!("header {name} has characters HTTP cannot carry"))
            })?;
            request.headers_mut().insert(name, value);
        }
        *request.body_mut() = self.body.clone().map(Into::into);
        Ok(request)
    }

    /// Judges a response: 2xx must be signed and verify; ≥ 400 is a refusal, verified when
    /// signed and marked unverified when not; anything else is an unexpected status.
    pub(crate) fn response(
        &self,
        config: &Config,
        raw: &HttpResponse,
        attempts: u32,
    ) -> Result<V3Response> {
        let trace_id = raw.header(v3::HEADER_TRACE_ID).map(str::to_string);
        match raw.status {
            200..=299 => {
                verify(config, raw)?;
                let body = if self.encrypted {
                    decrypt(config, &raw.body)?
                } else {
                    raw.body.clone()
                };
                Ok(V3Response {
                    status: raw.status,
                    body,
                    trace_id,
                    attempts,
                })
            }
            400.. => {
                let signed = raw
                    .header(v3::HEADER_SIGNATURE)
                    .is_some_and(|s| !s.is_empty() && s != "null");
                if signed {
                    verify(config, raw)?;
                }
                Err(self.refusal(config, raw, trace_id, signed))
            }
            status => Err(Error::HttpStatus {
                status,
                body_snippet: snippet(&raw.body),
            }),
        }
    }

    /// The typed refusal of an error response, or [`Error::HttpStatus`] when the body is not
    /// an error object (e.g. a proxy's HTML page).
    fn refusal(
        &self,
        config: &Config,
        raw: &HttpResponse,
        trace_id: Option<String>,
        verified: bool,
    ) -> Error {
        let body = if self.encrypted && !raw.body.trim_start().starts_with('{') {
            decrypt(config, &raw.body).unwrap_or_else(|_| raw.body.clone())
        } else {
            raw.body.clone()
        };
        match serde_json::from_str::<ErrorBody>(&body) {
            Ok(e) if !e.code.is_empty() => Error::Api(ApiError::V3(Box::new(V3ApiError {
                status: raw.status,
                code: e.code,
                message: e.message.unwrap_or_default(),
                links: e.links.map(parse_links).unwrap_or_default(),
                trace_id,
                body,
                verified,
            }))),
            _ => Error::HttpStatus {
                status: raw.status,
                body_snippet: snippet(&raw.body),
            },
        }
    }
}

/// The fuzz target's entry (not API): judges a response to a `POST` of `request_body` (sent
/// encrypted when the client encrypts) exactly as [`crate::ZhimaClient::request`] does. Header
/// pairs HTTP cannot carry are dropped, as the HTTP stack would refuse them.
#[doc(hidden)]
pub fn fuzz_v3_response(
    client: &crate::ZhimaClient,
    request_body: Option<&str>,
    status: u16,
    headers: &[(&[u8], &[u8])],
    body: String,
) -> Result<V3Response> {
    let config = client.config();
    let call = V3Call::new(config, Method::POST, "/v3/fuzz", request_body)?;
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            map.append(name, value);
        }
    }
    let raw = HttpResponse {
        status,
        headers: map,
        body,
    };
    call.response(config, &raw, 1)
}

/// Checks the response signature headers over the raw body, fail-closed.
fn verify(config: &Config, raw: &HttpResponse) -> Result<()> {
    let key = &config.creds.platform_key;
    reject_duplicate_headers(raw)?;
    let signature = raw
        .header(v3::HEADER_SIGNATURE)
        .filter(|s| !s.is_empty() && *s != "null")
        .ok_or_else(|| {
            Error::Signature(SignatureError::Missing(format!(
                "{} header",
                v3::HEADER_SIGNATURE
            )))
        })?;
    checked_signature(config, raw, signature).map_err(|e| malformed_or(signature, key, e))
}

/// The certificate SN, the signature and the freshness of a response whose signature header
/// is present.
fn checked_signature(config: &Config, raw: &HttpResponse, signature: &str) -> Result<()> {
    let key = &config.creds.platform_key;
    let sn = raw.header(v3::HEADER_SN);
    let expected = config
        .creds
        .cert
        .as_ref()
        .map(|c| c.platform_cert_sn.as_str());
    if let Some(expected) = expected {
        if sn != Some(expected) {
            return Err(Error::Signature(SignatureError::CertSn {
                expected: expected.to_string(),
                got: sn.map(str::to_string),
            }));
        }
    }
    let timestamp = raw.header(v3::HEADER_TIMESTAMP);
    v3::verify_response(
        key,
        timestamp,
        raw.header(v3::HEADER_NONCE),
        Some(signature),
        sn,
        expected,
        &raw.body,
    )
    .map_err(|e| match e {
        zhima_proto::Error::BadSignature => Error::Signature(SignatureError::Mismatch),
        zhima_proto::Error::MissingSignature => {
            Error::Signature(SignatureError::Missing(v3::HEADER_SIGNATURE.into()))
        }
        // Missing alipay-timestamp / alipay-nonce: the signed header set is incomplete.
        zhima_proto::Error::V3Header(msg) => Error::Signature(SignatureError::Missing(msg)),
        other => Error::MalformedResponse(other.to_string()),
    })?;
    // Only a verified timestamp is worth judging: it is signed, so it cannot be edited.
    check_freshness(config, timestamp.unwrap_or_default())
}

/// The signed response headers, each of which must appear at most once.
const SIGNED_HEADERS: [&str; 4] = [
    v3::HEADER_SIGNATURE,
    v3::HEADER_TIMESTAMP,
    v3::HEADER_NONCE,
    v3::HEADER_SN,
];

/// Refuses repeated signature headers: with two values, which one was signed (and which one
/// another reader of the response would use) is ambiguous.
fn reject_duplicate_headers(raw: &HttpResponse) -> Result<()> {
    match SIGNED_HEADERS
        .into_iter()
        .find(|name| raw.headers.get_all(*name).iter().count() > 1)
    {
        Some(name) => Err(Error::Signature(SignatureError::Duplicate(name.into()))),
        None => Ok(()),
    }
}

/// Refuses a response whose `alipay-timestamp` (epoch ms) is further from the client clock
/// than the configured window: a replayed old response verifies, but is stale.
fn check_freshness(config: &Config, timestamp: &str) -> Result<()> {
    let Some(window) = config.response_max_skew else {
        return Ok(());
    };
    let now = config.sources.clock.now().timestamp_millis();
    let fresh = timestamp
        .parse::<i64>()
        .ok()
        .map(|ms| now.abs_diff(ms))
        .is_some_and(|age| u128::from(age) <= window.as_millis());
    if fresh {
        Ok(())
    } else {
        Err(Error::Signature(SignatureError::Stale {
            timestamp: timestamp.to_string(),
            window_secs: window.as_secs(),
        }))
    }
}

fn decrypt(config: &Config, body: &str) -> Result<String> {
    let key = config
        .creds
        .aes
        .as_ref()
        .ok_or_else(|| Error::MalformedResponse("encrypted response but no AES key".into()))?;
    key.decrypt_to_string(body)
        .map_err(|e| Error::MalformedResponse(format!("encrypted body: {e}")))
}

/// A v3 error body. `links` is an array of `{link, desc}` on the wire (Node); the Java v3
/// model types it as a string, which is accepted too.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    message: Option<String>,
    links: Option<serde_json::Value>,
}

fn parse_links(value: serde_json::Value) -> Vec<ErrorLink> {
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        serde_json::Value::String(link) => vec![ErrorLink {
            link,
            desc: String::new(),
        }],
        _ => Vec::new(),
    }
}
