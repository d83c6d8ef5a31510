//! `zhima call` for the lifecycle APIs (PRODUCT §11) without server support for them: a page
//! method prints its signed URL, and a known PUT route is sent as PUT (seen by a stub).

mod cli_support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;

use cli_support::{zhima, Serve};

#[test]
fn page_method_prints_the_signed_url_and_sends_nothing() {
    let serve = Serve::start();
    let mut args: Vec<String> = vec!["call".into()];
    args.extend(serve.conn_args());
    args.extend([
        "zhima.credit.pe.zmgo.sign.apply".into(),
        "--json".into(),
        r#"{"partner_id":"2088621805983504","preorder_no":"PO1"}"#.into(),
        "--return-url".into(),
        "https://merchant.example/back".into(),
    ]);
    let (code, stdout, stderr) = zhima(&args);
    assert_eq!(code, 0, "{stderr}");
    let url = stdout.trim();
    assert!(
        url.starts_with(&format!("{}/gateway.do?", serve.base_url)),
        "{url}"
    );
    assert!(
        url.contains("method=zhima.credit.pe.zmgo.sign.apply"),
        "{url}"
    );
    assert!(
        url.contains("return_url=https%3A%2F%2Fmerchant.example%2Fback"),
        "{url}"
    );
    assert!(url.contains("&sign="), "{url}");
    assert!(url.contains("&biz_content=%7B%22partner_id%22"), "{url}");
    assert!(stderr.contains("page method"), "{stderr}");
}

#[test]
fn a_put_route_is_sent_as_put_from_the_routing_table() {
    let serve = Serve::start();
    let stub = TcpListener::bind("127.0.0.1:0").unwrap();
    let stub_url = format!("http://{}", stub.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let (mut conn, _) = stub.accept().unwrap();
        let mut line = String::new();
        BufReader::new(conn.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = conn.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        line
    });
    let mut args: Vec<String> = vec!["call".into()];
    let mut conn = serve.conn_args();
    let at = conn.iter().position(|a| a == "--base-url").unwrap();
    conn[at + 1] = stub_url;
    args.extend(conn);
    args.extend([
        "/v3/zhima/credit/pe/zmgo/preorder/create".into(),
        r#"{"partner_id":"2088621805983504","out_request_no":"P1"}"#.into(),
    ]);
    let (code, _, stderr) = zhima(&args);
    assert_eq!(code, 1, "{stderr}");
    let line = seen.join().unwrap();
    assert_eq!(
        line.trim_end(),
        "PUT /v3/zhima/credit/pe/zmgo/preorder/create HTTP/1.1"
    );
}
