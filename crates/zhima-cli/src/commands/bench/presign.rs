//! Requests built and signed before the clock starts, so the load generator spends no RSA
//! time while the server is measured.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::json;
use zhima_proto::keys::PrivateKey;
use zhima_proto::time::{format_alipay_datetime, now_alipay, to_epoch_millis};
use zhima_proto::v1::{build_request, GatewayParams, SdkLayout};
use zhima_proto::v3::{AuthString, Authorization};
use zhima_server::bootstrap::demo;

use super::Scenario;
use crate::Failure;

/// A request signed before the clock starts.
pub(super) struct Presigned {
    pub(super) path_and_query: String,
    pub(super) body: String,
    pub(super) content_type: &'static str,
    pub(super) authorization: Option<String>,
}

/// Builds and signs `n` requests of `scenario`, in parallel on every core.
pub(super) fn presign(
    key: &PrivateKey,
    scenario: Scenario,
    n: usize,
    run_tag: &str,
) -> Result<Vec<Presigned>, Failure> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<(usize, Presigned)>> = Mutex::new(Vec::with_capacity(n));
    let error: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                match presign_one(key, scenario, &format!("{run_tag}-{i}")) {
                    Ok(p) => out.lock().unwrap().push((i, p)),
                    Err(e) => {
                        *error.lock().unwrap() = Some(e);
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap() {
        return Err(Failure::Other(format!("cannot sign a request: {e}")));
    }
    let mut all = out.into_inner().unwrap();
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, p)| p).collect())
}

pub(super) fn presign_one(
    key: &PrivateKey,
    scenario: Scenario,
    id: &str,
) -> Result<Presigned, String> {
    let now = now_alipay();
    let biz_time = format_alipay_datetime(&now);
    let cumulation = || {
        json!({
            "agreement_no": demo::AGREEMENT_NO, "user_id": demo::USER_ID,
            "partner_id": demo::PARTNER_ID, "out_biz_no": id, "biz_action": "ORDER_PAID",
            "biz_time": biz_time, "cumulate_data_type": "AMOUNT",
            "request_from": "ExternalMerchantSource",
            "amount_type_data": {
                "name": "累计消费",
                "trade_info": {"trade_no": format!("T{id}"), "amount": "3.57"},
                "out_discount_infos": [{"discount_name": "立减", "discount_type": "exclusiveBenefit", "discount_amount": "1.00"}]
            }
        })
        .to_string()
    };
    let v1 = |method: &str, biz: String| -> Result<Presigned, String> {
        let params = GatewayParams::from_pairs([
            ("app_id", demo::APP_ID.to_owned()),
            ("method", method.to_owned()),
            ("charset", "utf-8".to_owned()),
            ("format", "json".to_owned()),
            ("sign_type", "RSA2".to_owned()),
            ("timestamp", biz_time.clone()),
            ("version", zhima_proto::v1::VERSION.to_owned()),
            ("biz_content", biz),
        ]);
        let signed = build_request(&params, key, SdkLayout::Python).map_err(|e| e.to_string())?;
        Ok(Presigned {
            path_and_query: format!("/gateway.do?{}", signed.query),
            body: signed.body,
            content_type: "application/x-www-form-urlencoded;charset=utf-8",
            authorization: None,
        })
    };
    match scenario {
        Scenario::V1StateSync => v1(
            "zhima.data.state.data.sync",
            json!({
                "user_id": demo::USER_ID, "out_biz_no": id, "out_principal_id": id,
                "biz_state_code": "CONTRACT_STATE_WATCH_MOVIE_BUY", "category_code": "WATCH_MOVIE",
                "service_id": demo::SERVICE_ID, "biz_data": "{\"orderNo\":\"o-1\"}"
            })
            .to_string(),
        ),
        Scenario::V1CumulationSync => v1("zhima.credit.pe.zmgo.cumulation.sync", cumulation()),
        Scenario::V1CumulateQuery => v1(
            "zhima.merchant.zmgo.cumulate.query",
            json!({"agreement_id": demo::AGREEMENT_NO, "user_id": demo::USER_ID}).to_string(),
        ),
        Scenario::V3CumulationSync => {
            let path = "/v3/zhima/credit/pe/zmgo/cumulation/sync";
            let body = cumulation();
            let fields = AuthString {
                app_id: demo::APP_ID.to_owned(),
                app_cert_sn: None,
                nonce: uuid::Uuid::new_v4().to_string(),
                timestamp: to_epoch_millis(&now).to_string(),
                extra: Vec::new(),
            };
            let auth = Authorization::sign(key, fields, "POST", path, &body, None)
                .map_err(|e| e.to_string())?;
            Ok(Presigned {
                path_and_query: path.to_owned(),
                body,
                content_type: "application/json",
                authorization: Some(auth.header_value()),
            })
        }
    }
}
