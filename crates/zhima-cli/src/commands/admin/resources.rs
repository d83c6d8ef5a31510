//! `zhima admin apps|tokens|templates|agreements|trades|admittance|machines|events|instances|
//! audit`: one subcommand per admin API resource (PRODUCT §14), tables for people and `--json`
//! for scripts. Filters and bodies are passed through; the server checks them and names the
//! field it refuses.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::clock::print;
use super::table::{listing, record, table, Column};
use super::AdminClient;
use crate::Failure;

/// Percent-encodes a path segment.
fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `path?k=v&…` with the filters that are set.
fn with_query(path: &str, params: &[(&str, Option<String>)]) -> String {
    let set: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", seg(v))))
        .collect();
    if set.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", set.join("&"))
    }
}

fn read_file(flag: &str, path: &PathBuf) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("{flag} {}: {e}", path.display())))
}

/// Listing filters every paginated subcommand takes.
#[derive(clap::Args)]
pub struct PageArgs {
    /// Continue after this cursor (printed as `more: --cursor …`).
    #[arg(long)]
    cursor: Option<String>,
    /// Items per page (1–500, default 50).
    #[arg(long)]
    limit: Option<i64>,
}

impl PageArgs {
    fn params(&self) -> [(&'static str, Option<String>); 2] {
        [
            ("cursor", self.cursor.clone()),
            ("limit", self.limit.map(|l| l.to_string())),
        ]
    }
}

// ---- apps ----

const APP_COLUMNS: &[Column<'_>] = &[
    ("APP_ID", "app_id"),
    ("PARTNER_ID", "partner_id"),
    ("ENABLED", "enabled"),
    ("SIGN_TYPES", "sign_types"),
    ("KEY_FINGERPRINT", "key_fingerprint"),
];
const APP_KEYS: &[&str] = &[
    "app_id",
    "partner_id",
    "enabled",
    "sign_types",
    "key_fingerprint",
    "app_cert_sn",
    "encrypt_key_set",
];

/// `zhima admin apps …`.
#[derive(clap::Subcommand)]
pub enum AppsCommand {
    /// Every app (keys as fingerprints only).
    List,
    /// One app.
    Show { app_id: String },
    /// Create an app with its request-verification public key.
    Create {
        #[arg(long)]
        app_id: String,
        /// The merchant PID (2088…) the app acts for.
        #[arg(long)]
        partner_id: String,
        /// The app's public key (SPKI or PKCS#1 PEM); never a private key.
        #[arg(long, value_name = "FILE")]
        public_key_file: PathBuf,
        /// Accepted sign types, comma-separated (default RSA2,RSA).
        #[arg(long, value_delimiter = ',')]
        sign_types: Option<Vec<String>>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Let the app call again.
    Enable { app_id: String },
    /// Refuse the app's calls (`isv.invalid-app-id`).
    Disable { app_id: String },
    /// Replace the app's public key.
    RotateKey {
        app_id: String,
        #[arg(long, value_name = "FILE")]
        public_key_file: PathBuf,
    },
}

pub(super) async fn apps(client: &AdminClient, cmd: AppsCommand) -> Result<(), Failure> {
    let one = |v: &Value| record(v, APP_KEYS);
    match cmd {
        AppsCommand::List => {
            let v = client.get("apps").await?;
            print(client, &v, |v| listing(v, APP_COLUMNS));
        }
        AppsCommand::Show { app_id } => {
            let v = client.get(&format!("apps/{}", seg(&app_id))).await?;
            print(client, &v, one);
        }
        AppsCommand::Create {
            app_id,
            partner_id,
            public_key_file,
            sign_types,
            disabled,
        } => {
            let key = read_file("--public-key-file", &public_key_file)?;
            let mut body = json!({
                "app_id": app_id, "partner_id": partner_id, "public_key": key, "enabled": !disabled,
            });
            if let Some(types) = sign_types {
                body["sign_types"] = json!(types);
            }
            let v = client.post("apps", &body).await?;
            print(client, &v, one);
        }
        AppsCommand::Enable { app_id } => {
            let v = client
                .post(&format!("apps/{}/enable", seg(&app_id)), &json!({}))
                .await?;
            print(client, &v, one);
        }
        AppsCommand::Disable { app_id } => {
            let v = client
                .post(&format!("apps/{}/disable", seg(&app_id)), &json!({}))
                .await?;
            print(client, &v, one);
        }
        AppsCommand::RotateKey {
            app_id,
            public_key_file,
        } => {
            let key = read_file("--public-key-file", &public_key_file)?;
            let v = client
                .put(
                    &format!("apps/{}/public-key", seg(&app_id)),
                    &json!({ "public_key": key }),
                )
                .await?;
            print(client, &v, one);
        }
    }
    Ok(())
}

// ---- tokens ----

const TOKEN_COLUMNS: &[Column<'_>] = &[
    ("PREFIX", "prefix"),
    ("APP_ID", "app_id"),
    ("PARTNER_ID", "partner_id"),
    ("EXPIRES_AT", "expires_at"),
    ("EXPIRED", "expired"),
];

/// `zhima admin tokens …`.
#[derive(clap::Subcommand)]
pub enum TokensCommand {
    /// App auth tokens, by prefix only.
    List {
        /// Only this app's.
        #[arg(long)]
        app_id: Option<String>,
    },
    /// Create a token for an app acting for a merchant; its value is printed this once.
    Create {
        #[arg(long)]
        app_id: String,
        /// The merchant the token acts for.
        #[arg(long)]
        partner_id: String,
        /// `yyyy-MM-dd HH:mm:ss` (UTC+8); default one year from now.
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// Revoke the one token starting with PREFIX.
    Revoke { prefix: String },
}

pub(super) async fn tokens(client: &AdminClient, cmd: TokensCommand) -> Result<(), Failure> {
    match cmd {
        TokensCommand::List { app_id } => {
            let v = client
                .get(&with_query("tokens", &[("app_id", app_id)]))
                .await?;
            print(client, &v, |v| listing(v, TOKEN_COLUMNS));
        }
        TokensCommand::Create {
            app_id,
            partner_id,
            expires_at,
        } => {
            let mut body = json!({"app_id": app_id, "partner_id": partner_id});
            if let Some(at) = expires_at {
                body["expires_at"] = json!(at);
            }
            let v = client.post("tokens", &body).await?;
            print(client, &v, |v| {
                format!(
                    "{}\n(the value is shown only now; listings show its prefix)\n",
                    record(
                        v,
                        &["token", "prefix", "app_id", "partner_id", "expires_at"]
                    )
                )
            });
        }
        TokensCommand::Revoke { prefix } => {
            let v = client.delete(&format!("tokens/{}", seg(&prefix))).await?;
            print(client, &v, |v| {
                format!(
                    "revoked {} (app {})\n",
                    v["prefix"].as_str().unwrap_or("?"),
                    v["app_id"].as_str().unwrap_or("?")
                )
            });
        }
    }
    Ok(())
}

// ---- templates ----

const TEMPLATE_COLUMNS: &[Column<'_>] = &[
    ("TEMPLATE_NO", "template_no"),
    ("MODE", "mode"),
    ("TIMES", "obligation_times"),
    ("AMOUNT", "obligation_amount"),
    ("DAYS", "period_days"),
    ("SETTLE_CHECK", "settle_check"),
    ("OWNER", "owner_partner_id"),
];
const TEMPLATE_KEYS: &[&str] = &[
    "template_no",
    "mode",
    "obligation_times",
    "obligation_amount",
    "period_days",
    "settle_check",
    "settle_tolerance",
    "owner_partner_id",
    "freeze_amount",
];

/// A template's configured terms.
#[derive(clap::Args)]
pub struct TemplateTerms {
    /// DECOUPLED or BOUND.
    #[arg(long)]
    mode: String,
    #[arg(long)]
    obligation_times: Option<i64>,
    /// Yuan, e.g. 100.00.
    #[arg(long)]
    obligation_amount: Option<String>,
    #[arg(long)]
    period_days: Option<i64>,
    /// Compare settle.apply totals with the ledger.
    #[arg(long)]
    settle_check: bool,
    /// Yuan, e.g. 0.00.
    #[arg(long)]
    settle_tolerance: Option<String>,
}

impl TemplateTerms {
    fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("mode".into(), json!(self.mode));
        m.insert("settle_check".into(), json!(self.settle_check));
        let mut opt = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        opt("obligation_times", self.obligation_times.map(|n| json!(n)));
        opt(
            "obligation_amount",
            self.obligation_amount.as_ref().map(|a| json!(a)),
        );
        opt("period_days", self.period_days.map(|n| json!(n)));
        opt(
            "settle_tolerance",
            self.settle_tolerance.as_ref().map(|a| json!(a)),
        );
        Value::Object(m)
    }
}

/// `zhima admin templates …`.
#[derive(clap::Subcommand)]
pub enum TemplatesCommand {
    /// Every template.
    List,
    /// One template.
    Show { template_no: String },
    /// Create a template.
    Create {
        template_no: String,
        #[command(flatten)]
        terms: TemplateTerms,
    },
    /// Replace a template's terms (mode included).
    Update {
        template_no: String,
        #[command(flatten)]
        terms: TemplateTerms,
    },
}

pub(super) async fn templates(client: &AdminClient, cmd: TemplatesCommand) -> Result<(), Failure> {
    let one = |v: &Value| record(v, TEMPLATE_KEYS);
    let v = match cmd {
        TemplatesCommand::List => {
            let v = client.get("templates").await?;
            print(client, &v, |v| listing(v, TEMPLATE_COLUMNS));
            return Ok(());
        }
        TemplatesCommand::Show { template_no } => {
            client
                .get(&format!("templates/{}", seg(&template_no)))
                .await?
        }
        TemplatesCommand::Create { template_no, terms } => {
            let mut body = terms.body();
            body["template_no"] = json!(template_no);
            client.post("templates", &body).await?
        }
        TemplatesCommand::Update { template_no, terms } => {
            client
                .put(&format!("templates/{}", seg(&template_no)), &terms.body())
                .await?
        }
    };
    print(client, &v, one);
    Ok(())
}

// ---- agreements ----

const AGREEMENT_COLUMNS: &[Column<'_>] = &[
    ("AGREEMENT_NO", "agreement_no"),
    ("STATUS", "status"),
    ("TEMPLATE_NO", "template_no"),
    ("PARTNER_ID", "partner_id"),
    ("USER_ID", "user_id"),
    ("END_TIME", "end_time"),
];
const EVENT_COLUMNS: &[Column<'_>] = &[
    ("SEQ", "seq"),
    ("OUT_BIZ_NO", "out_biz_no"),
    ("ACTION", "biz_action"),
    ("TYPE", "cumulate_data_type"),
    ("TRADE", "trade_amount"),
    ("AGREEMENT_NO", "agreement_no"),
    ("RECEIVED_AT", "received_at"),
];

/// `zhima admin agreements …`.
#[derive(clap::Subcommand)]
pub enum AgreementsCommand {
    /// Agreements by number, filtered.
    List {
        /// Y, P or N.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        template_no: Option<String>,
        #[arg(long)]
        partner_id: Option<String>,
        /// A 2088 user id or an open id.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One agreement with its ledger: totals, newest events, settlements, refunds, unfreezes.
    Show {
        agreement_no: String,
        /// How many events (default 20).
        #[arg(long)]
        events: Option<i64>,
    },
}

pub(super) async fn agreements(
    client: &AdminClient,
    cmd: AgreementsCommand,
) -> Result<(), Failure> {
    match cmd {
        AgreementsCommand::List {
            status,
            template_no,
            partner_id,
            user,
            page,
        } => {
            let mut params = vec![
                ("status", status),
                ("template_no", template_no),
                ("partner_id", partner_id),
                ("user", user),
            ];
            params.extend(page.params());
            let v = client.get(&with_query("agreements", &params)).await?;
            print(client, &v, |v| listing(v, AGREEMENT_COLUMNS));
        }
        AgreementsCommand::Show {
            agreement_no,
            events,
        } => {
            let path = with_query(
                &format!("agreements/{}", seg(&agreement_no)),
                &[("events", events.map(|n| n.to_string()))],
            );
            let v = client.get(&path).await?;
            print(client, &v, ledger_text);
        }
    }
    Ok(())
}

fn ledger_text(v: &Value) -> String {
    let mut out = record(
        v,
        &[
            "agreement_no",
            "status",
            "template_no",
            "partner_id",
            "user_id",
            "open_id",
            "start_time",
            "end_time",
            "withhold_plan_no",
        ],
    );
    out.push_str("\ntotals\n");
    out.push_str(&record(
        &v["totals"],
        &[
            "trade_amount",
            "discount_amount",
            "task_count",
            "event_count",
            "aggr_times",
        ],
    ));
    out.push_str("\nevents (newest first)\n");
    let events = v["events"].as_array().cloned().unwrap_or_default();
    out.push_str(&table(&events, EVENT_COLUMNS));
    if v["more_events"] == json!(true) {
        out.push_str("(more: zhima admin events --agreement-no …)\n");
    }
    for (title, key, cols) in [
        (
            "settlements",
            "settlements",
            &[
                ("OUT_REQUEST_NO", "out_request_no"),
                ("PAY_AMOUNT", "pay_amount"),
                ("SETTLED_AT", "settled_at"),
            ][..],
        ),
        (
            "settlement refunds",
            "settlement_refunds",
            &[
                ("OUT_REQUEST_NO", "out_request_no"),
                ("REFUND_AMOUNT", "refund_amount"),
                ("CREATED_AT", "created_at"),
            ][..],
        ),
        (
            "unfreezes",
            "unfreezes",
            &[
                ("OUT_REQUEST_NO", "out_request_no"),
                ("UNFREEZE_AMOUNT", "unfreeze_amount"),
                ("CREATED_AT", "created_at"),
            ][..],
        ),
    ] {
        let rows = v[key].as_array().cloned().unwrap_or_default();
        if !rows.is_empty() {
            out.push_str(&format!("\n{title}\n"));
            out.push_str(&table(&rows, cols));
        }
    }
    out
}

// ---- trades, admittance ----

/// `zhima admin trades …`.
#[derive(clap::Subcommand)]
pub enum TradesCommand {
    /// Alipay trades the sandbox knows.
    List,
    /// Add (or replace) a trade.
    Add {
        #[arg(long)]
        trade_no: String,
        #[arg(long)]
        buyer_user_id: String,
        #[arg(long)]
        seller_partner_id: String,
        /// Yuan, e.g. 3.57.
        #[arg(long)]
        amount: String,
    },
}

pub(super) async fn trades(client: &AdminClient, cmd: TradesCommand) -> Result<(), Failure> {
    let cols: &[Column<'_>] = &[
        ("TRADE_NO", "trade_no"),
        ("BUYER", "buyer_user_id"),
        ("SELLER", "seller_partner_id"),
        ("AMOUNT", "amount"),
    ];
    match cmd {
        TradesCommand::List => {
            let v = client.get("trades").await?;
            print(client, &v, |v| listing(v, cols));
        }
        TradesCommand::Add {
            trade_no,
            buyer_user_id,
            seller_partner_id,
            amount,
        } => {
            let body = json!({"trade_no": trade_no, "buyer_user_id": buyer_user_id,
                "seller_partner_id": seller_partner_id, "amount": amount});
            let v = client.post("trades", &body).await?;
            print(client, &v, |v| table(std::slice::from_ref(v), cols));
        }
    }
    Ok(())
}

/// `zhima admin admittance …`.
#[derive(clap::Subcommand)]
pub enum AdmittanceCommand {
    /// Users with a declared admittance (users not listed are admitted).
    List,
    /// Admit a user to Zhima GO (`pre.consult` answers admittance true).
    Admit { user_id: String },
    /// Refuse a user (`pre.consult` false, `preorder.create` EASY_MEMBER_CONSULT_FAIL).
    Refuse { user_id: String },
}

pub(super) async fn admittance(
    client: &AdminClient,
    cmd: AdmittanceCommand,
) -> Result<(), Failure> {
    let cols: &[Column<'_>] = &[("USER_ID", "user_id"), ("ADMITTED", "admitted")];
    let (user_id, admitted) = match cmd {
        AdmittanceCommand::List => {
            let v = client.get("admittance").await?;
            print(client, &v, |v| listing(v, cols));
            return Ok(());
        }
        AdmittanceCommand::Admit { user_id } => (user_id, true),
        AdmittanceCommand::Refuse { user_id } => (user_id, false),
    };
    let v = client
        .put(
            &format!("admittance/{}", seg(&user_id)),
            &json!({ "admitted": admitted }),
        )
        .await?;
    print(client, &v, |v| table(std::slice::from_ref(v), cols));
    Ok(())
}

// ---- state machines ----

/// `zhima admin machines …`.
#[derive(clap::Subcommand)]
pub enum MachinesCommand {
    /// State-sync services: apps, categories, states.
    List,
    /// One service as JSON (the shape `put` takes).
    Show { service_id: String },
    /// Create or replace a service from a JSON file (compiled first; refused if it does not).
    Put {
        service_id: String,
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
}

fn machine_rows(v: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for svc in v["items"].as_array().into_iter().flatten() {
        for cat in svc["categories"].as_array().into_iter().flatten() {
            let states: Vec<&str> = cat["states"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["code"].as_str())
                .collect();
            rows.push(json!({
                "service_id": svc["service_id"], "app_ids": svc["app_ids"],
                "category": cat["code"], "states": states.len(),
            }));
        }
    }
    rows
}

pub(super) async fn machines(client: &AdminClient, cmd: MachinesCommand) -> Result<(), Failure> {
    let pretty = |v: &Value| format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default());
    match cmd {
        MachinesCommand::List => {
            let v = client.get("machines").await?;
            print(client, &v, |v| {
                table(
                    &machine_rows(v),
                    &[
                        ("SERVICE_ID", "service_id"),
                        ("APP_IDS", "app_ids"),
                        ("CATEGORY", "category"),
                        ("STATES", "states"),
                    ],
                )
            });
        }
        MachinesCommand::Show { service_id } => {
            let v = client
                .get(&format!("machines/{}", seg(&service_id)))
                .await?;
            print(client, &v, pretty);
        }
        MachinesCommand::Put { service_id, file } => {
            let text = read_file("--file", &file)?;
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| Failure::Usage(format!("--file {}: not JSON: {e}", file.display())))?;
            let v = client
                .put(&format!("machines/{}", seg(&service_id)), &body)
                .await?;
            print(client, &v, pretty);
        }
    }
    Ok(())
}

// ---- events, instances, audit ----

/// `zhima admin events`.
#[derive(clap::Args)]
pub struct EventsArgs {
    #[arg(long)]
    out_biz_no: Option<String>,
    #[arg(long)]
    agreement_no: Option<String>,
    /// A 2088 user id or an open id.
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    partner_id: Option<String>,
    /// Received at or after (`yyyy-MM-dd HH:mm:ss`, UTC+8).
    #[arg(long)]
    from: Option<String>,
    /// Received before.
    #[arg(long)]
    to: Option<String>,
    #[command(flatten)]
    page: PageArgs,
}

pub(super) async fn events(client: &AdminClient, a: EventsArgs) -> Result<(), Failure> {
    let mut params = vec![
        ("out_biz_no", a.out_biz_no),
        ("agreement_no", a.agreement_no),
        ("user", a.user),
        ("partner_id", a.partner_id),
        ("from", a.from),
        ("to", a.to),
    ];
    params.extend(a.page.params());
    let v = client.get(&with_query("events", &params)).await?;
    print(client, &v, |v| listing(v, EVENT_COLUMNS));
    Ok(())
}

/// `zhima admin instances …`.
#[derive(clap::Subcommand)]
pub enum InstancesCommand {
    /// State-sync instances, newest first.
    List {
        #[arg(long)]
        service_id: Option<String>,
        #[arg(long)]
        category_code: Option<String>,
        #[arg(long)]
        user_id: Option<String>,
        #[arg(long)]
        out_principal_id: Option<String>,
        /// The instance an event with this out_biz_no belongs to.
        #[arg(long)]
        out_biz_no: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One instance with its history.
    Show { id: i64 },
}

pub(super) async fn instances(client: &AdminClient, cmd: InstancesCommand) -> Result<(), Failure> {
    match cmd {
        InstancesCommand::List {
            service_id,
            category_code,
            user_id,
            out_principal_id,
            out_biz_no,
            page,
        } => {
            let mut params = vec![
                ("service_id", service_id),
                ("category_code", category_code),
                ("user_id", user_id),
                ("out_principal_id", out_principal_id),
                ("out_biz_no", out_biz_no),
            ];
            params.extend(page.params());
            let v = client.get(&with_query("instances", &params)).await?;
            print(client, &v, |v| {
                listing(
                    v,
                    &[
                        ("ID", "id"),
                        ("SERVICE_ID", "service_id"),
                        ("CATEGORY", "category_code"),
                        ("USER_ID", "user_id"),
                        ("PRINCIPAL", "out_principal_id"),
                        ("STATE", "current_state"),
                        ("EVENTS", "event_count"),
                    ],
                )
            });
        }
        InstancesCommand::Show { id } => {
            let v = client.get(&format!("instances/{id}")).await?;
            print(client, &v, |v| {
                let mut out = record(
                    v,
                    &[
                        "id",
                        "service_id",
                        "category_code",
                        "user_id",
                        "out_principal_id",
                        "current_state",
                        "created_at",
                        "updated_at",
                    ],
                );
                out.push_str("\nhistory\n");
                let events = v["events"].as_array().cloned().unwrap_or_default();
                out.push_str(&table(
                    &events,
                    &[
                        ("SEQ", "seq"),
                        ("OUT_BIZ_NO", "out_biz_no"),
                        ("FROM", "from_state"),
                        ("TO", "to_state"),
                        ("APP_ID", "app_id"),
                        ("RECEIVED_AT", "received_at"),
                    ],
                ));
                out
            });
        }
    }
    Ok(())
}

/// `zhima admin audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    #[arg(long)]
    app_id: Option<String>,
    /// v1 method or v3 `METHOD /path`, exactly as audited.
    #[arg(long)]
    api: Option<String>,
    /// 10000, a sub_code, a business code…
    #[arg(long)]
    outcome: Option<String>,
    /// At or after (`yyyy-MM-dd HH:mm:ss`, UTC+8).
    #[arg(long)]
    from: Option<String>,
    /// Before.
    #[arg(long)]
    to: Option<String>,
    #[command(flatten)]
    page: PageArgs,
}

pub(super) async fn audit(client: &AdminClient, a: AuditArgs) -> Result<(), Failure> {
    let mut params = vec![
        ("app_id", a.app_id),
        ("api", a.api),
        ("outcome", a.outcome),
        ("from", a.from),
        ("to", a.to),
    ];
    params.extend(a.page.params());
    let v = client.get(&with_query("audit", &params)).await?;
    print(client, &v, |v| {
        listing(
            v,
            &[
                ("ID", "id"),
                ("AT", "at"),
                ("APP_ID", "app_id"),
                ("API", "api"),
                ("OUTCOME", "outcome"),
                ("LATENCY_US", "latency_us"),
            ],
        )
    });
    Ok(())
}
