//! Probes, request timeout and graceful shutdown of the in-process server.

mod http_support;

use std::time::{Duration, Instant};

use http_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends the headers and the first half of a v1 state-sync POST; returns the stream and the
/// rest of the body.
async fn half_sent_request(server: &TestServer) -> (TcpStream, String) {
    let (query, body) = V1::new(
        STATE_SYNC,
        &state_sync_body(&unique("H"), r#"{"orderNo":"o"}"#),
    )
    .wire();
    let head = format!(
        "POST /gateway.do?{query} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len(),
        addr = server.addr()
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    (stream, rest.to_owned())
}

async fn read_response(mut stream: TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8(buf).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test]
async fn probes_answer() {
    let server = TestServer::start().await;
    let health = client()
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = client()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_and_refuses_new_ones() {
    let mut server = TestServer::start().await;
    let addr = server.addr();
    let (mut stream, rest) = half_sent_request(&server).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.begin_stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        TcpStream::connect(&addr).await.is_err(),
        "the listener must be closed"
    );

    stream.write_all(rest.as_bytes()).await.unwrap();
    let (status, body) = read_response(stream).await;
    assert_eq!(status, 200);
    let node_json = verified_node_json(&body, STATE_SYNC);
    assert!(node_json.contains(r#""code":"10000""#), "{}", node_json);
    tokio::time::timeout(Duration::from_secs(5), server.join())
        .await
        .expect("serve returns")
        .unwrap();
}

#[tokio::test]
async fn shutdown_stops_waiting_after_the_grace_period() {
    let mut server = TestServer::start_with(|s| {
        s.shutdown_grace = Duration::from_millis(300);
        s.request_timeout = Duration::from_secs(60);
    })
    .await;
    // A client that never finishes its body.
    let (_stuck, _) = half_sent_request(&server).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.begin_stop();
    tokio::time::timeout(Duration::from_secs(5), server.join())
        .await
        .expect("serve returns")
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn slow_request_bodies_time_out_with_a_signed_client_error() {
    let server = TestServer::start_with(|s| s.request_timeout = Duration::from_millis(300)).await;
    let (stream, _rest) = half_sent_request(&server).await;
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), read_response(stream))
        .await
        .expect("answered");
    assert_eq!(status, 200);
    // A body still arriving at the deadline is the client's fault, not a platform failure
    // (which would tell SDKs to retry): 40002, never SYSTEM_ERROR.
    let node_json = verified_node_json(&body, STATE_SYNC);
    assert!(
        node_json.contains(r#""code":"40002""#)
            && node_json.contains(r#""sub_code":"isv.invalid-parameter""#),
        "{}",
        node_json
    );
    server.stop().await.unwrap();
}
