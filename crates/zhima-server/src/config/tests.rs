//! The loader against the shipped demo configuration and deliberate breakages of it: every
//! error names the key or value and its line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bootstrap::{bootstrap_default, DEFAULT_CONFIG_FILE, DEMO_CONFIG};
use crate::config::Config;
use crate::error::Error;

/// A bootstrapped sandbox (keys on disk) and its config text.
fn sandbox() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    bootstrap_default(dir.path()).unwrap();
    let path = dir.path().join(DEFAULT_CONFIG_FILE);
    (dir, path)
}

/// The demo config with `extra` inserted after the line containing `after`.
fn with_line(after: &str, extra: &str) -> (String, usize) {
    let mut lines: Vec<&str> = DEMO_CONFIG.lines().collect();
    let at = lines.iter().position(|l| l.contains(after)).unwrap() + 1;
    lines.insert(at, extra);
    (lines.join("\n"), at + 1)
}

fn config_error(path: &Path, text: &str) -> String {
    match Config::from_toml(path, text) {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a config error, got {other:?}"),
    }
}

/// Asserts that `text` is refused with a message naming `line` and `token`.
fn assert_refused_at(path: &Path, text: &str, line: usize, token: &str) {
    let msg = config_error(path, text);
    assert!(
        msg.contains(&format!("line {line}")) && msg.contains(token),
        "{msg}"
    );
}

/// The 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn times_are_utc_plus_8() {
    let (_dir, path) = sandbox();
    let c = Config::load(&path).unwrap();
    let expires = c.records.app_auth_tokens[0].expires_at;
    assert_eq!(
        expires.with_timezone(&chrono::Utc).to_rfc3339(),
        "2029-12-31T16:00:00+00:00"
    );
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    let (_dir, path) = sandbox();
    let (text, line) = with_line("sign_types", "colour = \"red\"");
    assert_refused_at(&path, &text, line, "colour");
    let (text, line) = with_line("[server]", "lisen = \"0.0.0.0:1\"");
    assert_refused_at(&path, &text, line, "lisen");
}

#[test]
fn bad_values_are_named_with_their_line() {
    let (_dir, path) = sandbox();
    let text = DEMO_CONFIG.replace(
        "obligation_amount = \"100.00\"",
        "obligation_amount = \"100.001\"",
    );
    assert_refused_at(&path, &text, line_of(&text, "100.001"), "100.001");

    let text = DEMO_CONFIG.replace(
        "expires_at = \"2030-01-01 00:00:00\"",
        "expires_at = \"2030-01-01T00:00\"",
    );
    assert!(config_error(&path, &text).contains("yyyy-MM-dd HH:mm:ss"));
    let text = DEMO_CONFIG.replace(
        "sign_types = [\"RSA2\", \"RSA\"]",
        "sign_types = [\"RSA3\"]",
    );
    assert!(config_error(&path, &text).contains("RSA3"));
    let text = DEMO_CONFIG.replace("listen = \"127.0.0.1:8080\"", "listen = \"localhost\"");
    assert!(config_error(&path, &text).contains("line 6"));
    // Connection limits: zero would close every connection or accept none.
    for (from, to) in [
        (
            "header_read_timeout_secs = 10",
            "header_read_timeout_secs = 0",
        ),
        ("max_connections = 1024", "max_connections = 0"),
    ] {
        let text = DEMO_CONFIG.replace(from, to);
        let msg = config_error(&path, &text);
        let line = format!("line {}", line_of(&text, to));
        assert!(msg.contains(&line) && msg.contains("nonzero"), "{msg}");
    }
}

#[test]
fn connection_limits_are_read() {
    let (_dir, path) = sandbox();
    let text = DEMO_CONFIG
        .replace(
            "header_read_timeout_secs = 10",
            "header_read_timeout_secs = 3",
        )
        .replace("max_connections = 1024", "max_connections = 7");
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(
        config.server.header_read_timeout,
        std::time::Duration::from_secs(3)
    );
    assert_eq!(config.server.max_connections, 7);
    let settings = crate::http::Settings::from_config(&config);
    assert_eq!(
        settings.header_read_timeout,
        std::time::Duration::from_secs(3)
    );
    assert_eq!(settings.max_connections, 7);
}

