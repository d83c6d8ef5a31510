//! The Zhima GO lifecycle through the SDK (PRODUCT §11): create a template, consult, create a
//! preorder (v3 PUT), build the user's signing URL (page method), sign server-side, report a
//! task with the merchant cumulate.sync, unsign, refund and unfreeze.
//!
//! Against a local `zhima serve` (zero config) from the directory it was started in:
//!
//! ```sh
//! cargo run -p zhima-client --example v1_lifecycle
//! ```
//!
//! Environment as in `v3_cumulation_sync`: `ZHIMA_BASE_URL`, `ZHIMA_APP_ID`,
//! `ZHIMA_APP_PRIVATE_KEY`, `ZHIMA_PLATFORM_PUBLIC_KEY`.

use zhima_client::models::*;
use zhima_client::{Endpoint, Error, RequestStrategy, ZhimaClient};

const PARTNER: &str = "2088621805983504";
const USER: &str = "2088602002015001";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = ZhimaClient::builder()
        .app_id(env_or("ZHIMA_APP_ID", "2021000000000001"))
        .app_private_key(read(&env_or(
            "ZHIMA_APP_PRIVATE_KEY",
            "zhima-data/keys/app_private.pem",
        )))
        .platform_public_key(read(&env_or(
            "ZHIMA_PLATFORM_PUBLIC_KEY",
            "zhima-data/keys/platform_public.pem",
        )))
        .endpoint(Endpoint::local(env_or(
            "ZHIMA_BASE_URL",
            "http://127.0.0.1:8080",
        )))
        .strategy(RequestStrategy::retry(3))
        .build()?;
    let run = chrono::Utc::now().timestamp_millis();

    let template = ZhimaMerchantZmgoTemplateCreateModel {
        basic_config: Some(ZMGOBasicConfig {
            partner_id: Some(PARTNER.into()),
            out_biz_no: Some(format!("TPL{run}")),
            template_name: Some("芝麻GO月卡".into()),
            ..Default::default()
        }),
        open_config: Some(ZMGOOpenConfig {
            period_mode: Some("RELATIVE_DATE".into()),
            period_time: Some("30".into()),
            freeze_amount: Some("10.00".into()),
            ..Default::default()
        }),
        obligation_config: Some(ZMGOObligationConfig {
            obligation_times: Some("3".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let template_no = client
        .v3()
        .template_create(&template)
        .await?
        .data
        .template_no;
    println!("template {template_no:?}");

    let consult = ZhimaCreditPeZmgoPreConsultModel {
        partner_id: Some(PARTNER.into()),
        template_id: template_no.clone(),
        alipay_user_id: Some(USER.into()),
        ..Default::default()
    };
    println!(
        "admitted {:?}",
        client.v1().pre_consult(&consult).await?.data.admittance
    );

    let preorder = ZhimaCreditPeZmgoPreorderCreateModel {
        partner_id: Some(PARTNER.into()),
        template_id: template_no.clone(),
        alipay_user_id: Some(USER.into()),
        out_request_no: Some(format!("PRE{run}")),
        timeout_express: Some("2h".into()),
        ..Default::default()
    };
    let preorder_no = client
        .v3()
        .preorder_create(&preorder)
        .await?
        .data
        .preorder_no;

    let sign_page = ZhimaCreditPeZmgoSignApplyModel {
        partner_id: Some(PARTNER.into()),
        preorder_no: preorder_no.clone(),
        ..Default::default()
    };
    let url = client
        .v1()
        .sign_apply_url(&sign_page, Some("https://merchant.example/signed"))?;
    println!("the user would open: {url}");

    let sign = ZhimaCreditPeZmgoAgreementSignModel {
        partner_id: Some(PARTNER.into()),
        preorder_no,
        alipay_user_id: Some(USER.into()),
        ..Default::default()
    };
    let agreement = client.v1().agreement_sign(&sign).await?.data;
    println!(
        "agreement {:?} until {:?}",
        agreement.agreement_id, agreement.exp_invalid_time
    );

    let report = ZhimaMerchantZmgoCumulateSyncModel {
        agreement_id: agreement.agreement_id.clone(),
        provider_pid: Some(PARTNER.into()),
        user_id: Some(USER.into()),
        out_biz_no: Some(format!("MS{run}")),
        biz_action: Some("POSITIVE".into()),
        data_type: Some("TASK".into()),
        biz_time: Some(zhima_client::proto::time::format_alipay_datetime(
            &chrono::Utc::now(),
        )),
        times_type_sync_data: Some(TimesTypeSyncData {
            task_times: Some(1),
            task_amount: Some("3.57".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    client.v3().merchant_cumulate_sync(&report).await?;

    let unsign = ZhimaCreditPeZmgoAgreementUnsignModel {
        agreement_id: agreement.agreement_id.clone(),
        partner_id: Some(PARTNER.into()),
        quit_type: Some("USER_CANCEL_QUIT".into()),
        ..Default::default()
    };
    let plan = client
        .v3()
        .agreement_unsign(&unsign)
        .await?
        .data
        .withhold_plan_no;
    println!("withhold plan {plan:?}");

    let unfreeze = ZhimaCreditPeZmgoSettleUnfreezeModel {
        agreement_id: agreement.agreement_id.clone(),
        partner_id: Some(PARTNER.into()),
        out_request_no: Some(format!("UF{run}")),
        unfreeze_amount: Some("5.00".into()),
        ..Default::default()
    };
    let released = client.v3().settle_unfreeze(&unfreeze).await?.data;
    println!(
        "unfreeze {:?} {:?}",
        released.unfreeze_status, released.unfreeze_amount
    );

    let refund = ZhimaCreditPeZmgoSettleRefundModel {
        agreement_id: agreement.agreement_id,
        partner_id: Some(PARTNER.into()),
        out_request_no: Some(format!("RF{run}")),
        withhold_plan_no: plan,
        refund_amount: Some("0.01".into()),
        ..Default::default()
    };
    match client.v3().settle_refund(&refund).await {
        Ok(r) => println!("refund {:?}", r.data.refund_opt_no),
        // Nothing settled yet in this walk-through: the platform says so.
        Err(e) => println!("refund refused: {e}"),
    }
    Ok(())
}
