//! Sending requests: one HTTP exchange ([`Transport`], by default [`ReqwestTransport`]) and
//! the attempt loop with retries and tracing ([`run`]).

mod strategy;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use reqwest::header::HeaderMap;
use tracing::field::Empty;
use tracing::Instrument as _;

pub use strategy::{RequestStrategy, DEFAULT_BASE_DELAY, DEFAULT_MAX_DELAY};

use crate::content::idempotency_key;
use crate::error::{snippet, Error, Result};

/// A boxed future, as [`Transport::send`] returns it.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One HTTP exchange: sends a signed request and returns the whole response.
///
/// The client builds and signs every request before handing it over, and judges and verifies
/// what comes back afterwards, so a transport only moves bytes: it must not change the
/// request (its URL, headers and body are what was signed) and should return the response as
/// received. [`ReqwestTransport`] is the default; implement this to send through another HTTP
/// stack or a proxy with its own authentication, or to answer in-process in tests and
/// benchmarks ([`ClientBuilder::transport`](crate::ClientBuilder::transport)). Failures are
/// [`Error::Transport`] / [`Error::Timeout`] from reqwest, or [`Error::TransportOther`]; all
/// three are retried by [`RequestStrategy::Retry`].
///
/// ```
/// use zhima_client::{BoxFuture, HttpResponse, Transport};
///
/// /// Answers every request with 503, without any network.
/// struct Down;
///
/// impl Transport for Down {
///     fn send(&self, _request: reqwest::Request) -> BoxFuture<'_, zhima_client::Result<HttpResponse>> {
///         Box::pin(async { Ok(HttpResponse::new(503, "down")) })
///     }
/// }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and returns the response with its whole body. An implementation that
    /// buffers bodies should bound them (the default refuses more than
    /// [`MAX_RESPONSE_BYTES`]).
    fn send(&self, request: reqwest::Request) -> BoxFuture<'_, Result<HttpResponse>>;
}

/// A complete HTTP response: status, headers and the whole body as UTF-8 text. No `Debug`:
/// the headers hold the response signature, which is never to be logged.
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The response headers (v3 signatures are in `alipay-signature` and its companions).
    pub headers: HeaderMap,
    /// The body, as received.
    pub body: String,
}

impl HttpResponse {
    /// A response with no headers.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// A header's value if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The largest response body accepted (4 MiB). Zhima answers are a few kilobytes; a body
/// past this is refused rather than buffered, so a broken or hostile endpoint cannot make the
/// client hold an unbounded amount of memory.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The default [`Transport`]: a [`reqwest::Client`] (connection pool, rustls), reading at most
/// [`MAX_RESPONSE_BYTES`] of body.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport over `client`. The client should not follow redirects (a redirected signed
    /// request is never what the caller meant); the one [`ClientBuilder`](crate::ClientBuilder)
    /// makes does not.
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: reqwest::Request) -> BoxFuture<'_, Result<HttpResponse>> {
        Box::pin(send(&self.client, request))
    }
}

/// Sends one request and reads the whole body (at most [`MAX_RESPONSE_BYTES`]). A body cut
/// short is a transport error; a 2xx body that is not UTF-8 (all Alipay payloads are UTF-8
/// JSON or base64) is a malformed response, any other status an [`Error::HttpStatus`].
async fn send(http: &reqwest::Client, request: reqwest::Request) -> Result<HttpResponse> {
    let mut response = http.execute(request).await.map_err(Error::from_reqwest)?;
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let too_large = || {
        Error::MalformedResponse(format!(
            "response body larger than {MAX_RESPONSE_BYTES} bytes"
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(response.content_length().map_or(0, |n| n as usize));
    while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    let body = match String::from_utf8(bytes) {
        Ok(body) => body,
        // A proxy's error page in another charset must stay an HTTP status error (a 5xx one
        // is retryable), not become a malformed protocol response.
        Err(e) if !(200..300).contains(&status) => {
            return Err(Error::HttpStatus {
                status,
                body_snippet: snippet(&String::from_utf8_lossy(e.as_bytes())),
            })
        }
        Err(e) => {
            return Err(Error::MalformedResponse(format!(
                "body is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            )))
        }
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// What a call is about, for its tracing span.
#[derive(Debug)]
pub(crate) struct CallInfo<'a> {
    /// `v1` or `v3`.
    pub(crate) protocol: &'static str,
    /// The v1 method, or the v3 HTTP method and path.
    pub(crate) method: &'a str,
    /// The request's business content, whose `out_biz_no` (or `out_request_no`) the span
    /// carries; read only when the span is recorded.
    pub(crate) content: Option<&'a str>,
}

/// Runs `attempt` (given the 1-based attempt number) until it succeeds, fails in a way that is
/// not retryable, or the strategy's attempts are used up; returns the value and the number of
/// attempts made.
///
/// Everything happens inside a `zhima_call` span carrying the method, `out_biz_no`, the
/// attempt count, the latency and the outcome. Only these facts are recorded — never keys,
/// signatures, tokens or URLs.
pub(crate) async fn run<T, F, Fut>(
    strategy: RequestStrategy,
    info: CallInfo<'_>,
    mut attempt: F,
) -> Result<(T, u32)>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let span = tracing::info_span!(
        "zhima_call",
        protocol = info.protocol,
        method = info.method,
        out_biz_no = Empty,
        attempt = Empty,
        latency_ms = Empty,
        outcome = Empty,
    );
    if !span.is_disabled() {
        // Parsing the content again is worth it only for a subscriber that listens.
        let key = info.content.and_then(idempotency_key);
        span.record("out_biz_no", key.as_deref().unwrap_or(""));
    }
    let started = Instant::now();
    let max = strategy.max_attempts();
    let result = async {
        let mut n = 1;
        loop {
            let attempt_started = Instant::now();
            let result = attempt(n).await;
            let outcome = result.as_ref().map_or_else(Error::outcome, |_| "ok");
            tracing::debug!(
                attempt = n,
                latency_ms = millis(attempt_started),
                outcome,
                "attempt finished"
            );
            match result {
                Err(e) if n < max && e.is_retryable() => {
                    let delay = strategy.backoff(n);
                    tracing::info!(
                        attempt = n,
                        outcome,
                        delay_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
                other => break (other, n),
            }
        }
    }
    .instrument(span.clone())
    .await;
    let (result, attempts) = result;
    let outcome = result.as_ref().map_or_else(Error::outcome, |_| "ok");
    span.record("attempt", attempts);
    span.record("latency_ms", millis(started));
    span.record("outcome", outcome);
    // An event inside the span so subscribers that only print events still see the summary.
    span.in_scope(|| {
        tracing::info!(
            attempts,
            latency_ms = millis(started),
            outcome,
            "call finished"
        )
    });
    result.map(|v| (v, attempts))
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis().min(u64::MAX as u128) as u64
}
