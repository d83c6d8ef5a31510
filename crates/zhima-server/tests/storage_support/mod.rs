//! Shared fixtures for the storage and domain integration tests: a real database on either
//! backend (SQLite in a temporary directory, or a fresh PostgreSQL database), seeded with apps,
//! templates, agreements and a trade, and builders that go through zhima-proto's real parsing
//! and validation.
//!
//! Every storage test is written once as `async fn name(backend: Backend)` and instantiated for
//! both backends by [`on_both_backends!`] (`name::sqlite`, `name::postgres`).
#![allow(dead_code)]

pub mod pg;
pub mod proxy;

pub use pg::Backend;

use std::sync::Arc;

use chrono::Duration;
use serde_json::{json, Value};
use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_proto::money::Fen;
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::validate;
use zhima_proto::SignType;
use zhima_server::domain::cumulation::CumulationCmd;
use zhima_server::domain::entities::{
    Agreement, App, AppAuthToken, Caller, Records, Template, TemplateMode, Time, Trade,
};
use zhima_server::domain::preorder::ZmgoUser;
use zhima_server::domain::settle::SettleCmd;
use zhima_server::domain::state_sync::{CategoryConfig, ServiceConfig, StateConfig, StateSyncCmd};
use zhima_server::storage::{PgOptions, SqliteOptions, Storage};

pub const APP: &str = "2021000000000001";
pub const ISV_APP: &str = "2021000000000002";
pub const PARTNER: &str = "2088621805983504";
pub const OTHER_PARTNER: &str = "2088621805983999";
pub const USER: &str = "2088602002015001";
pub const OTHER_USER: &str = "2088602002015002";
/// A user `[[zmgo.users]]` marks not admitted.
pub const BARRED_USER: &str = "2088602002015003";
/// Decoupled template `T_DEC`, settle_check on, tolerance 0.
pub const AGREEMENT: &str = "A_DEC_1";
/// A second decoupled agreement of the same user and partner.
pub const AGREEMENT_2: &str = "A_DEC_2";
/// Bound template `T_BOUND`.
pub const BOUND_AGREEMENT: &str = "A_BOUND_1";
/// Status `N`.
pub const INVALID_AGREEMENT: &str = "A_DEC_N";
/// Belongs to `OTHER_PARTNER`.
pub const FOREIGN_AGREEMENT: &str = "A_FOREIGN";
pub const TRADE: &str = "2020081722001435461000061785";
pub const SERVICE: &str = "2019080700000000000001800100";

pub fn t(s: &str) -> Time {
    parse_alipay_datetime(s).expect("test time parses")
}

/// The fixed "now" of every test command.
pub fn now() -> Time {
    t("2024-06-01 12:00:00")
}

pub fn caller() -> Caller {
    caller_for(APP, PARTNER)
}

pub fn caller_for(app_id: &str, partner_id: &str) -> Caller {
    Caller {
        app_id: app_id.into(),
        partner_id: partner_id.into(),
        now: now(),
        business_now: now(),
        notify_url: None,
    }
}

fn agreement(no: &str, template: &str, partner: &str, status: AgreementStatus) -> Agreement {
    Agreement {
        agreement_no: no.into(),
        template_no: template.into(),
        user_id: Some(USER.into()),
        open_id: None,
        partner_id: partner.into(),
        status,
        start_time: t("2024-01-01 00:00:00"),
        end_time: t("2030-12-31 23:59:59"),
        quit: None,
        app_id: None,
    }
}

/// A state of a state-sync machine.
pub fn state(
    code: &str,
    initial: bool,
    terminal: bool,
    next: &[&str],
    schema: Option<&str>,
) -> StateConfig {
    StateConfig {
        code: code.into(),
        name: None,
        initial,
        terminal,
        next: next.iter().map(|s| s.to_string()).collect(),
        biz_data_schema: schema.map(str::to_owned),
    }
}

/// The "promise" machine of PRODUCT §9 plus a middle state, open to `APP` only.
pub fn promise_service() -> ServiceConfig {
    ServiceConfig {
        service_id: SERVICE.into(),
        app_ids: vec![APP.into()],
        categories: vec![CategoryConfig {
            code: "WATCH_MOVIE".into(),
            name: None,
            states: vec![
                state(
                    "BUY",
                    true,
                    false,
                    &["CHECKED_IN", "REFUND"],
                    Some(
                        r#"{"type":"object","required":["orderNo"],"properties":{"orderNo":{"type":"string"},"buyCnt":{"type":"integer","minimum":1}}}"#,
                    ),
                ),
                state("CHECKED_IN", false, false, &["CHECKED_IN", "WATCHED"], None),
                state("WATCHED", false, true, &[], None),
                state("REFUND", false, true, &[], None),
            ],
        }],
    }
}

