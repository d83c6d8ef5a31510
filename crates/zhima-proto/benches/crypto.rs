//! Criterion benchmarks of the protocol's hot paths: RSA2/RSA signing and verification,
//! the v1 string-to-sign, v1 request parsing and response node extraction.
//!
//! Run: `cargo bench -p zhima-proto --bench crypto`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use zhima_proto::keys::PrivateKey;
use zhima_proto::sign::SignType;
use zhima_proto::v1::{self, Charset, GatewayParams, ResponseNode, SdkLayout};

const BIZ: &str = r#"{"agreement_no":"20195108518085620000","user_id":"2088602002015001","partner_id":"2088621805983504","out_biz_no":"2020081211223006150094012926289","biz_action":"ORDER_PAID","biz_time":"2024-05-20 10:00:00","cumulate_data_type":"AMOUNT","request_from":"ExternalMerchantSource","amount_type_data":{"name":"累计消费","trade_info":{"trade_no":"2020081722001435461000061785","amount":"3.57"},"out_discount_infos":[{"discount_name":"滴滴打车优惠001","discount_type":"exclusiveBenefit","discount_amount":"8.75"}]}}"#;

fn params() -> GatewayParams {
    GatewayParams::from_pairs([
        ("app_id", "2021000000000001"),
        ("method", "zhima.credit.pe.zmgo.cumulation.sync"),
        ("charset", "utf-8"),
        ("format", "json"),
        ("sign_type", "RSA2"),
        ("timestamp", "2024-05-20 10:00:00"),
        ("version", "1.0"),
        ("biz_content", BIZ),
    ])
}

fn benches(c: &mut Criterion) {
    let key = PrivateKey::generate().unwrap();
    let public = key.public_key();
    let content = params().sign_content();
    let rsa2 = key.sign(SignType::Rsa2, content.as_bytes()).unwrap();
    let rsa1 = key.sign(SignType::Rsa, content.as_bytes()).unwrap();

    c.bench_function("sign RSA2 (SHA256withRSA, 2048)", |b| {
        b.iter(|| {
            key.sign(SignType::Rsa2, black_box(content.as_bytes()))
                .unwrap()
        })
    });
    c.bench_function("sign RSA (SHA1withRSA, 2048)", |b| {
        b.iter(|| {
            key.sign(SignType::Rsa, black_box(content.as_bytes()))
                .unwrap()
        })
    });
    c.bench_function("verify RSA2", |b| {
        b.iter(|| {
            public
                .verify(SignType::Rsa2, black_box(content.as_bytes()), &rsa2)
                .unwrap()
        })
    });
    c.bench_function("verify RSA", |b| {
        b.iter(|| {
            public
                .verify(SignType::Rsa, black_box(content.as_bytes()), &rsa1)
                .unwrap()
        })
    });
    let p = params();
    c.bench_function("v1 string-to-sign", |b| {
        b.iter(|| black_box(&p).sign_content())
    });
    let wire = v1::build_request(&p, &key, SdkLayout::Python).unwrap();
    c.bench_function("v1 parse query+body", |b| {
        b.iter(|| {
            GatewayParams::parse(black_box(wire.query.as_bytes()), wire.body.as_bytes(), None)
                .unwrap()
        })
    });
    let node = ResponseNode::Json(r#"{"code":"10000","msg":"Success","agreement_no":"20195108518085620000","out_biz_no":"2020081211223006150094012926289","user_id":"2088602002015001"}"#.into());
    let body = v1::build_response(
        "zhima_credit_pe_zmgo_cumulation_sync_response",
        &node,
        &key,
        SignType::Rsa2,
        Charset::Utf8,
        None,
    )
    .unwrap();
    c.bench_function("v1 response node extraction", |b| {
        b.iter(|| {
            v1::extract_signed_node(black_box(&body), "zhima.credit.pe.zmgo.cumulation.sync")
                .unwrap()
        })
    });
}

criterion_group!(crypto, benches);
criterion_main!(crypto);
