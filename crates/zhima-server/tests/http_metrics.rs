//! `GET /metrics` after real v1/v3 traffic: the right counters with the right labels, every
//! label from a fixed vocabulary, and nothing the callers sent (keys, signatures, tokens,
//! user ids, `out_biz_no`, an unknown method's name).

mod http_support;

use http_support::*;
use zhima_proto::catalog::{CumulationCode, GatewaySubCode, ZmdataCode};
use zhima_proto::models::Api;

/// The value of the sample line `name{labels}` (exact label text), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Every `key="value"` label pair of every sample line.
fn label_pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, rest)) = line.split_once('{') else {
            continue;
        };
        let labels = rest.rsplit_once('}').unwrap().0;
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once("=\"").unwrap();
            pairs.push((k.to_owned(), v.trim_end_matches('"').to_owned()));
        }
    }
    pairs
}

/// A request's audit entry rides with the next request's write: N sequential syncs cost N
/// commits (N fsyncs), not 2N with an audit-only commit after each answer.
#[tokio::test]
async fn each_sync_costs_one_commit_audit_included() {
    let server = TestServer::start_with(|s| {
        // No background writes during the test: only the requests' own writes commit.
        let hour = std::time::Duration::from_secs(3600);
        s.audit_flush_every = hour;
        s.expiry_sweep_every = hour;
        s.audit_retention_days = 0;
        s.notify.enabled = false;
    })
    .await;
    let sync = Api::CumulationSync.v1_method();
    // The periodic tasks run once at start (expiry sweep): let that pass first.
    let warm_up = V1::new(
        sync,
        &cumulation_body(AGREEMENT_NO, PARTNER_ID, &unique("Warm")),
    );
    assert_eq!(warm_up.send(&server).await.node(&warm_up)["code"], "10000");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let before = server.storage.stats().commits;
    for i in 0..10 {
        let obn = unique(&format!("OneCommit{i}"));
        let req = V1::new(sync, &cumulation_body(AGREEMENT_NO, PARTNER_ID, &obn));
        assert_eq!(req.send(&server).await.node(&req)["code"], "10000");
    }
    assert_eq!(server.storage.stats().commits - before, 10);
    // Every entry is there once the log is read (the read flushes the last one).
    let audit = server.storage.recent_audit(100).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.method == sync).count(), 11);
}

