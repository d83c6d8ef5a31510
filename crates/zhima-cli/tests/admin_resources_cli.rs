//! `zhima admin apps|tokens|templates|agreements|trades|admittance|machines|events|instances|
//! audit` against a real `zhima serve` (the demo sandbox): each subcommand's table and its
//! `--json`, edits that take effect, and refused edits that name the field (exit code 2).

mod cli_support;

use cli_support::*;
use serde_json::Value;

const APP: &str = "2021000000000001";
const AGREEMENT: &str = "20195108518085620000";
const USER: &str = "2088602002015001";
const SERVICE: &str = "2019080700000000000001800100";
const DEMO_TOKEN: &str = "202405BBtestAppAuthToken0000000000000001";

fn admin(serve: &Serve, args: &[&str]) -> (i32, String, String) {
    let token = serve.dir.path().join("admin.token");
    let mut all: Vec<String> = vec!["admin".into(), "--url".into(), serve.base_url.clone()];
    all.extend(["--token-file".into(), token.display().to_string()]);
    all.extend(args.iter().map(|a| a.to_string()));
    zhima(&all)
}

/// Runs a subcommand that must succeed; its stdout.
fn ok(serve: &Serve, args: &[&str]) -> String {
    let (code, stdout, stderr) = admin(serve, args);
    assert_eq!(code, 0, "zhima admin {args:?}: {stderr}");
    stdout
}

