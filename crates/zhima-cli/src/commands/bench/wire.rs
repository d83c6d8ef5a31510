//! The load generator's HTTP/1.1: each request's bytes are built before the clock starts and
//! written as they are; an answer is read up to its `Content-Length`.
//!
//! Why not reqwest here: the generator shares the cores with the server it measures, and at
//! the open loop's rates reqwest's per-request work (URL and header maps, pool bookkeeping,
//! hyper's dispatch task) cost about as much CPU as a refusal costs the server, so a
//! saturated generator measured its own queueing. This client does one write and usually one
//! read per request. Response heads are parsed with `httparse` (hyper's parser); it only has
//! to understand zhima's own answers, which always carry `Content-Length`.

use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zhima_proto::catalog::OVERLOADED_MSG;

use super::presign::Presigned;

/// Largest answer head the generator accepts.
const MAX_HEAD: usize = 16 * 1024;

/// A request ready to be written to a connection.
pub(super) struct RawRequest(Vec<u8>);

impl RawRequest {
    /// The HTTP/1.1 bytes of `p` for the server at `host` (`ip:port`).
    pub(super) fn new(host: &str, p: &Presigned) -> RawRequest {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
            p.path_and_query,
            p.content_type,
            p.body.len()
        );
        if let Some(a) = &p.authorization {
            head.push_str("authorization: ");
            head.push_str(a);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(p.body.as_bytes());
        RawRequest(bytes)
    }
}

/// What came back.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
    /// The server closes the connection after this answer.
    pub(super) closes: bool,
}

impl Answer {
    /// The signed overload answer (a v1 `20000` or a v3 503 with its wording); the same codes
    /// with other words are a failure (storage unavailable).
    pub(super) fn is_refusal(&self) -> bool {
        (self.status == 503 || contains(&self.body, b"\"code\":\"20000\""))
            && contains(&self.body, OVERLOADED_MSG.as_bytes())
    }

