//! The Zhima GO lifecycle end to end (PRODUCT §11) through zhima-client against a real
//! `zhima serve`, on SQLite and on PostgreSQL: template → consult → preorder → sign → syncs
//! (cumulation.sync and the merchant cumulate.sync into the same ledger) → unsign or expiry
//! (`zhima admin clock advance 31d`) → settle.apply naming the withhold plan → refund →
//! unfreeze, with agreement.query and cumulate.query checked after every step.

mod support;

use serde::de::DeserializeOwned;
use serde_json::Value;
use support::lifecycle::{self as lc};
use support::*;
use zhima_client::{Endpoint, Error, ZhimaClient};
use zhima_proto::time::{format_alipay_datetime, now_alipay};

/// zhima-client for the sandbox's app.
fn client(sandbox: &Sandbox, server: &Server) -> ZhimaClient {
    ZhimaClient::builder()
        .app_id(APP_ID)
        .app_key(sandbox.app_key.clone())
        .platform_key(sandbox.platform_key.public_key())
        .endpoint(Endpoint::local(&server.base_url))
        .build()
        .expect("zhima-client")
}

/// A request body of support::lifecycle as the client's model.
fn model<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v} is not the model: {e}"))
}

/// The business code of a refusal (panics on success or a non-business failure).
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, Error>, code: &str, what: &str) {
    match result {
        Err(Error::Api(e)) if e.code() == code => {
            assert!(e.is_verified(), "{what}: the refusal is not signed: {e}")
        }
        other => panic!("{what}: expected {code}, got {other:?}"),
    }
}

/// One sandbox, its server and both clients.
struct World {
    sandbox: Sandbox,
    server: Server,
    zc: ZhimaClient,
    v1: V1,
}

impl World {
    fn start(backend: Backend) -> World {
        let sandbox = Sandbox::on(backend, &[]);
        let server = Server::start(&sandbox);
        let zc = client(&sandbox, &server);
        let v1 = V1::new(&sandbox, &server);
        World {
            sandbox,
            server,
            zc,
            v1,
        }
    }

    /// agreement.query's `agreement_status`.
    async fn status(&self, agreement: &str) -> String {
        let q = model(lc::agreement_query(agreement));
        let r = self
            .zc
            .v1()
            .agreement_query(&q)
            .await
            .expect("agreement.query");
        r.data.agreement_status.expect("agreement_status")
    }

    /// The whole ledger, checked consistent, with the expected totals and event count.
    async fn ledger(&self, agreement: &str, want: Totals, events: usize, what: &str) -> Ledger {
        let ledger = query_ledger(&self.v1, agreement).await;
        ledger.assert_consistent(what);
        assert_eq!(ledger.totals, want, "{what}: totals");
        assert_eq!(
            ledger.events.len(),
            events,
            "{what}: events {:#?}",
            ledger.events
        );
        ledger
    }

    /// template.create → pre.consult → preorder.create → agreement.sign: a `Y` agreement
    /// with an empty ledger; returns its id.
    async fn signed_agreement(&self, run: &str) -> String {
        let v1 = self.zc.v1();
        let created = self
            .zc
            .v3()
            .template_create(&model(lc::template_create(
                &format!("{run}-tpl"),
                "芝麻GO月卡",
            )))
            .await
            .expect("template.create");
        let template = created.data.template_no.expect("template_no");
        let consult = v1
            .pre_consult(&model(lc::pre_consult(&template)))
            .await
            .expect("pre.consult");
        assert_eq!(consult.data.admittance, Some(true), "pre.consult");
        let preorder = self
            .zc
            .v3()
            .preorder_create(&model(lc::preorder_create(
                &template,
                &format!("{run}-pre"),
            )))
            .await
            .expect("preorder.create");
        let preorder_no = preorder.data.preorder_no.expect("preorder_no");
        let sign = model(lc::agreement_sign(&preorder_no));
        let signed = v1.agreement_sign(&sign).await.expect("agreement.sign").data;
        let agreement = signed.agreement_id.clone().expect("agreement_id");
        assert_eq!(signed.template_id.as_deref(), Some(template.as_str()));
        let again = v1
            .agreement_sign(&sign)
            .await
            .expect("agreement.sign again");
        assert_eq!(
            again.data.agreement_id, signed.agreement_id,
            "signing again"
        );
        assert_eq!(self.status(&agreement).await, "Y", "after sign");
        self.ledger(&agreement, Totals::default(), 0, "after sign")
            .await;
        agreement
    }