#[test]
fn audit_retention_is_read_with_its_default() {
    let (_dir, path) = sandbox();
    let line = "audit_retention_days = 30";
    assert!(DEMO_CONFIG.contains(line));
    let without: String = DEMO_CONFIG
        .lines()
        .filter(|l| !l.starts_with("audit_retention_days"))
        .collect::<Vec<_>>()
        .join("\n");
    let c = Config::from_toml(&path, &without).unwrap();
    assert_eq!(
        c.server.audit_retention_days,
        crate::config::DEFAULT_AUDIT_RETENTION_DAYS
    );
    assert_eq!(crate::config::DEFAULT_AUDIT_RETENTION_DAYS, 30);
    for (value, days) in [("7", 7), ("0", 0)] {
        let text = DEMO_CONFIG.replace(line, &format!("audit_retention_days = {value}"));
        let c = Config::from_toml(&path, &text).unwrap();
        assert_eq!(c.server.audit_retention_days, days);
        let settings = crate::http::Settings::from_config(&c);
        assert_eq!(settings.audit_retention_days, days);
    }
    for bad in ["-1", "\"30\"", "1.5"] {
        let text = DEMO_CONFIG.replace(line, &format!("audit_retention_days = {bad}"));
        let msg = config_error(&path, &text);
        let at = format!("line {}", line_of(&text, "audit_retention_days"));
        assert!(msg.contains(&at), "{msg}");
    }
}

#[test]
fn references_and_files_are_checked() {
    let (_dir, path) = sandbox();
    let text = DEMO_CONFIG.replacen(
        "template_no = \"ZMGO_T1\"\nuser_id",
        "template_no = \"NOPE\"\nuser_id",
        1,
    );
    assert_refused_at(&path, &text, line_of(&text, "\"NOPE\""), "NOPE");

    let text = DEMO_CONFIG.replace("keys/app_public.pem", "keys/missing.pem");
    let msg = config_error(&path, &text);
    assert!(
        msg.contains("public_key_file") && msg.contains("missing.pem"),
        "{msg}"
    );

    // A private key where a public key belongs is named as such.
    let text = DEMO_CONFIG.replace(
        "public_key_file = \"keys/app_public.pem\"",
        "public_key_file = \"keys/app_private.pem\"",
    );
    assert!(config_error(&path, &text).contains("public_key_file"));

    let text = DEMO_CONFIG.replace(
        "app_ids = [\"2021000000000001\"]",
        "app_ids = [\"2021000000000009\"]",
    );
    assert!(config_error(&path, &text).contains("2021000000000009"));
    let text = DEMO_CONFIG.replace("code = \"CONTRACT_STATE_WATCH_MOVIE_WATCHED\"\nterminal = true", "code = \"CONTRACT_STATE_WATCH_MOVIE_WATCHED\"\nterminal = true\nnext = [\"CONTRACT_STATE_WATCH_MOVIE_BUY\"]");
    assert!(config_error(&path, &text).contains("terminal"));
}

#[test]
fn paths_are_relative_to_the_file() {
    let (dir, _) = sandbox();
    // The same config loaded from a subdirectory fails to find keys/ there …
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let msg = config_error(&sub.join("zhima.toml"), DEMO_CONFIG);
    assert!(
        msg.contains(&sub.join("keys/platform_private.pem").display().to_string()),
        "{msg}"
    );
    // … and finds them with a `../` prefix.
    let text = DEMO_CONFIG.replace("\"keys/", "\"../keys/");
    let c = Config::from_toml(&sub.join("zhima.toml"), &text).unwrap();
    assert_eq!(
        c.platform.private_key_file,
        sub.join("../keys/platform_private.pem")
    );
}