    /// A v1 `"code":"10000"` node or a v3 2xx: enough to count a success without verifying
    /// the signature (which would eat the server's CPU).
    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
            && (!contains(&self.body, b"\"code\":\"")
                || contains(&self.body, b"\"code\":\"10000\""))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One connection to the server.
pub(super) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr`.
    pub(super) async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `req` and reads its answer.
    pub(super) async fn send(&mut self, req: &RawRequest) -> std::io::Result<Answer> {
        self.stream.write_all(&req.0).await?;
        self.buf.clear();
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut head = httparse::Response::new(&mut headers);
            match head.parse(&self.buf).map_err(invalid)? {
                httparse::Status::Complete(head_len) => {
                    let status = head.code.unwrap_or(0);
                    let mut length = None;
                    let mut closes = false;
                    for h in head.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<usize>().ok());
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            closes = h.value.eq_ignore_ascii_case(b"close");
                        }
                    }
                    let length = length.ok_or_else(|| invalid("no content-length"))?;
                    while self.buf.len() < head_len + length {
                        self.fill().await?;
                    }
                    let body = self.buf[head_len..head_len + length].to_vec();
                    return Ok(Answer {
                        status,
                        body,
                        closes,
                    });
                }
                httparse::Status::Partial if self.buf.len() < MAX_HEAD => self.fill().await?,
                httparse::Status::Partial => return Err(invalid("answer head too long")),
            }
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn invalid(e: impl ToString) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

/// Most idle connections the open loop keeps, like an HTTP client's per-host pool: more
/// would sit on the server's connection slots (`max_connections`) while new ones wait.
const MAX_IDLE: usize = 128;

/// Idle connections for the open loop: a request takes one or opens one, and gives it back
/// unless the server closes it or [`MAX_IDLE`] are already idle.
pub(super) struct Pool {
    addr: SocketAddr,
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    pub(super) fn new(addr: SocketAddr) -> Pool {
        Pool {
            addr,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `req` on an idle connection or a new one. An idle connection the server closed
    /// meanwhile (it may close idle keep-alive connections at any time) fails before it is
    /// answered; the request is then sent once more on a new connection, as HTTP clients do.
    pub(super) async fn send(&self, req: &RawRequest) -> std::io::Result<Answer> {
        let idle = self.idle.lock().unwrap().pop();
        let (mut conn, answer) = match idle {
            Some(mut c) => match c.send(req).await {
                Ok(a) => (c, a),
                Err(_) => {
                    let mut c = Conn::open(self.addr).await?;
                    let a = c.send(req).await?;
                    (c, a)
                }
            },
            None => {
                let mut c = Conn::open(self.addr).await?;
                let a = c.send(req).await?;
                (c, a)
            }
        };
        let mut idle = self.idle.lock().unwrap();
        if !answer.closes && idle.len() < MAX_IDLE {
            conn.buf.clear();
            idle.push(conn);
        }
        Ok(answer)
    }
}

/// The socket address of a `http://ip:port` base URL.
pub(super) fn socket_addr(base: &str) -> Result<SocketAddr, String> {
    let rest = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base}: the load generator speaks plain http:// only"))?;
    let host = rest.split('/').next().unwrap_or(rest);
    use std::net::ToSocketAddrs;
    host.to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        let a = |status, body: &str| Answer {
            status,
            body: body.as_bytes().to_vec(),
            closes: false,
        };
        assert!(a(
            200,
            r#"{"x_response":{"code":"10000","msg":"Success"},"sign":"s"}"#
        )
        .is_success());
        assert!(!a(
            200,
            r#"{"x_response":{"code":"40004","msg":"Business Failed"}}"#
        )
        .is_success());
        assert!(a(200, r#"{"fail_reason":null}"#).is_success());
        assert!(!a(400, r#"{"code":"INVALID_PARAMETER"}"#).is_success());
        assert!(a(
            503,
            r#"{"code":"SYSTEM_ERROR","message":"服务繁忙，请稍后重试"}"#
        )
        .is_refusal());
        assert!(a(
            200,
            r#"{"x_response":{"code":"20000","sub_code":"isp.unknow-error","sub_msg":"服务繁忙，请稍后重试"}}"#
        )
        .is_refusal());
        assert!(!a(200, r#"{"x_response":{"code":"10000"}}"#).is_refusal());
        // The same codes for a storage outage are a failure, not a refusal to retry.
        let outage = r#"{"x_response":{"code":"20000","sub_code":"isp.unknow-error","sub_msg":"服务暂不可用（业务系统不可用）"}}"#;
        assert!(!a(200, outage).is_refusal() && !a(200, outage).is_success());
        assert!(!a(503, r#"{"code":"SYSTEM_ERROR","message":"存储不可用"}"#).is_refusal());
    }

    #[tokio::test]
    async fn a_request_is_written_as_built_and_its_answer_read_to_its_length() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            while !got.ends_with(b"{\"a\":1}") {
                let n = s.read(&mut chunk).await.unwrap();
                got.extend_from_slice(&chunk[..n]);
            }
            // The head in two writes, to exercise a partial parse.
            s.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-le")
                .await
                .unwrap();
            s.write_all(b"ngth: 5\r\nconnection: close\r\n\r\nhello")
                .await
                .unwrap();
            String::from_utf8(got).unwrap()
        });
        let p = Presigned {
            path_and_query: "/v3/x?y=1".into(),
            body: "{\"a\":1}".into(),
            content_type: "application/json",
            authorization: Some("ALIPAY-SHA256withRSA app_id=1".into()),
        };
        let req = RawRequest::new(&addr.to_string(), &p);
        let pool = Pool::new(addr);
        let answer = pool.send(&req).await.unwrap();
        assert_eq!(
            (answer.status, answer.body.as_slice(), answer.closes),
            (503, &b"hello"[..], true)
        );
        assert!(
            pool.idle.lock().unwrap().is_empty(),
            "a closed connection is not reused"
        );
        let sent = server.await.unwrap();
        assert!(sent.starts_with("POST /v3/x?y=1 HTTP/1.1\r\n"), "{sent}");
        assert!(sent.contains("\r\nauthorization: ALIPAY-SHA256withRSA app_id=1\r\n"));
        assert!(sent.contains("\r\ncontent-length: 7\r\n"), "{sent}");
        assert!(sent.ends_with("\r\n\r\n{\"a\":1}"), "{sent}");
    }
}
