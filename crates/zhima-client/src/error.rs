//! The one error type of the SDK.
//!
//! Every way a call can end other than a verified success is a variant here, so callers can
//! `match` on what happened: the network failed ([`Error::Timeout`], [`Error::Transport`]),
//! the platform answered something that is not a protocol response ([`Error::HttpStatus`],
//! [`Error::MalformedResponse`]), the answer could not be proven to come from the platform
//! ([`Error::Signature`]), or the platform refused the request ([`Error::Api`]).
//!
//! Nothing here carries key material, signatures or request URLs (a v1 URL holds `sign` and
//! `app_auth_token`), so errors can be logged as they are.

use std::fmt;

use thiserror::Error;
use zhima_proto::catalog::{CumulationCode, GatewayCode};

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is unusable (missing app id, a key that does not load, a
    /// certificate that does not match the app key…). Raised by [`crate::ClientBuilder::build`].
    #[error("configuration: {0}")]
    Config(String),
    /// The request could not be built (a model that does not serialise, a v3 path that does
    /// not start with `/`, a v3 route the API does not have…). Nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Signing or encrypting the request failed inside zhima-proto.
    #[error("signing the request: {0}")]
    Sign(#[source] zhima_proto::Error),
    /// No complete response arrived within the configured total timeout (or connect timeout).
    #[error("timed out: {0}")]
    Timeout(#[source] reqwest::Error),
    /// The connection failed, or broke before the whole response body arrived.
    #[error("transport: {0}")]
    Transport(#[source] reqwest::Error),
    /// A custom [`Transport`](crate::Transport) could not complete the exchange (retried like
    /// [`Error::Transport`]).
    #[error("transport: {0}")]
    TransportOther(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An HTTP status the protocol does not allow here: v1 answers anything but 200, or a v3
    /// error status whose body is not an error object.
    #[error("unexpected HTTP status {status}: {body_snippet}")]
    HttpStatus {
        /// The status code.
        status: u16,
        /// The start of the body (at most 512 characters), for diagnosis.
        body_snippet: String,
    },
    /// The response is not a protocol response: not JSON, no `…_response` node, a node name
    /// repeated, ciphertext that does not decrypt, a success body that does not fit the model.
    #[error("malformed response: {0}")]
    MalformedResponse(String),
    /// The response's signature is missing, malformed or wrong, or names another platform
    /// certificate. Never treated as success.
    #[error("response signature: {0}")]
    Signature(SignatureError),
    /// The platform refused the request (v1 `code` ≠ 10000, v3 HTTP ≥ 400 with an error body).
    #[error("{0}")]
    Api(ApiError),
}

/// Why a response's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The response carries no signature (v1 `sign`, v3 `alipay-signature`) where one is
    /// required, or a v3 signature header set is incomplete.
    #[error("missing: {0}")]
    Missing(String),
    /// The signature is not base64 or not the size of a signature by the platform key.
    #[error("malformed: not a base64 RSA signature of the platform key's size")]
    Malformed,
    /// The signature does not verify over the received bytes with the platform key.
    #[error("does not verify with the configured platform key")]
    Mismatch,
    /// A v3 signature header (`alipay-signature`, `alipay-timestamp`, `alipay-nonce`,
    /// `alipay-sn`) appears more than once, so which value was signed is ambiguous.
    #[error("response header {0} appears more than once")]
    Duplicate(String),
    /// The v3 `alipay-timestamp` is not epoch milliseconds within the configured window of
    /// now (see [`crate::ClientBuilder::response_max_skew`]): possibly a replayed old response.
    #[error(
        "alipay-timestamp {timestamp:?} is not within {window_secs} s of now (replayed response?)"
    )]
    Stale {
        /// The `alipay-timestamp` header as received (it is signed, so not secret).
        timestamp: String,
        /// The allowed distance from now, in seconds.
        window_secs: u64,
    },
    /// Cert mode: the response names a platform certificate (v1 `alipay_cert_sn`, v3
    /// `alipay-sn`) other than the configured one, or none at all.
    #[error("platform certificate SN {got:?} is not the configured {expected}")]
    CertSn {
        /// The SN of the configured platform certificate.
        expected: String,
        /// The SN the response names (`None` when it names none).
        got: Option<String>,
    },
}

/// A refusal by the platform, with everything the response said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// A v1 gateway refusal: `code` other than `10000`.
    V1(Box<V1ApiError>),
    /// A v3 refusal: HTTP status ≥ 400 with a `{code,message,links}` body.
    V3(Box<V3ApiError>),
}