#[tokio::test]
async fn metrics_count_requests_by_api_channel_and_outcome_and_leak_nothing() {
    let server = TestServer::start().await;
    let sync = Api::CumulationSync.v1_method();
    let state = Api::StateSync.v1_method();

    // v1: a success, a business rejection, an unknown hostile method, a bad signature.
    let ok_obn = unique("MetricsOkObn");
    let ok = V1::new(sync, &cumulation_body(AGREEMENT_NO, PARTNER_ID, &ok_obn));
    assert_eq!(ok.send(&server).await.node(&ok)["code"], "10000");
    let rejected_obn = unique("MetricsRejObn");
    let rejected = V1::new(
        state,
        &state_sync_body(&rejected_obn, r#"{"电影":"流浪地球"}"#),
    );
    assert_codes(
        &rejected.send(&server).await.node(&rejected),
        "40004",
        "ZMDATA.BIZ_DATA_ERROR",
    );
    let hostile = "evil.method\"} zhima_requests_total{api=\"injected\"} 1e9";
    let unknown = V1::new(hostile, "{}");
    unknown.send(&server).await;
    let forged_sign = "Rm9yZ2VkU2lnbmF0dXJlRm9yTWV0cmljc1Rlc3Q=";
    let bad_obn = unique("MetricsBadSigObn");
    let bad_sig = V1::new(sync, &cumulation_body(AGREEMENT_NO, PARTNER_ID, &bad_obn))
        .after_sign("sign", Some(forged_sign));
    bad_sig.send(&server).await;
    let real_sign = {
        let (query, _) = ok.wire();
        let sign = query
            .split('&')
            .find_map(|p| p.strip_prefix("sign="))
            .unwrap()
            .to_owned();
        urlencoding_decode(&sign)
    };

    // v3: a success and an unknown route.
    let v3_obn = unique("MetricsV3Obn");
    let v3 = V3::post(V3_SYNC, &cumulation_body(AGREEMENT_NO, PARTNER_ID, &v3_obn));
    assert_eq!(v3.send(&server).await.status, 200);
    let v3_unknown = V3::get("/v3/zhima/evil_route_MetricsPathSecret");
    assert_eq!(v3_unknown.send(&server).await.status, 404);

    let resp = client()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain; version=0.0.4")));
    let text = resp.text().await.unwrap();

    let count = |api: &str, channel: &str, outcome: &str| {
        sample(
            &text,
            &format!(
                "zhima_requests_total{{api=\"{api}\",channel=\"{channel}\",outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(count(sync, "v1", "success"), Some(1.0), "{text}");
    assert_eq!(
        count(state, "v1", "ZMDATA.BIZ_DATA_ERROR"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count("unknown", "v1", GatewaySubCode::IsvInvalidMethod.as_str()),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(sync, "v1", GatewaySubCode::IsvInvalidSignature.as_str()),
        Some(1.0),
        "{text}"
    );
    assert_eq!(count(sync, "v3", "success"), Some(1.0), "{text}");
    assert_eq!(
        count("unknown", "v3", GatewaySubCode::IsvInvalidMethod.as_str()),
        Some(1.0),
        "{text}"
    );
    let total: f64 = text
        .lines()
        .filter(|l| l.starts_with("zhima_requests_total{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 6.0, "{text}");

    // Latency: one histogram series per (api, channel), counting the same requests.
    assert_eq!(
        sample(
            &text,
            &format!("zhima_request_duration_seconds_count{{api=\"{sync}\",channel=\"v1\"}}")
        ),
        Some(2.0),
        "{text}"
    );
    // The scrape itself is not counted in flight; nothing else is running.
    assert_eq!(
        sample(&text, "zhima_requests_in_flight"),
        Some(0.0),
        "{text}"
    );
    // Storage: the records upsert and the writes above committed, in batches.
    assert!(
        sample(&text, "zhima_storage_commits_total").unwrap() >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "zhima_storage_write_jobs_total").unwrap() >= 3.0,
        "{text}"
    );
    assert!(sample(&text, "zhima_storage_commit_batch_size_count").unwrap() >= 1.0);
    assert!(sample(&text, "zhima_storage_commit_batch_size_max").unwrap() >= 1.0);
    assert!(sample(&text, "zhima_storage_commit_duration_seconds_count").unwrap() >= 1.0);
    assert!(text.contains("zhima_storage_commit_duration_seconds_bucket{le=\"0.001\"}"));
    assert!(
        sample(&text, "zhima_storage_queue_depth").is_some(),
        "{text}"
    );

    // Every label value is from a fixed vocabulary.
    let apis: Vec<&str> = Api::ALL.iter().map(|a| a.v1_method()).collect();
    for (key, value) in label_pairs(&text) {
        let known = match key.as_str() {
            "api" => value == "unknown" || apis.contains(&value.as_str()),
            "channel" => value == "v1" || value == "v3",
            "outcome" => {
                value == "success"
                    || GatewaySubCode::ALL.iter().any(|c| c.as_str() == value)
                    || CumulationCode::ALL.iter().any(|c| c.as_str() == value)
                    || ZmdataCode::ALL.iter().any(|c| c.as_str() == value)
            }
            "le" => value == "+Inf" || value.parse::<f64>().is_ok(),
            other => panic!("unexpected label {other}"),
        };
        assert!(
            known,
            "label {key}={value:?} is not from a fixed vocabulary"
        );
    }

    // Nothing the callers sent, nor any secret.
    let k = keys();
    let app_key_line = k.app_public_pem.lines().nth(1).unwrap();
    let platform_key_line = k.platform_private_pem.lines().nth(1).unwrap();
    for needle in [
        ok_obn.as_str(),
        rejected_obn.as_str(),
        bad_obn.as_str(),
        v3_obn.as_str(),
        USER_ID,
        APP_ID,
        PARTNER_ID,
        AGREEMENT_NO,
        TOKEN,
        "evil",
        "injected",
        "MetricsPathSecret",
        forged_sign,
        real_sign.as_str(),
        &real_sign[..24],
        app_key_line,
        platform_key_line,
        &k.aes_b64,
    ] {
        assert!(
            !text.contains(needle),
            "/metrics contains {needle:?}:\n{text}"
        );
    }
}

/// Percent-decoding of a form value (the test's own `sign`, to look for it).
fn urlencoding_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
}