#[test]
fn zmgo_users_declare_admittance_once_each() {
    let (_dir, path) = sandbox();
    let user = "[[zmgo.users]]\nuser_id = \"2088000000000009\"\nadmitted = false\n";
    let text = format!("{DEMO_CONFIG}\n{user}");
    let c = Config::from_toml(&path, &text).unwrap();
    let users = &c.records.zmgo_users;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].user_id, "2088000000000009");
    assert!(!users[0].admitted);
    let twice = format!("{text}\n{user}");
    assert!(config_error(&path, &twice).contains("2088000000000009"));
}

#[test]
fn notification_keys_are_read_and_checked() {
    let (_dir, path) = sandbox();
    let c = Config::from_toml(&path, DEMO_CONFIG).unwrap();
    assert_eq!(c.server.notify_timeout, std::time::Duration::from_secs(5));
    assert!(c.server.notify_allowed_hosts.is_empty());
    assert_eq!(c.records.apps[0].notify_url, None);

    let text = DEMO_CONFIG
        .replacen(
            "# notify_timeout_secs = 5",
            "notify_timeout_secs = 2\nnotify_allowed_hosts = [\"Hooks.Example.com\"]",
            1,
        )
        .replacen(
            "# notify_url = \"http://127.0.0.1:8090/zhima/notify\"",
            "notify_url = \"https://merchant.example.cn/notify\"",
            1,
        )
        .replacen(
            "template_no = \"ZMGO_T1\"\nuser_id",
            "template_no = \"ZMGO_T1\"\napp_id = \"2021000000000001\"\nuser_id",
            1,
        );
    let c = Config::from_toml(&path, &text).unwrap();
    assert_eq!(c.server.notify_timeout, std::time::Duration::from_secs(2));
    assert_eq!(c.server.notify_allowed_hosts, ["hooks.example.com"]);
    assert_eq!(
        c.records.apps[0].notify_url.as_deref(),
        Some("https://merchant.example.cn/notify")
    );
    assert_eq!(
        c.records.agreements[0].app_id.as_deref(),
        Some("2021000000000001")
    );

    let bad_url = text.replace("https://merchant.example.cn/notify", "ftp://x/notify");
    assert_refused_at(&path, &bad_url, line_of(&bad_url, "ftp://"), "notify_url");
    let unknown_app = text.replacen(
        "app_id = \"2021000000000001\"\nuser_id",
        "app_id = \"2021000000000077\"\nuser_id",
        1,
    );
    assert_refused_at(
        &path,
        &unknown_app,
        line_of(&unknown_app, "2021000000000077"),
        "2021000000000077",
    );
    let zero = text.replace("notify_timeout_secs = 2", "notify_timeout_secs = 0");
    assert_refused_at(&path, &zero, line_of(&zero, "notify_timeout_secs"), "");
}

#[test]
fn admission_limits_are_read_with_their_defaults() {
    let (_dir, path) = sandbox();
    std::fs::write(&path, DEMO_CONFIG).unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(config.server.max_in_flight, 64);
    assert_eq!(config.server.max_queue_wait, Duration::from_millis(30));
    assert_eq!(config.server.app_rate_limit, None, "off by default");
    let text = DEMO_CONFIG
        .replace("max_in_flight = 64 ", "max_in_flight = 9")
        .replace("max_queue_wait_ms = 30", "max_queue_wait_ms = 0")
        .replace(
            "# app_rate_limit_per_sec = 100",
            "app_rate_limit_per_sec = 5",
        );
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(config.server.max_in_flight, 9);
    let limit = config.server.app_rate_limit.unwrap();
    assert_eq!(
        (limit.per_sec, limit.burst),
        (5, 5),
        "burst defaults to a second's worth"
    );
    let settings = crate::http::Settings::from_config(&config);
    assert_eq!(settings.max_in_flight, 9);
    assert_eq!(settings.max_queue_wait, Duration::ZERO, "0 refuses at once");
    assert_eq!(settings.app_rate_limit, Some(limit));
    let text = DEMO_CONFIG.replace("max_in_flight = 64 ", "max_in_flight = 0");
    assert!(config_error(&path, &text).contains("nonzero"));
}
