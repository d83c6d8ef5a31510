//! What one call costs the client beyond its request signature (performance issue: "per-call
//! overhead … ≤ 10 % of one signature").
//!
//! ```sh
//! cargo bench -p zhima-client --bench call_overhead
//! ```
//!
//! - `call/v1_cumulation_sync`, `call/v3_cumulation_sync`: a typed call end to end — model to
//!   JSON, parameters / `Authorization`, the string-to-sign, the signed request, the attempt
//!   loop, and on the way back the envelope, the platform signature's RSA verification (a real
//!   one, part of the overhead), the success judgement and the model parsed — through an
//!   in-process [`Transport`] answering a response the platform key signed before the clock
//!   started. The request signature is excluded by a [`Signer`] that returns a precomputed
//!   signature (the transport checks nothing, as the signature only matters to a server).
//! - `rsa/sign_rsa2`: one RSA2 (SHA256withRSA, 2048-bit) signature of a v1 string-to-sign of the
//!   same size on this machine, the yardstick; `rsa/verify_rsa2` for reference.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use reqwest::header::{HeaderMap, HeaderValue};
use zhima_client::models::{
    AmountTypeData, ZMGoOutDiscountInfo, ZMGoTradeInfo, ZhimaCreditPeZmgoCumulationSyncModel,
};
use zhima_client::proto::keys::PrivateKey;
use zhima_client::proto::sign::Signer;
use zhima_client::proto::v1::{self, Charset, ResponseNode};
use zhima_client::proto::v3;
use zhima_client::{BoxFuture, Endpoint, HttpResponse, SignType, Transport, ZhimaClient};

const METHOD: &str = "zhima.credit.pe.zmgo.cumulation.sync";
const OUT_BIZ_NO: &str = "ZMGO20240520100000000001";

/// A request signature computed once: what an RSA2 signature looks like, at no cost.
struct Presigned(String);

impl Signer for Presigned {
    fn sign(&self, _: SignType, _: &[u8]) -> zhima_client::proto::error::Result<String> {
        Ok(self.0.clone())
    }
}

/// The platform's answers, signed once: the v1 envelope, and the v3 body with its headers.
struct Canned {
    v1_body: String,
    v3_body: String,
    v3_headers: HeaderMap,
}

impl Transport for Canned {
    fn send(&self, request: reqwest::Request) -> BoxFuture<'_, zhima_client::Result<HttpResponse>> {
        let response = if request.url().path() == "/gateway.do" {
            HttpResponse::new(200, self.v1_body.as_str())
        } else {
            HttpResponse {
                status: 200,
                headers: self.v3_headers.clone(),
                body: self.v3_body.clone(),
            }
        };
        Box::pin(async move { Ok(response) })
    }
}

fn model() -> ZhimaCreditPeZmgoCumulationSyncModel {
    ZhimaCreditPeZmgoCumulationSyncModel {
        agreement_no: Some("20195108518085620000".into()),
        user_id: Some("2088602002015001".into()),
        partner_id: Some("2088621805983504".into()),
        out_biz_no: Some(OUT_BIZ_NO.into()),
        biz_action: Some("ORDER_PAID".into()),
        biz_time: Some("2024-05-20 10:00:00".into()),
        cumulate_data_type: Some("AMOUNT".into()),
        amount_type_data: Some(AmountTypeData {
            name: Some("累计消费".into()),
            trade_info: Some(ZMGoTradeInfo {
                trade_no: Some("2020081722001435461000061785".into()),
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
    }
}

fn bench(c: &mut Criterion) {
    let app = PrivateKey::generate().unwrap();
    let platform = PrivateKey::generate().unwrap();
    let node = r#"{"code":"10000","msg":"Success","agreement_no":"20195108518085620000","out_biz_no":"ZMGO20240520100000000001","user_id":"2088602002015001"}"#;
    let v1_body = v1::build_response(
        &v1::response_node_key(METHOD),
        &ResponseNode::Json(node.into()),
        &platform,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap();
    let v3_body = r#"{"agreement_no":"20195108518085620000","out_biz_no":"ZMGO20240520100000000001","user_id":"2088602002015001"}"#;
    let signed = v3::sign_response(
        &platform,
        chrono::Utc::now().timestamp_millis(),
        "5f0c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5",
        v3_body,
        None,
    )
    .unwrap();
    let mut v3_headers = HeaderMap::new();
    for (name, value) in [
        (v3::HEADER_SIGNATURE, signed.signature.as_str()),
        (v3::HEADER_TIMESTAMP, signed.timestamp.as_str()),
        (v3::HEADER_NONCE, signed.nonce.as_str()),
        (v3::HEADER_TRACE_ID, "0b1c2d3e4f5a6b7c"),
        ("content-type", "application/json;charset=utf-8"),
    ] {
        v3_headers.insert(name, HeaderValue::from_str(value).unwrap());
    }
    let client = ZhimaClient::builder()
        .app_id("2021000000000001")
        .signer(
            Presigned(app.sign(SignType::Rsa2, b"presigned").unwrap()),
            app.public_key(),
        )
        .platform_key(platform.public_key())
        .endpoint(Endpoint::local("http://zhima.invalid"))
        .transport(Canned {
            v1_body,
            v3_body: v3_body.into(),
            v3_headers,
        })
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let model = model();
    // Both calls succeed before anything is timed.
    let v1_reply = rt.block_on(client.v1().cumulation_sync(&model)).unwrap();
    assert_eq!(v1_reply.data.out_biz_no.as_deref(), Some(OUT_BIZ_NO));
    let v3_reply = rt.block_on(client.v3().cumulation_sync(&model)).unwrap();
    assert_eq!(v3_reply.data.out_biz_no.as_deref(), Some(OUT_BIZ_NO));

    let mut calls = c.benchmark_group("call");
    calls.bench_function("v1_cumulation_sync", |b| {
        b.iter(|| rt.block_on(client.v1().cumulation_sync(&model)).unwrap())
    });
    calls.bench_function("v3_cumulation_sync", |b| {
        b.iter(|| rt.block_on(client.v3().cumulation_sync(&model)).unwrap())
    });
    calls.finish();

    // The yardstick: what the v1 call would have signed (its string-to-sign's length).
    let content = "a".repeat(700);
    let signature = app.sign(SignType::Rsa2, content.as_bytes()).unwrap();
    let public = app.public_key();
    let mut rsa = c.benchmark_group("rsa");
    rsa.bench_function("sign_rsa2", |b| {
        b.iter(|| app.sign(SignType::Rsa2, content.as_bytes()).unwrap())
    });
    rsa.bench_function("verify_rsa2", |b| {
        b.iter(|| {
            public
                .verify(SignType::Rsa2, content.as_bytes(), &signature)
                .unwrap()
        })
    });
    rsa.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