    /// A cumulation.sync payment (10.00 paid, 2.50 discount) and a merchant cumulate.sync
    /// report (2 tasks, 3.57) into the same ledger; returns the ledger totals.
    async fn sync_both(&self, agreement: &str, run: &str) -> Totals {
        let at = format_alipay_datetime(&(now_alipay() - chrono::Duration::minutes(5)));
        let pay = paid_amount(
            agreement,
            &format!("{run}-c1"),
            1000,
            &[("exclusiveDiscount", "会员折扣", 250)],
            &at,
        );
        self.v1
            .outcome(CUMULATION_SYNC, &pay)
            .await
            .success("cumulation.sync");
        let after_pay = Totals {
            amount: 1000,
            discount: 250,
            times: 1,
        };
        self.ledger(agreement, after_pay, 1, "after cumulation.sync")
            .await;
        let report = model(lc::merchant_task(
            agreement,
            &format!("{run}-m1"),
            2,
            357,
            &at,
        ));
        let synced = self
            .zc
            .v1()
            .merchant_cumulate_sync(&report)
            .await
            .expect("merchant cumulate.sync");
        assert_eq!(
            synced.data.out_biz_no.as_deref(),
            Some(format!("{run}-m1").as_str())
        );
        let both = Totals {
            amount: 1357,
            discount: 250,
            times: 2,
        };
        let ledger = self
            .ledger(agreement, both, 2, "after merchant cumulate.sync")
            .await;
        let event = ledger
            .event(&format!("{run}-m1"))
            .expect("the merchant report's event");
        assert_eq!((event.refund, event.tasks), (false, 2), "{event:?}");
        both
    }

    /// settle.apply (wrong plan refused first) → settle.refund → settle.unfreeze, with the
    /// agreement `N` and the ledger unchanged afterwards.
    async fn settle_refund_unfreeze(&self, agreement: &str, run: &str, plan: &str, totals: Totals) {
        let v1 = self.zc.v1();
        let claim = lc::Claim::of(
            &self
                .ledger(agreement, totals, 2, "before settle.apply")
                .await,
        );
        assert_eq!(claim.tasks, 2, "the merchant report's 2 tasks: {claim:?}");
        // The same plan with its last digit changed.
        let last = plan.as_bytes()[plan.len() - 1] - b'0';
        let wrong = format!("{}{}", &plan[..plan.len() - 1], (last + 1) % 10);
        refused(
            v1.settle_apply(&model(lc::settle_apply(
                agreement,
                &format!("{run}-s0"),
                &wrong,
                500,
                claim,
            )))
            .await,
            "WITHHOLD_PLAN_NO_ILLEGAL",
            "settle.apply with another withhold_plan_no",
        );
        assert_eq!(
            self.status(agreement).await,
            "P",
            "a refused settlement changes nothing"
        );
        let apply = model(lc::settle_apply(
            agreement,
            &format!("{run}-s1"),
            plan,
            500,
            claim,
        ));
        let settled = v1.settle_apply(&apply).await.expect("settle.apply").data;
        assert_eq!(settled.withhold_plan_no.as_deref(), Some(plan));
        assert_eq!(self.status(agreement).await, "N", "after settle.apply");
        self.ledger(agreement, totals, 2, "after settle.apply")
            .await;

        let refund = model(lc::settle_refund(
            agreement,
            &format!("{run}-r1"),
            plan,
            300,
        ));
        let first = v1.settle_refund(&refund).await.expect("settle.refund").data;
        let opt = first.refund_opt_no.clone().expect("refund_opt_no");
        let again = v1
            .settle_refund(&refund)
            .await
            .expect("settle.refund again")
            .data;
        assert_eq!(
            again.refund_opt_no.as_deref(),
            Some(opt.as_str()),
            "idempotent refund"
        );
        refused(
            v1.settle_refund(&model(lc::settle_refund(
                agreement,
                &format!("{run}-r2"),
                plan,
                201,
            )))
            .await,
            "REFUND_AMOUNT_EXCEED",
            "refunds beyond the 5.00 settled",
        );
        v1.settle_refund(&model(lc::settle_refund(
            agreement,
            &format!("{run}-r3"),
            plan,
            200,
        )))
        .await
        .expect("refunding exactly the rest");

        let unfreeze = model(lc::settle_unfreeze(agreement, &format!("{run}-u1"), 400));
        let released = v1
            .settle_unfreeze(&unfreeze)
            .await
            .expect("settle.unfreeze")
            .data;
        assert_eq!(released.unfreeze_amount.as_deref(), Some("4.00"));
        refused(
            v1.settle_unfreeze(&model(lc::settle_unfreeze(
                agreement,
                &format!("{run}-u2"),
                lc::FREEZE - 399,
            )))
            .await,
            "UNFREEZE_AMOUNT_EXCEED",
            "unfreezing beyond the 10.00 frozen",
        );
        assert_eq!(
            self.status(agreement).await,
            "N",
            "after refund and unfreeze"
        );
        self.ledger(agreement, totals, 2, "after refund and unfreeze")
            .await;
    }
}

