//! Pushes one business-state change through the v1 gateway and prints the verified answer.
//!
//! Against a local `zhima serve` (zero config) from the directory it was started in:
//!
//! ```sh
//! cargo run -p zhima-client --example v1_state_sync
//! ```
//!
//! Environment (defaults in brackets): `ZHIMA_BASE_URL` [http://127.0.0.1:8080],
//! `ZHIMA_APP_ID` [2021000000000001], `ZHIMA_APP_PRIVATE_KEY` [zhima-data/keys/app_private.pem],
//! `ZHIMA_PLATFORM_PUBLIC_KEY` [zhima-data/keys/platform_public.pem].

use std::time::Duration;

use zhima_client::models::ZhimaDataStateDataSyncModel;
use zhima_client::{Endpoint, Error, RequestStrategy, ZhimaClient};

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
        .timeout(Duration::from_secs(10))
        .strategy(RequestStrategy::retry(3))
        .build()?;

    let out_biz_no = format!("ZMDS{}", chrono::Utc::now().timestamp_millis());
    let model = ZhimaDataStateDataSyncModel {
        user_id: Some("2088602002015001".into()),
        out_biz_no: Some(out_biz_no.clone()),
        out_principal_id: Some("1303902".into()),
        biz_state_code: Some("CONTRACT_STATE_WATCH_MOVIE_BUY".into()),
        category_code: Some("WATCH_MOVIE".into()),
        service_id: Some("2019080700000000000001800100".into()),
        biz_data: Some(r#"{"orderNo":"20240520000001","buyCnt":2}"#.into()),
        ..Default::default()
    };

    match client.v1().state_data_sync(&model).await {
        Ok(reply) => println!(
            "{out_biz_no}: biz_result={:?} (attempts {}, trace {:?})",
            reply.data.biz_result, reply.attempts, reply.trace_id
        ),
        Err(Error::Api(refusal)) => println!("{out_biz_no}: refused with {refusal}"),
        Err(other) => return Err(other),
    }
    Ok(())
}