/// Runs a subcommand with `--json`; the parsed answer.
fn ok_json(serve: &Serve, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let stdout = ok(serve, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A refused edit: exit 2 and a message naming `field`.
fn refused(serve: &Serve, args: &[&str], field: &str) {
    let (code, stdout, stderr) = admin(serve, args);
    assert_eq!(code, 2, "zhima admin {args:?}: {stdout}{stderr}");
    assert!(stderr.contains(field), "{args:?}: {stderr}");
}

fn call(serve: &Serve, args: &[&str]) {
    let mut all: Vec<String> = vec!["call".into()];
    all.extend(serve.conn_args());
    all.extend(args.iter().map(|a| a.to_string()));
    let (code, _, stderr) = zhima(&all);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn every_resource_subcommand_against_a_real_server() {
    let serve = Serve::start();
    let public_key = serve.key("keys/app_public.pem");
    let private_key = serve.key("keys/app_private.pem");
    call(
        &serve,
        &[
            "POST",
            "/v3/zhima/credit/pe/zmgo/cumulation/sync",
            &cumulation_sync("cli-ev-1"),
        ],
    );
    call(
        &serve,
        &[
            "POST",
            "/v3/zhima/credit/pe/zmgo/cumulation/sync",
            &cumulation_sync("cli-ev-2"),
        ],
    );
    call(
        &serve,
        &[
            "zhima.data.state.data.sync",
            &state_sync("cli-st-1", "CONTRACT_STATE_WATCH_MOVIE_BUY"),
        ],
    );

    // apps
    let table = ok(&serve, &["apps", "list"]);
    assert!(table.starts_with("APP_ID"), "{table}");
    assert!(table.contains(APP), "{table}");
    let apps = ok_json(&serve, &["apps", "list"]);
    let fingerprint = apps["items"][0]["key_fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!fingerprint.is_empty());
    assert!(table.contains(&fingerprint), "{table}");
    let shown = ok(&serve, &["apps", "show", APP]);
    assert!(shown.contains("encrypt_key_set"), "{shown}");
    let created = ok_json(
        &serve,
        &[
            "apps",
            "create",
            "--app-id",
            "2021000000000077",
            "--partner-id",
            "2088621805983504",
            "--public-key-file",
            &public_key,
            "--sign-types",
            "RSA2",
        ],
    );
    assert_eq!(created["sign_types"], serde_json::json!(["RSA2"]));
    refused(
        &serve,
        &[
            "apps",
            "create",
            "--app-id",
            "2021000000000078",
            "--partner-id",
            "2088621805983504",
            "--public-key-file",
            &private_key,
        ],
        "public_key",
    );
    refused(
        &serve,
        &[
            "apps",
            "create",
            "--app-id",
            "2021000000000077",
            "--partner-id",
            "2088621805983504",
            "--public-key-file",
            &public_key,
        ],
        "app_id",
    );
    let off = ok(&serve, &["apps", "disable", "2021000000000077"]);
    assert!(off.contains("enabled") && off.contains("false"), "{off}");
    assert_eq!(
        ok_json(&serve, &["apps", "enable", "2021000000000077"])["enabled"],
        true
    );
    let rotated = ok_json(
        &serve,
        &[
            "apps",
            "rotate-key",
            "2021000000000077",
            "--public-key-file",
            &serve.key("keys/platform_public.pem"),
        ],
    );
    assert_ne!(rotated["key_fingerprint"], fingerprint.as_str());

    // tokens
    let tokens = ok(&serve, &["tokens", "list"]);
    assert!(
        tokens.contains("PREFIX") && tokens.contains("202405BBtest"),
        "{tokens}"
    );
    assert!(!tokens.contains(DEMO_TOKEN), "{tokens}");
    let created = ok(
        &serve,
        &[
            "tokens",
            "create",
            "--app-id",
            APP,
            "--partner-id",
            "2088621805983999",
        ],
    );
    let value = created
        .lines()
        .find_map(|l| l.strip_prefix("token"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("{created}"));
    assert_eq!(value.len(), 40, "{created}");
    assert!(!ok(&serve, &["tokens", "list", "--json"]).contains(&value));
    refused(
        &serve,
        &[
            "tokens",
            "create",
            "--app-id",
            "NOPE",
            "--partner-id",
            "2088621805983999",
        ],
        "app_id",
    );
    // A second token of this month: the month prefix alone names two.
    ok(
        &serve,
        &[
            "tokens",
            "create",
            "--app-id",
            APP,
            "--partner-id",
            "2088621805983999",
        ],
    );
    refused(&serve, &["tokens", "revoke", &value[..8]], "prefix");
    let revoked = ok(&serve, &["tokens", "revoke", &value[..20]]);
    assert!(revoked.starts_with("revoked"), "{revoked}");
    assert_eq!(
        ok_json(&serve, &["tokens", "list"])["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // templates
    let templates = ok(&serve, &["templates", "list"]);
    assert!(
        templates.contains("ZMGO_T1") && templates.contains("ZMGO_T2"),
        "{templates}"
    );
    let t = ok_json(
        &serve,
        &[
            "templates",
            "create",
            "ZMGO_CLI",
            "--mode",
            "BOUND",
            "--obligation-amount",
            "9.90",
            "--settle-check",
        ],
    );
    assert_eq!(t["obligation_amount"], "9.90");
    refused(
        &serve,
        &["templates", "create", "ZMGO_BAD", "--mode", "LOOSE"],
        "mode",
    );
    refused(
        &serve,
        &[
            "templates",
            "create",
            "ZMGO_BAD",
            "--mode",
            "BOUND",
            "--obligation-amount",
            "x",
        ],
        "obligation_amount",
    );
    let u = ok(
        &serve,
        &["templates", "update", "ZMGO_CLI", "--mode", "DECOUPLED"],
    );
    assert!(u.contains("DECOUPLED"), "{u}");
    assert!(ok(&serve, &["templates", "show", "ZMGO_CLI"]).contains("ZMGO_CLI"));

    // agreements
    let list = ok(
        &serve,
        &["agreements", "list", "--status", "Y", "--limit", "1"],
    );
    assert!(
        list.contains(AGREEMENT) && list.contains("more: --cursor"),
        "{list}"
    );
    let next = ok_json(
        &serve,
        &["agreements", "list", "--limit", "1", "--cursor", AGREEMENT],
    );
    assert_eq!(next["items"][0]["agreement_no"], "20195108518085620001");
    refused(&serve, &["agreements", "list", "--status", "Q"], "status");
    let ledger = ok(&serve, &["agreements", "show", AGREEMENT]);
    assert!(
        ledger.contains("totals") && ledger.contains("cli-ev-2") && ledger.contains("cli-ev-1"),
        "{ledger}"
    );
    assert_eq!(
        ok_json(&serve, &["agreements", "show", AGREEMENT])["totals"]["task_count"],
        2
    );

    // trades, admittance
    assert!(ok(&serve, &["trades", "list"]).contains("2020081722001435461000061785"));
    let added = ok(
        &serve,
        &[
            "trades",
            "add",
            "--trade-no",
            "T-CLI-1",
            "--buyer-user-id",
            USER,
            "--seller-partner-id",
            "2088621805983504",
            "--amount",
            "1.50",
        ],
    );
    assert!(
        added.contains("T-CLI-1") && added.contains("1.50"),
        "{added}"
    );
    refused(
        &serve,
        &[
            "trades",
            "add",
            "--trade-no",
            "T-CLI-2",
            "--buyer-user-id",
            USER,
            "--seller-partner-id",
            "2088621805983504",
            "--amount",
            "-1",
        ],
        "amount",
    );
    ok(&serve, &["admittance", "refuse", "2088602002015999"]);
    let users = ok_json(&serve, &["admittance", "list"]);
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["user_id"] == "2088602002015999" && u["admitted"] == false),
        "{users}"
    );
    assert!(ok(&serve, &["admittance", "admit", "2088602002015999"]).contains("true"));

    // machines
    let machines = ok(&serve, &["machines", "list"]);
    assert!(
        machines.contains(SERVICE) && machines.contains("WATCH_MOVIE"),
        "{machines}"
    );
    let svc = ok(&serve, &["machines", "show", SERVICE, "--json"]);
    let file = serve.dir.path().join("svc.json");
    std::fs::write(&file, &svc).unwrap();
    ok(
        &serve,
        &[
            "machines",
            "put",
            SERVICE,
            "--file",
            &file.display().to_string(),
        ],
    );
    std::fs::write(&file, svc.replace(APP, "NOPE")).unwrap();
    refused(
        &serve,
        &[
            "machines",
            "put",
            SERVICE,
            "--file",
            &file.display().to_string(),
        ],
        "app_ids",
    );

    // events, instances, audit
    let events = ok(&serve, &["events", "--out-biz-no", "cli-ev-1"]);
    assert!(
        events.contains("cli-ev-1") && !events.contains("cli-ev-2"),
        "{events}"
    );
    let page = ok_json(
        &serve,
        &[
            "events",
            "--agreement-no",
            AGREEMENT,
            "--user",
            USER,
            "--limit",
            "1",
        ],
    );
    assert_eq!(page["items"][0]["out_biz_no"], "cli-ev-2");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let rest = ok_json(
        &serve,
        &[
            "events",
            "--agreement-no",
            AGREEMENT,
            "--limit",
            "1",
            "--cursor",
            &cursor,
        ],
    );
    assert_eq!(rest["items"][0]["out_biz_no"], "cli-ev-1");
    refused(&serve, &["events", "--from", "yesterday"], "from");

    let instances = ok_json(&serve, &["instances", "list", "--out-biz-no", "cli-st-1"]);
    let id = instances["items"][0]["id"].as_i64().unwrap();
    let human = ok(&serve, &["instances", "list", "--service-id", SERVICE]);
    assert!(human.contains("CONTRACT_STATE_WATCH_MOVIE_BUY"), "{human}");
    let detail = ok(&serve, &["instances", "show", &id.to_string()]);
    assert!(
        detail.contains("history") && detail.contains("cli-st-1"),
        "{detail}"
    );

    let audit = ok(&serve, &["audit", "--api", "zhima.data.state.data.sync"]);
    assert!(
        audit.contains("zhima.data.state.data.sync") && audit.contains("10000"),
        "{audit}"
    );
    let v3 = ok_json(
        &serve,
        &[
            "audit",
            "--api",
            "POST /v3/zhima/credit/pe/zmgo/cumulation/sync",
            "--outcome",
            "10000",
        ],
    );
    assert_eq!(v3["items"].as_array().unwrap().len(), 2, "{v3}");
    refused(&serve, &["audit", "--to", "2024-99-01 00:00:00"], "to");
}