async fn unsign_lifecycle(backend: Backend) {
    let w = World::start(backend);
    let agreement = w.signed_agreement("un").await;
    let totals = w.sync_both(&agreement, "un").await;

    let unsign = model(lc::agreement_unsign(&agreement));
    let quit =
        w.zc.v1()
            .agreement_unsign(&unsign)
            .await
            .expect("agreement.unsign")
            .data;
    let plan = lc::assert_withhold_plan_no(quit.withhold_plan_no.as_deref(), "agreement.unsign");
    let again =
        w.zc.v1()
            .agreement_unsign(&unsign)
            .await
            .expect("unsign again")
            .data;
    assert_eq!(
        again.withhold_plan_no.as_deref(),
        Some(plan.as_str()),
        "unsign again"
    );
    assert_eq!(w.status(&agreement).await, "P", "after unsign");
    w.ledger(&agreement, totals, 2, "after unsign").await;
    let late = paid_task(
        &agreement,
        "un-late",
        &format_alipay_datetime(&now_alipay()),
    );
    w.v1.outcome(CUMULATION_SYNC, &late)
        .await
        .assert_cumulation_code("EASY_MEMBER_CONSULT_FAIL", "a sync into a P agreement");

    w.settle_refund_unfreeze(&agreement, "un", &plan, totals)
        .await;
}

/// The agreement's `withhold_plan_no` as stored (agreement.query does not carry it: the
/// official response model has no such field).
async fn stored_plan(w: &World, agreement: &str) -> Option<String> {
    use zhima_server::storage::{PgOptions, SqliteOptions, Storage};
    let storage = match &w.sandbox.database {
        Some(db) => {
            Storage::open_postgres(&PgOptions {
                url: db.url.clone(),
                pool_size: 1,
                connect_timeout: std::time::Duration::from_secs(10),
            })
            .await
        }
        None => {
            Storage::open_sqlite(&SqliteOptions::in_dir(&w.sandbox.dir.path().join("data"))).await
        }
    }
    .expect("open the server's database");
    let stored = storage
        .agreement(agreement)
        .await
        .expect("read the agreement");
    stored.and_then(|a| a.quit).map(|q| q.withhold_plan_no)
}

async fn expiry_lifecycle(backend: Backend) {
    let w = World::start(backend);
    let agreement = w.signed_agreement("ex").await;
    let totals = w.sync_both(&agreement, "ex").await;
    assert_eq!(stored_plan(&w, &agreement).await, None, "no plan while Y");

    let token = w.sandbox.dir.path().join("data/admin.token");
    let out = std::process::Command::new(zhima_bin())
        .args(["admin", "--url", &w.server.base_url, "--token-file"])
        .arg(&token)
        .args(["clock", "advance", "31d", "--json"])
        .output()
        .expect("run zhima admin");
    assert!(
        out.status.success(),
        "zhima admin clock advance 31d: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The server sweeps right after the advance (and every second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while w.status(&agreement).await != "P" {
        assert!(
            std::time::Instant::now() < deadline,
            "not expired 15 s after advancing 31d"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let plan = stored_plan(&w, &agreement)
        .await
        .expect("an expired agreement has a withhold_plan_no");
    lc::assert_withhold_plan_no(Some(&plan), "expiry");
    w.ledger(&agreement, totals, 2, "after expiry").await;

    w.settle_refund_unfreeze(&agreement, "ex", &plan, totals)
        .await;
}

#[tokio::test]
async fn unsign_lifecycle_on_sqlite() {
    unsign_lifecycle(Backend::Sqlite).await;
}

#[tokio::test]
async fn unsign_lifecycle_on_postgres() {
    unsign_lifecycle(Backend::Postgres).await;
}

#[tokio::test]
async fn expiry_lifecycle_on_sqlite() {
    expiry_lifecycle(Backend::Sqlite).await;
}

#[tokio::test]
async fn expiry_lifecycle_on_postgres() {
    expiry_lifecycle(Backend::Postgres).await;
}
