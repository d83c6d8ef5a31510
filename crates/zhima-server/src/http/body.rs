//! Reading a request body, the first thing both protocols do: bounded in size and time, and
//! every failure attributed to whoever caused it.

use std::future::Future;

use axum::body::{Body, Bytes, HttpBody};

use super::error::{ApiError, GatewayFault};
use super::shared::Shared;

/// Why a body could not be read.
enum BodyError {
    /// More than the limit (declared or streamed).
    TooLarge,
    /// The framing is broken (bad chunk size, fewer bytes than declared, a reset).
    Broken(String),
}

/// Reads a whole body, refusing more than `limit` bytes without reading them.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut body = std::pin::pin!(body);
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// What both protocols do first: read the body (bounded by [`Settings::body_limit`]), then
/// run `work` on it, all within [`Settings::request_timeout`].
///
/// Whose fault a failure is decides its answer: a body over the limit, broken framing or a
/// body still trickling in at the deadline are the client's (signed 400-class answers,
/// logged below ERROR); only `work` overrunning the deadline is ours (`SYSTEM_ERROR`).
pub(crate) async fn with_body<T, Fut>(
    shared: &Shared,
    body: Body,
    work: impl FnOnce(Bytes) -> Fut,
) -> Result<T, ApiError>
where
    Fut: Future<Output = Result<T, ApiError>>,
{
    let timeout = shared.settings.request_timeout;
    tracing::trace!(body_size_hint = ?body.size_hint().exact(), "reading the request body");
    let deadline = tokio::time::Instant::now() + timeout;
    let limit = shared.settings.body_limit;
    let bytes = match tokio::time::timeout_at(deadline, read_body(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyError::TooLarge)) => {
            return Err(ApiError::gateway_msg(
                GatewayFault::BodyTooLarge,
                format!("请求报文超过{limit}字节"),
            ))
        }
        Ok(Err(BodyError::Broken(detail))) => {
            return Err(ApiError::gateway_msg(
                GatewayFault::InvalidParameter,
                "请求报文不完整或分块编码错误",
            )
            .log(format!("request body unreadable: {detail}")))
        }
        Err(_) => {
            return Err(ApiError::gateway_msg(
                GatewayFault::InvalidParameter,
                format!("请求报文未在{}秒内发送完毕", timeout.as_secs()),
            )
            .log(format!("request body not received within {timeout:?}")))
        }
    };
    match tokio::time::timeout_at(deadline, work(bytes)).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::system(format!(
            "request did not complete within {timeout:?}"
        ))),
    }
}