/// A v1 refusal node (`{"code":"40004","msg":"Business Failed","sub_code":…,"sub_msg":…}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1ApiError {
    /// The gateway `code`, e.g. `40004`.
    pub code: String,
    /// The gateway `msg`, e.g. `Business Failed`.
    pub msg: String,
    /// The business or gateway `sub_code`, e.g. `ZMDATA.BIZ_STATE_CODE_ERROR`.
    pub sub_code: Option<String>,
    /// The human `sub_msg`.
    pub sub_msg: Option<String>,
    /// The whole node as JSON text (decrypted), for fields such as `fail_reason`.
    pub node_json: String,
    /// The `trace_id` response header, if any.
    pub trace_id: Option<String>,
    /// Whether the node's signature was checked and held. `false` only for an unsigned
    /// refusal (e.g. the gateway's `error_response`), which the client accepts as a refusal
    /// because an unsigned body can never become a success.
    pub verified: bool,
}

/// A v3 error response (`HTTP 4xx/5xx` + `{"code":…,"message":…,"links":[…]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The error `code`, e.g. `INVALID_CUMULATE_TYPE` or `invalid-signature`.
    pub code: String,
    /// The human `message`.
    pub message: String,
    /// The `links` (solution pages).
    pub links: Vec<ErrorLink>,
    /// The `alipay-trace-id` response header, if any.
    pub trace_id: Option<String>,
    /// The body as received (decrypted when it was encrypted).
    pub body: String,
    /// Whether the response carried a signature that verified. Error bodies are verified
    /// whenever they are signed (zhima signs them); an unsigned error body is still reported,
    /// marked `false`, since the official SDKs do not require signatures on errors.
    pub verified: bool,
}

/// One entry of a v3 error's `links`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ErrorLink {
    /// The URL.
    #[serde(default)]
    pub link: String,
    /// Its description, e.g. `解决方案`.
    #[serde(default)]
    pub desc: String,
}

impl ApiError {
    /// The most specific code: v1 `sub_code` (else `code`), v3 `code`.
    pub fn code(&self) -> &str {
        match self {
            ApiError::V1(e) => e.sub_code.as_deref().unwrap_or(&e.code),
            ApiError::V3(e) => &e.code,
        }
    }

    /// Whether the refusal's signature was verified.
    pub fn is_verified(&self) -> bool {
        match self {
            ApiError::V1(e) => e.verified,
            ApiError::V3(e) => e.verified,
        }
    }

    /// The trace id the platform returned, if any.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            ApiError::V1(e) => e.trace_id.as_deref(),
            ApiError::V3(e) => e.trace_id.as_deref(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unverified = if self.is_verified() {
            ""
        } else {
            " (unsigned)"
        };
        match self {
            ApiError::V1(e) => {
                write!(f, "v1 refusal{unverified}: {} {}", e.code, e.msg)?;
                if let Some(sub) = &e.sub_code {
                    write!(f, ", {sub}")?;
                }
                if let Some(msg) = &e.sub_msg {
                    write!(f, ": {msg}")?;
                }
                Ok(())
            }
            ApiError::V3(e) => {
                write!(
                    f,
                    "v3 refusal{unverified}: HTTP {} {}: {}",
                    e.status, e.code, e.message
                )
            }
        }
    }
}

/// v1 `code` of "Service Currently Unavailable": worth retrying.
const V1_SERVICE_UNAVAILABLE: &str = GatewayCode::ServiceUnavailable.as_str();
/// Business code of a platform-side fault: worth retrying (v1 `sub_code`, v3 `code`; the
/// state-sync table spells its `ZMDATA` twin the same).
const SYSTEM_ERROR: &str = CumulationCode::SystemError.as_str();

