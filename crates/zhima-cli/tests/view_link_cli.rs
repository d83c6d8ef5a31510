//! `zhima admin view-link AGREEMENT_NO [--ttl]` against a real `zhima serve`: it prints a URL
//! that opens the demo agreement's Zhima GO card; `--json` gives the API's answer; an unknown
//! agreement and a bad ttl are errors that say so.

mod cli_support;

use std::io::{Read as _, Write as _};

use cli_support::*;
use serde_json::Value;

const AGREEMENT: &str = "20195108518085620000";

fn admin(serve: &Serve, args: &[&str]) -> (i32, String, String) {
    let token = serve.dir.path().join("admin.token");
    let mut all: Vec<String> = vec!["admin".into(), "--url".into(), serve.base_url.clone()];
    all.extend(["--token-file".into(), token.display().to_string()]);
    all.extend(args.iter().map(|a| a.to_string()));
    zhima(&all)
}

/// A plain HTTP/1.1 GET (status, body).
fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

#[test]
fn view_link_prints_a_url_that_opens_the_card() {
    let serve = Serve::start();
    let (code, stdout, stderr) = admin(&serve, &["view-link", AGREEMENT]);
    assert_eq!(code, 0, "{stderr}");
    let url = stdout.trim();
    assert!(
        url.starts_with(&format!("{}/c/agreements/{AGREEMENT}?t=", serve.base_url)),
        "{stdout}"
    );
    let (status, body) = http_get(url);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(AGREEMENT) && body.contains("累计优惠"),
        "{body}"
    );
    // The token is bound to the agreement: on another path it opens nothing.
    let other = url.replace(AGREEMENT, "20195108518085620001");
    let (status, body) = http_get(&other);
    assert_eq!(status, 403);
    assert!(!body.contains("2019510851808562000"), "{body}");

    let (code, stdout, stderr) = admin(&serve, &["view-link", AGREEMENT, "--ttl", "2d", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let now = chrono::Utc::now().timestamp();
    let expires_at = v["expires_at"].as_i64().unwrap();
    assert!(
        (now + 2 * 86_400 - 60..=now + 2 * 86_400 + 60).contains(&expires_at),
        "{v}"
    );
    assert!(v["url"]
        .as_str()
        .unwrap()
        .ends_with(v["path"].as_str().unwrap()));
}

#[test]
fn view_link_errors_say_what_is_wrong() {
    let serve = Serve::start();
    let (code, _, stderr) = admin(&serve, &["view-link", "404404"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("no agreement 404404"), "{stderr}");
    let (code, _, stderr) = admin(&serve, &["view-link", AGREEMENT, "--ttl", "1y"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--ttl"), "{stderr}");
}

#[test]
fn view_link_for_an_instance_opens_its_page() {
    let serve = Serve::start();
    // Start the demo "promise" instance through the gateway.
    let mut args = vec!["call".to_string()];
    args.extend(serve.conn_args());
    args.push("zhima.data.state.data.sync".into());
    args.push(state_sync("vl-1", "CONTRACT_STATE_WATCH_MOVIE_BUY"));
    let (code, stdout, stderr) = zhima(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let instance = "2019080700000000000001800100/WATCH_MOVIE/movie-vl-1";
    let (code, stdout, stderr) = admin(
        &serve,
        &[
            "view-link",
            "--instance",
            instance,
            "--user-id",
            "2088602002015001",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let url = stdout.trim();
    assert!(
        url.starts_with(&format!(
            "{}/c/instances/2019080700000000000001800100/WATCH_MOVIE/movie-vl-1?user_id=2088602002015001&t=",
            serve.base_url
        )),
        "{url}"
    );
    let (status, body) = http_get(url);
    assert_eq!(status, 200, "{body}");
    // The demo configuration names the states.
    assert!(
        body.contains("已购票") && body.contains("观影约定"),
        "{body}"
    );

    let (code, _, stderr) = admin(
        &serve,
        &[
            "view-link",
            "--instance",
            instance,
            "--user-id",
            "2088602002015002",
        ],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("no state-sync instance"), "{stderr}");
    let (code, _, stderr) = admin(&serve, &["view-link", "--instance", "S/C"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--user-id"), "{stderr}");
}