pub fn records() -> Records {
    let app = |id: &str| App {
        app_id: id.into(),
        partner_id: PARTNER.into(),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        app_cert_sn: None,
        encrypt_key: None,
        sign_types: vec![SignType::Rsa2, SignType::Rsa],
        enabled: true,
        notify_url: None,
    };
    let template = |no: &str, mode| Template {
        template_no: no.into(),
        mode,
        obligation_times: Some(5),
        obligation_amount: Some(Fen(10_000)),
        period_days: Some(30),
        settle_check: true,
        settle_tolerance: Fen::ZERO,
    };
    Records {
        apps: vec![
            app(APP),
            App {
                partner_id: OTHER_PARTNER.into(),
                ..app(ISV_APP)
            },
        ],
        app_auth_tokens: vec![AppAuthToken {
            token: "token-1".into(),
            app_id: ISV_APP.into(),
            partner_id: PARTNER.into(),
            expires_at: t("2030-01-01 00:00:00"),
        }],
        templates: vec![
            template("T_DEC", TemplateMode::Decoupled),
            template("T_BOUND", TemplateMode::Bound),
        ],
        agreements: vec![
            agreement(AGREEMENT, "T_DEC", PARTNER, AgreementStatus::Valid),
            agreement(AGREEMENT_2, "T_DEC", PARTNER, AgreementStatus::Valid),
            agreement(BOUND_AGREEMENT, "T_BOUND", PARTNER, AgreementStatus::Valid),
            agreement(
                INVALID_AGREEMENT,
                "T_DEC",
                PARTNER,
                AgreementStatus::Invalid,
            ),
            agreement(
                FOREIGN_AGREEMENT,
                "T_DEC",
                OTHER_PARTNER,
                AgreementStatus::Valid,
            ),
        ],
        trades: vec![Trade {
            trade_no: TRADE.into(),
            buyer_user_id: USER.into(),
            seller_partner_id: PARTNER.into(),
            amount: Fen(357),
        }],
        state_services: vec![promise_service()],
        zmgo_users: vec![ZmgoUser {
            user_id: BARRED_USER.into(),
            admitted: false,
        }],
    }
}

/// Where a test's data lives; removed when dropped.
pub enum Db {
    Sqlite { dir: tempfile::TempDir, fsync: bool },
    Postgres(pg::PgDatabase),
}

impl Db {
    /// A fresh, empty place for `backend`.
    pub fn fresh(backend: Backend, fsync: bool) -> Db {
        match backend {
            Backend::Sqlite => Db::Sqlite {
                dir: tempfile::tempdir().expect("tempdir"),
                fsync,
            },
            Backend::Postgres => Db::Postgres(pg::PgDatabase::create()),
        }
    }

    /// Opens (again) the storage on this data, migrating as needed.
    pub async fn open(&self) -> Storage {
        match self {
            Db::Sqlite { dir, fsync } => {
                let options = SqliteOptions {
                    fsync: *fsync,
                    ..SqliteOptions::in_dir(dir.path())
                };
                Storage::open_sqlite(&options).await.expect("open sqlite")
            }
            Db::Postgres(db) => Storage::open_postgres(&PgOptions::new(&db.url))
                .await
                .expect("open postgres"),
        }
    }
}

/// A seeded durable database on `backend`.
pub async fn open(backend: Backend) -> (Db, Arc<Storage>) {
    open_with(backend, true).await
}

/// `fsync: false` is SQLite's `--unsafe-no-fsync`; PostgreSQL ignores it.
pub async fn open_with(backend: Backend, fsync: bool) -> (Db, Arc<Storage>) {
    let db = Db::fresh(backend, fsync);
    let storage = Arc::new(db.open().await);
    storage
        .apply_records(&records())
        .await
        .expect("seed records");
    (db, storage)
}

/// A cumulation request body (v3 JSON) for `AGREEMENT`, as a merchant would send it.
pub fn sync_body(out_biz_no: &str) -> Value {
    json!({
        "agreement_no": AGREEMENT,
        "user_id": USER,
        "partner_id": PARTNER,
        "out_biz_no": out_biz_no,
        "biz_action": "ORDER_PAID",
        "biz_time": "2024-05-20 10:00:00",
        "cumulate_data_type": "AMOUNT",
        "request_from": "ExternalMerchantSource",
        "amount_type_data": {
            "name": "累计消费",
            "trade_info": {"trade_no": TRADE, "amount": "3.57"},
            "out_discount_infos": [
                {"discount_name": "滴滴打车优惠001", "discount_type": "exclusiveBenefit", "discount_amount": "8.75"}
            ]
        }
    })
}