impl Error {
    /// Whether the retry strategy may send the request again: transport failures, HTTP 5xx,
    /// v1 code `20000`, and `SYSTEM_ERROR` (v1 `sub_code`, v3 `code`). Everything else is a
    /// definite answer (or an integrity failure that must not be papered over).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) | Error::Transport(_) | Error::TransportOther(_) => true,
            Error::HttpStatus { status, .. } => *status >= 500,
            Error::Api(ApiError::V1(e)) => {
                e.code == V1_SERVICE_UNAVAILABLE || e.sub_code.as_deref() == Some(SYSTEM_ERROR)
            }
            Error::Api(ApiError::V3(e)) => e.status >= 500 || e.code == SYSTEM_ERROR,
            _ => false,
        }
    }

    /// A short, stable word for logs and metrics (`ok` is used for successes).
    pub fn outcome(&self) -> &'static str {
        match self {
            Error::Config(_) => "config_error",
            Error::InvalidRequest(_) => "invalid_request",
            Error::Sign(_) => "sign_error",
            Error::Timeout(_) => "timeout",
            Error::Transport(_) | Error::TransportOther(_) => "transport_error",
            Error::HttpStatus { .. } => "http_status",
            Error::MalformedResponse(_) => "malformed_response",
            Error::Signature(_) => "bad_signature",
            Error::Api(_) => "api_error",
        }
    }

    /// Wraps a reqwest error, dropping its URL (a v1 URL carries `sign` and `app_auth_token`).
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        let e = e.without_url();
        if e.is_timeout() {
            Error::Timeout(e)
        } else {
            Error::Transport(e)
        }
    }
}

/// At most this many characters of an unexpected body are kept in an error.
const SNIPPET_CHARS: usize = 512;

/// The start of a body for [`Error::HttpStatus`], cut before any `"sign"` member so that
/// logging the error never logs a signature.
pub(crate) fn snippet(body: &str) -> String {
    let unsigned = body.find("\"sign\"").map_or(body, |at| &body[..at]);
    unsigned.chars().take(SNIPPET_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(code: &str, sub_code: Option<&str>) -> Error {
        Error::Api(ApiError::V1(Box::new(V1ApiError {
            code: code.into(),
            msg: String::new(),
            sub_code: sub_code.map(Into::into),
            sub_msg: None,
            node_json: "{}".into(),
            trace_id: None,
            verified: true,
        })))
    }

    fn v3(status: u16, code: &str) -> Error {
        Error::Api(ApiError::V3(Box::new(V3ApiError {
            status,
            code: code.into(),
            message: String::new(),
            links: vec![],
            trace_id: None,
            body: String::new(),
            verified: true,
        })))
    }

    #[test]
    fn only_the_documented_failures_are_retryable() {
        assert!(v1("20000", Some("isp.unknow-error")).is_retryable());
        assert!(v1("40004", Some("SYSTEM_ERROR")).is_retryable());
        assert!(!v1("40004", Some("IDEMPOTENT_ERROR")).is_retryable());
        assert!(!v1("40002", Some("isv.invalid-signature")).is_retryable());
        assert!(v3(500, "SYSTEM_ERROR").is_retryable());
        assert!(v3(400, "SYSTEM_ERROR").is_retryable());
        assert!(v3(503, "unknow-error").is_retryable());
        assert!(!v3(400, "INVALID_CUMULATE_TYPE").is_retryable());
        assert!(Error::HttpStatus {
            status: 502,
            body_snippet: String::new()
        }
        .is_retryable());
        assert!(!Error::HttpStatus {
            status: 404,
            body_snippet: String::new()
        }
        .is_retryable());
        assert!(!Error::Signature(SignatureError::Mismatch).is_retryable());
        assert!(!Error::MalformedResponse("x".into()).is_retryable());
    }

    #[test]
    fn snippets_are_short_and_never_hold_a_signature() {
        assert_eq!(
            snippet(r#"{"a_response":{"code":"1"},"sign":"SECRET"}"#),
            r#"{"a_response":{"code":"1"},"#
        );
        assert_eq!(snippet(&"x".repeat(2000)).len(), SNIPPET_CHARS);
        assert_eq!(snippet("<html>502</html>"), "<html>502</html>");
    }

    #[test]
    fn api_error_display_names_every_code() {
        let e = v1("40004", Some("ZMDATA.USER_ID_ERROR"));
        assert_eq!(e.to_string(), "v1 refusal: 40004 , ZMDATA.USER_ID_ERROR");
        let Error::Api(api) = v3(400, "IDEMPOTENT_ERROR") else {
            unreachable!()
        };
        assert_eq!(api.code(), "IDEMPOTENT_ERROR");
        assert_eq!(api.to_string(), "v3 refusal: HTTP 400 IDEMPOTENT_ERROR: ");
    }
}
