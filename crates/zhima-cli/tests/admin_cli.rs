//! `zhima admin clock show|advance` against a real `zhima serve`: the token file the server
//! wrote, the clock moving, an agreement expiring (agreement.query answers `P`), and the
//! errors a user meets (no token file, wrong token, nothing listening, a bad duration).

mod cli_support;

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

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"))
}

fn agreement_status(serve: &Serve) -> String {
    let mut args: Vec<String> = vec!["call".into()];
    args.extend(serve.conn_args());
    args.extend([
        "GET".into(),
        format!("/v3/zhima/credit/pe/zmgo/agreement/query?agreement_id={AGREEMENT}"),
    ]);
    let (code, stdout, stderr) = zhima(&args);
    assert_eq!(code, 0, "{stderr}");
    json(&stdout)["agreement_status"]
        .as_str()
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_owned()
}

/// The demo agreement, made to end 10 days from now (the config file edited, as a user would).
fn serve_with_agreement_ending_soon() -> Serve {
    let first = Serve::start();
    let dir = first.stop();
    let config = dir.path().join("zhima.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let soon = zhima_proto::time::format_alipay_datetime(
        &(zhima_proto::time::now_alipay() + chrono::Duration::days(10)),
    );
    let edited = text.replacen(
        "end_time = \"2030-12-31 23:59:59\"",
        &format!("end_time = \"{soon}\""),
        1,
    );
    assert_ne!(edited, text, "the demo agreement's end_time is in the file");
    std::fs::write(&config, edited).unwrap();
    Serve::start_in(dir)
}

#[test]
fn advancing_the_clock_expires_the_agreement() {
    let serve = serve_with_agreement_ending_soon();
    let token_file = serve.dir.path().join("admin.token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the admin token");
    }
    assert_eq!(agreement_status(&serve), "Y");

    let (code, stdout, stderr) = admin(&serve, &["clock", "show", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["offset_ms"], 0);

    let (code, stdout, stderr) = admin(&serve, &["clock", "advance", "31d"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("advanced by 31d"), "{stdout}");
    assert!(stdout.contains("offset         31d"), "{stdout}");
    assert!(stdout.contains("expired        1 agreement(s)"), "{stdout}");
    assert!(stdout.contains(AGREEMENT), "{stdout}");
    assert_eq!(agreement_status(&serve), "P");

    let (code, stdout, stderr) = admin(&serve, &["clock", "show"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("offset         31d (2678400000 ms)"),
        "{stdout}"
    );

    // A restart keeps the clock and the expiry (the config still says Y).
    let dir = serve.stop();
    let serve = Serve::start_in(dir);
    assert_eq!(agreement_status(&serve), "P");
    let (code, stdout, _) = admin(&serve, &["clock", "show", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&stdout)["offset_ms"], 31_i64 * 86_400_000);
}

#[test]
fn admin_errors_say_what_to_do() {
    let serve = Serve::start();
    // A bad duration is refused before any request.
    let (code, _, stderr) = admin(&serve, &["clock", "advance", "30x"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a duration"), "{stderr}");

    // No token file.
    let missing = serve.dir.path().join("nope.token");
    let (code, _, stderr) = zhima(&[
        "admin",
        "clock",
        "show",
        "--url",
        &serve.base_url,
        "--token-file",
        &missing.display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no admin token file"), "{stderr}");

    // A token the server does not know.
    let wrong = serve.dir.path().join("wrong.token");
    std::fs::write(&wrong, "zmadm_0123456789abcdef0123456789abcdef\n").unwrap();
    let (code, _, stderr) = zhima(&[
        "admin",
        "clock",
        "show",
        "--url",
        &serve.base_url,
        "--token-file",
        &wrong.display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("refused the admin token"), "{stderr}");

    // Nothing listening.
    let token = serve.dir.path().join("admin.token");
    let (code, _, stderr) = zhima(&[
        "admin",
        "clock",
        "show",
        "--url",
        "http://127.0.0.1:1",
        "--token-file",
        &token.display().to_string(),
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot connect to http://127.0.0.1:1"),
        "{stderr}"
    );
}