/// A refund body of `pay_out_biz_no` with the given trade and discount amounts.
pub fn refund_body(out_biz_no: &str, pay_out_biz_no: &str, trade: &str, discount: &str) -> Value {
    let mut body = sync_body(out_biz_no);
    body["biz_action"] = json!("ORDER_REFUND");
    body["pay_out_biz_no"] = json!(pay_out_biz_no);
    body["biz_time"] = json!("2024-05-21 10:00:00");
    body["amount_type_data"]["trade_info"]["amount"] = json!(trade);
    body["amount_type_data"]["out_discount_infos"][0]["discount_amount"] = json!(discount);
    body
}

/// A task body (decoupled TASK).
pub fn task_body(out_biz_no: &str, task: &str) -> Value {
    json!({
        "agreement_no": AGREEMENT,
        "user_id": USER,
        "partner_id": PARTNER,
        "out_biz_no": out_biz_no,
        "biz_action": "ORDER_PAID",
        "biz_time": "2024-05-20 10:00:00",
        "cumulate_data_type": "TASK",
        "request_from": "ExternalMerchantSource",
        "task_type_data": {"name": task}
    })
}

/// Parses and validates a body exactly as the HTTP layer does (rule 1).
pub fn cmd(body: &Value) -> CumulationCmd {
    let model = validate::parse_cumulation(&body.to_string()).expect("body parses");
    validate::validate_cumulation(&model, now(), Duration::minutes(15)).expect("body validates")
}

pub fn settle_cmd(body: Value) -> SettleCmd {
    let model = zhima_proto::models::from_json(&body.to_string()).expect("settle body parses");
    validate::validate_settle_apply(&model).expect("settle body validates")
}

pub fn state_cmd(out_biz_no: &str, principal: &str, state: &str, biz_data: &str) -> StateSyncCmd {
    state_cmd_in(
        SERVICE,
        "WATCH_MOVIE",
        out_biz_no,
        principal,
        state,
        biz_data,
    )
}

pub fn state_cmd_in(
    service: &str,
    category: &str,
    out_biz_no: &str,
    principal: &str,
    state: &str,
    biz_data: &str,
) -> StateSyncCmd {
    let body = json!({
        "user_id": USER,
        "out_biz_no": out_biz_no,
        "out_principal_id": principal,
        "biz_state_code": state,
        "category_code": category,
        "service_id": service,
        "biz_data": biz_data,
    });
    let model = validate::parse_state_sync(&body.to_string()).expect("state body parses");
    validate::validate_state_sync_shape(&model).expect("state body validates")
}

/// The business code of a rejection (panics on success or internal errors).
pub fn code_of<T: std::fmt::Debug>(r: zhima_server::Result<T>) -> String {
    match r {
        Err(zhima_server::Error::Rejected(rej)) => rej.code.as_str().to_owned(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// The rejection itself.
pub fn rejection_of<T: std::fmt::Debug>(
    r: zhima_server::Result<T>,
) -> zhima_server::error::Rejection {
    match r {
        Err(zhima_server::Error::Rejected(rej)) => rej,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// A `settle.refund` request body, parsed and validated as the HTTP layer does.
pub fn refund_cmd(body: Value) -> zhima_server::domain::settle_refund::RefundCmd {
    let model = zhima_proto::models::from_json(&body.to_string()).expect("refund body parses");
    validate::validate_settle_refund(&model).expect("refund body validates")
}

/// A `settle.unfreeze` request body, parsed and validated as the HTTP layer does.
pub fn unfreeze_cmd(body: Value) -> zhima_server::domain::settle_unfreeze::UnfreezeCmd {
    let model = zhima_proto::models::from_json(&body.to_string()).expect("unfreeze body parses");
    validate::validate_settle_unfreeze(&model).expect("unfreeze body validates")
}

/// Settles `agreement` (empty ledger: zero totals) under `plan` for `pay` yuan, as `caller`.
pub async fn settle_empty(
    storage: &Storage,
    caller: Caller,
    agreement: &str,
    out_request_no: &str,
    plan: &str,
    pay: &str,
) -> zhima_server::Result<zhima_server::domain::settle::SettleReceipt> {
    let cmd = settle_cmd(json!({
        "agreement_id": agreement, "partner_id": caller.partner_id, "out_request_no": out_request_no,
        "withhold_plan_no": plan, "pay_amount": pay,
        "total_real_pay_amount": "0.00", "total_discount_amount": "0.00", "total_task_count": "0"
    }));
    storage.apply_settlement(cmd, caller).await
}

/// A merchant-level `cumulate.sync` request body, parsed and validated as the HTTP layer does.
pub fn merchant_sync_cmd(body: Value) -> zhima_server::domain::merchant_sync::MerchantSyncCmd {
    let model = zhima_proto::models::from_json(&body.to_string()).expect("merchant body parses");
    validate::validate_merchant_cumulate_sync(&model).expect("merchant body validates")
}
