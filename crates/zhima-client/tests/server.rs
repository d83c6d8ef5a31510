//! End to end against the real platform: `zhima_server::http::Server` started in-process on
//! 127.0.0.1:0 with the zero-config demo sandbox, adjusted to the golden keys so that AES and
//! certificate mode can be exercised too.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use zhima_client::models::*;
use zhima_client::proto::keys::PrivateKey;
use zhima_client::{ApiError, ClientBuilder, Content, Endpoint, Error, SdkLayout, ZhimaClient};
use zhima_server::bootstrap::{bootstrap_default, demo};
use zhima_server::config::Config;
use zhima_server::http::{Server, Settings};
use zhima_server::storage::{SqliteOptions, Storage};

const CERT_APP_ID: &str = "2021000000000002";

struct Platform {
    base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Replaces `from` by `to` in the generated config, insisting that `from` is there.
fn edit(text: &mut String, from: &str, to: &str) {
    assert!(
        text.contains(from),
        "the demo zhima.toml no longer contains {from:?}"
    );
    *text = text.replace(from, to);
}

/// The demo sandbox with the golden keys, platform certificates, an AES key for the demo app,
/// and a second app in certificate mode.
fn write_sandbox(dir: &Path) -> Config {
    bootstrap_default(dir).unwrap();
    let k = keys();
    let golden = load("keys.json");
    let files = [
        (
            demo::PLATFORM_PRIVATE_KEY,
            s(&golden["platform"]["private_key_pkcs1_pem"]),
        ),
        (
            demo::APP_PUBLIC_KEY,
            s(&golden["app"]["public_key_spki_pem"]),
        ),
        ("keys/platform_cert.pem", &k.platform_cert),
        ("keys/root_bundle.pem", &k.root_bundle),
        ("keys/app_cert.pem", &k.app_cert),
    ];
    for (rel, text) in files {
        std::fs::write(dir.join(rel), text).unwrap();
    }
    let path = dir.join("zhima.toml");
    let mut toml = std::fs::read_to_string(&path).unwrap();
    edit(&mut toml, "# cert_file = ", "cert_file = ");
    edit(&mut toml, "# root_cert_file = ", "root_cert_file = ");
    edit(
        &mut toml,
        "# encrypt_key = \"aYA0GP8JEW+D7/UFaskCWA==\"",
        &format!("encrypt_key = \"{}\"", k.aes_b64),
    );
    toml.push_str(&format!(
        "\n[[apps]]\napp_id = \"{CERT_APP_ID}\"\npartner_id = \"{}\"\napp_cert_file = \"keys/app_cert.pem\"\n",
        demo::PARTNER_ID
    ));
    std::fs::write(&path, toml).unwrap();
    Config::load(&path).unwrap()
}

async fn start() -> Platform {
    let dir = tempfile::tempdir().unwrap();
    let config = write_sandbox(dir.path());
    let mut options = SqliteOptions::in_dir(dir.path());
    options.fsync = false; // speed; durability is the server's own tests' business
    let storage = Arc::new(Storage::open_sqlite(&options).await.unwrap());
    storage.apply_records(&config.records).await.unwrap();
    let server = Server::new(
        storage,
        zhima_server::http::Platform::from_config(&config),
        Settings::from_config(&config),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(listener, async {
        let _ = rx.await;
    }));
    Platform {
        base,
        shutdown: Some(tx),
        _dir: dir,
    }
}

fn client(p: &Platform) -> ClientBuilder {
    builder(&p.base)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

fn state_sync(out_biz_no: &str, order_no: &str) -> ZhimaDataStateDataSyncModel {
    ZhimaDataStateDataSyncModel {
        user_id: Some(demo::USER_ID.into()),
        out_biz_no: Some(out_biz_no.into()),
        // A fresh instance per call: a second BUY on one instance is not a legal transition.
        out_principal_id: Some(format!("P-{out_biz_no}")),
        biz_state_code: Some("CONTRACT_STATE_WATCH_MOVIE_BUY".into()),
        category_code: Some("WATCH_MOVIE".into()),
        service_id: Some(demo::SERVICE_ID.into()),
        biz_data: Some(format!(r#"{{"orderNo":"{order_no}","buyCnt":2}}"#)),
        ..Default::default()
    }
}

fn cumulation(out_biz_no: &str, amount: &str) -> ZhimaCreditPeZmgoCumulationSyncModel {
    ZhimaCreditPeZmgoCumulationSyncModel {
        agreement_no: Some(demo::AGREEMENT_NO.into()),
        user_id: Some(demo::USER_ID.into()),
        partner_id: Some(demo::PARTNER_ID.into()),
        out_biz_no: Some(out_biz_no.into()),
        biz_action: Some("ORDER_PAID".into()),
        biz_time: Some("2024-05-20 10:00:00".into()),
        cumulate_data_type: Some("AMOUNT".into()),
        amount_type_data: Some(AmountTypeData {
            name: Some("累计消费".into()),
            trade_info: Some(ZMGoTradeInfo {
                trade_no: None,
                amount: Some(amount.into()),
            }),
            out_discount_infos: None,
        }),
        request_from: Some("ExternalMerchantSource".into()),
        ..Default::default()
    }
}

fn totals_query() -> ZhimaMerchantZmgoCumulateQueryModel {
    ZhimaMerchantZmgoCumulateQueryModel {
        agreement_id: Some(demo::AGREEMENT_NO.into()),
        user_id: Some(demo::USER_ID.into()),
        ..Default::default()
    }
}

fn v1_refusal(err: Error) -> Box<zhima_client::V1ApiError> {
    match err {
        Error::Api(ApiError::V1(e)) => e,
        other => panic!("expected a v1 refusal, got {other:?}"),
    }
}

fn v3_refusal(err: Error) -> Box<zhima_client::V3ApiError> {
    match err {
        Error::Api(ApiError::V3(e)) => e,
        other => panic!("expected a v3 refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn state_sync_is_accepted_idempotent_and_refuses_a_changed_repeat() {
    let p = start().await;
    for layout in [SdkLayout::Python, SdkLayout::Node] {
        let c = client(&p).sdk_layout(layout).build().unwrap();
        let no = unique("ZMDS");
        let first = c
            .v1()
            .state_data_sync(&state_sync(&no, "O1"))
            .await
            .unwrap();
        assert_eq!(first.data.biz_result.as_deref(), Some("success"));
        // A retry with the same content gets the original success again.
        let again = c
            .v1()
            .state_data_sync(&state_sync(&no, "O1"))
            .await
            .unwrap();
        assert_eq!(again.data, first.data);
        // The same out_biz_no with other content is refused, signed.
        let e = v1_refusal(
            c.v1()
                .state_data_sync(&state_sync(&no, "O2"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (e.code.as_str(), e.sub_code.as_deref()),
            ("40004", Some("ZMDATA.OUT_BIZ_NO_REPEAT"))
        );
        assert!(e.verified);
    }
}

#[tokio::test]
async fn cumulations_in_v1_and_v3_add_up_in_both_queries() {
    let p = start().await;
    let c = client(&p).build().unwrap();
    let v1 = c
        .v1()
        .cumulation_sync(&cumulation(&unique("P1-"), "3.57"))
        .await
        .unwrap();
    assert_eq!(v1.data.agreement_no.as_deref(), Some(demo::AGREEMENT_NO));
    let no = unique("P3-");
    let v3 = c
        .v3()
        .cumulation_sync(&cumulation(&no, "1.43"))
        .await
        .unwrap();
    assert_eq!(v3.data.out_biz_no.as_deref(), Some(no.as_str()));
    // Same out_biz_no, other amount: IDEMPOTENT_ERROR, as a signed v3 error.
    let e = v3_refusal(
        c.v3()
            .cumulation_sync(&cumulation(&no, "9.99"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (e.status, e.code.as_str(), e.verified),
        (400, "IDEMPOTENT_ERROR", true)
    );

    let t1 = c.v1().cumulate_query(&totals_query()).await.unwrap().data;
    let t3 = c.v3().cumulate_query(&totals_query()).await.unwrap().data;
    assert_eq!(t1.aggr_amount.as_deref(), Some("5.00"));
    assert_eq!(t1.aggr_times, Some(2));
    assert_eq!(
        (t3.aggr_amount, t3.aggr_times),
        (t1.aggr_amount, t1.aggr_times)
    );
}

#[tokio::test]
async fn agreement_queries_answer_in_both_protocols() {
    let p = start().await;
    let c = client(&p).build().unwrap();
    let q = ZhimaCreditPeZmgoAgreementQueryModel {
        agreement_id: Some(demo::AGREEMENT_NO.into()),
        alipay_user_id: Some(demo::USER_ID.into()),
        ..Default::default()
    };
    let a1 = c.v1().agreement_query(&q).await.unwrap().data;
    let a3 = c.v3().agreement_query(&q).await.unwrap().data;
    assert_eq!(a1.agreement_status.as_deref(), Some("Y"));
    assert_eq!(a1, a3);
}

#[tokio::test]
async fn aes_and_certificate_mode_work_against_the_platform() {
    let p = start().await;
    let aes = client(&p).aes_key(keys().aes_b64).build().unwrap();
    aes.v1()
        .state_data_sync(&state_sync(&unique("AES"), "O1"))
        .await
        .unwrap();
    aes.v3()
        .cumulation_sync(&cumulation(&unique("AES"), "0.01"))
        .await
        .unwrap();

    let k = keys();
    let cert = ZhimaClient::builder()
        .app_id(CERT_APP_ID)
        .app_private_key(&k.app_pkcs1_pem)
        .certificates(&k.app_cert, &k.root_bundle, &k.platform_cert)
        .endpoint(Endpoint::local(&p.base))
        .build()
        .unwrap();
    cert.v1()
        .cumulation_sync(&cumulation(&unique("CERT"), "0.01"))
        .await
        .unwrap();
    cert.v3()
        .cumulation_sync(&cumulation(&unique("CERT"), "0.01"))
        .await
        .unwrap();
}

#[tokio::test]
async fn platform_refusals_are_typed_and_signed() {
    let p = start().await;
    // A request signed with a key the platform does not know.
    let stranger = client(&p)
        .app_key(PrivateKey::generate().unwrap())
        .build()
        .unwrap();
    let e = v1_refusal(
        stranger
            .v1()
            .state_data_sync(&state_sync(&unique("X"), "O1"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (e.code.as_str(), e.sub_code.as_deref()),
        ("40002", Some("isv.invalid-signature"))
    );
    let e = v3_refusal(
        stranger
            .v3()
            .cumulation_sync(&cumulation(&unique("X"), "1.00"))
            .await
            .unwrap_err(),
    );
    assert_eq!((e.status, e.code.as_str()), (401, "invalid-signature"));
    assert!(e.verified, "zhima signs its v3 errors");

    // An app auth token acting for another merchant may not sync this merchant's agreement.
    let isv = client(&p)
        .app_auth_token("202405BBtestAppAuthToken0000000000000001")
        .build()
        .unwrap();
    let e = v3_refusal(
        isv.v3()
            .cumulation_sync(&cumulation(&unique("T"), "1.00"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, "REQUEST_ACCESS_ILLEGAL");

    // Verbatim content the platform rejects.
    let c = client(&p).build().unwrap();
    let e = v1_refusal(
        c.v1()
            .cumulation_sync(Content::json(r#"{"out_biz_no":"Z"}"#))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, "40004");
    assert!(e.sub_code.is_some());
}

#[tokio::test]
async fn legacy_rsa_sign_type_round_trips() {
    // sign_type=RSA (SHA1withRSA): the platform answers with the same algorithm.
    let p = start().await;
    let c = client(&p)
        .sign_type(zhima_client::SignType::Rsa)
        .build()
        .unwrap();
    let reply = c
        .v1()
        .state_data_sync(&state_sync(&unique("RSA"), "O1"))
        .await
        .unwrap();
    assert_eq!(reply.data.biz_result.as_deref(), Some("success"));
}
