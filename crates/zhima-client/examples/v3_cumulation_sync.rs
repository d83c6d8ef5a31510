//! Reports one Zhima GO payment through v3 REST, then reads the agreement's totals back.
//!
//! Against a local `zhima serve` (zero config) from the directory it was started in:
//!
//! ```sh
//! cargo run -p zhima-client --example v3_cumulation_sync
//! ```
//!
//! Environment (defaults in brackets): `ZHIMA_BASE_URL` [http://127.0.0.1:8080],
//! `ZHIMA_APP_ID` [2021000000000001], `ZHIMA_APP_PRIVATE_KEY` [zhima-data/keys/app_private.pem],
//! `ZHIMA_PLATFORM_PUBLIC_KEY` [zhima-data/keys/platform_public.pem].

use zhima_client::models::{
    AmountTypeData, ZMGoOutDiscountInfo, ZMGoTradeInfo, ZhimaCreditPeZmgoCumulationSyncModel,
    ZhimaMerchantZmgoCumulateQueryModel,
};
use zhima_client::{Endpoint, Error, RequestStrategy, ZhimaClient};

const AGREEMENT: &str = "20195108518085620000";
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

    let now = chrono::Utc::now();
    let sync = ZhimaCreditPeZmgoCumulationSyncModel {
        agreement_no: Some(AGREEMENT.into()),
        user_id: Some(USER.into()),
        partner_id: Some("2088621805983504".into()),
        out_biz_no: Some(format!("ZMGO{}", now.timestamp_millis())),
        biz_action: Some("ORDER_PAID".into()),
        biz_time: Some(zhima_client::proto::time::format_alipay_datetime(&now)),
        cumulate_data_type: Some("AMOUNT".into()),
        amount_type_data: Some(AmountTypeData {
            name: Some("累计消费".into()),
            trade_info: Some(ZMGoTradeInfo {
                trade_no: None,
                amount: Some("3.57".into()),
            }),
            out_discount_infos: Some(vec![ZMGoOutDiscountInfo {
                discount_name: Some("滴滴打车优惠001".into()),
                discount_type: Some("exclusiveBenefit".into()),
                discount_amount: Some("8.75".into()),
            }]),
        }),
        request_from: Some("ExternalMerchantSource".into()),
        ..Default::default()
    };

    match client.v3().cumulation_sync(&sync).await {
        Ok(reply) => println!(
            "accepted {:?} (attempts {})",
            reply.data.out_biz_no, reply.attempts
        ),
        Err(Error::Api(refusal)) => println!("refused: {refusal}"),
        Err(other) => return Err(other),
    }

    let query = ZhimaMerchantZmgoCumulateQueryModel {
        agreement_id: Some(AGREEMENT.into()),
        user_id: Some(USER.into()),
        ..Default::default()
    };
    let totals = client.v3().cumulate_query(&query).await?.data;
    println!(
        "agreement {AGREEMENT}: {} yuan paid, {} yuan saved, {} orders",
        totals.aggr_amount.unwrap_or_default(),
        totals.aggr_discount_amount.unwrap_or_default(),
        totals.aggr_times.unwrap_or_default()
    );
    Ok(())
}
