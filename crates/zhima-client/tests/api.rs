//! Every typed method reaches its v1 method / v3 route with the model as content, and parses
//! the verified answer into its response model.

mod common;

use common::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};
use zhima_client::models::*;
use zhima_client::{Content, Error};

fn agreement_query() -> ZhimaCreditPeZmgoAgreementQueryModel {
    ZhimaCreditPeZmgoAgreementQueryModel {
        agreement_id: Some("20195108518085620000".into()),
        alipay_user_id: Some("2088602002015001".into()),
        ..Default::default()
    }
}

fn cumulate_query() -> ZhimaMerchantZmgoCumulateQueryModel {
    ZhimaMerchantZmgoCumulateQueryModel {
        agreement_id: Some("20195108518085620000".into()),
        need_detail: Some(true),
        page_size: Some(50),
        ..Default::default()
    }
}

fn settle() -> ZhimaCreditPeZmgoSettleApplyModel {
    ZhimaCreditPeZmgoSettleApplyModel {
        agreement_id: Some("20195108518085620000".into()),
        partner_id: Some("2088621805983504".into()),
        out_request_no: Some("S1".into()),
        withhold_plan_no: Some("W1".into()),
        pay_amount: Some("0.00".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn v1_methods_send_their_method_and_parse_their_models() {
    let (server, client) =
        v1_fake(r#"{"code":"10000","msg":"Success","biz_result":"success"}"#).await;
    let model = ZhimaDataStateDataSyncModel {
        out_biz_no: Some("A".into()),
        ..Default::default()
    };
    let r = client.v1().state_data_sync(&model).await.unwrap();
    assert_eq!(r.data, ZhimaDataStateDataSyncResponse::success());
    let req = only_request(&server).await;
    assert_eq!(
        v1_params(&req).get("method"),
        Some("zhima.data.state.data.sync")
    );
    assert_eq!(
        v1_biz_json(&req, None),
        serde_json::json!({"out_biz_no":"A"})
    );

    let (server, client) = v1_fake(
        r#"{"code":"10000","msg":"Success","agreement_no":"1","out_biz_no":"B","user_id":"2"}"#,
    )
    .await;
    let r = client
        .v1()
        .cumulation_sync(Content::json(r#"{"out_biz_no":"B"}"#))
        .await
        .unwrap();
    assert_eq!(r.data.out_biz_no.as_deref(), Some("B"));
    let req = only_request(&server).await;
    assert_eq!(
        v1_params(&req).get("method"),
        Some("zhima.credit.pe.zmgo.cumulation.sync")
    );
    assert_eq!(
        v1_params(&req).get("biz_content"),
        Some(r#"{"out_biz_no":"B"}"#)
    );

    let node = r#"{"code":"10000","msg":"Success","aggr_amount":"3.57","aggr_times":1,"detail_list":[{"out_biz_no":"B","task_times":1}]}"#;
    let (server, client) = v1_fake(node).await;
    let r = client.v1().cumulate_query(&cumulate_query()).await.unwrap();
    assert_eq!(r.data.aggr_amount.as_deref(), Some("3.57"));
    assert_eq!(r.data.aggr_times, Some(1));
    assert_eq!(
        r.data.detail_list.unwrap()[0].out_biz_no.as_deref(),
        Some("B")
    );
    let req = only_request(&server).await;
    assert_eq!(
        v1_params(&req).get("method"),
        Some("zhima.merchant.zmgo.cumulate.query")
    );
    // Python layout: sorted keys, JSON numbers and booleans kept as such.
    assert_eq!(
        v1_params(&req).get("biz_content"),
        Some(r#"{"agreement_id":"20195108518085620000","need_detail":true,"page_size":50}"#)
    );

    let (server, client) =
        v1_fake(r#"{"code":"10000","msg":"Success","agreement_status":"Y"}"#).await;
    let r = client
        .v1()
        .agreement_query(&agreement_query())
        .await
        .unwrap();
    assert_eq!(r.data.agreement_status.as_deref(), Some("Y"));
    let req = only_request(&server).await;
    assert_eq!(
        v1_params(&req).get("method"),
        Some("zhima.credit.pe.zmgo.agreement.query")
    );

    let (server, client) =
        v1_fake(r#"{"code":"10000","msg":"Success","settle_status":"Y","out_request_no":"S1"}"#)
            .await;
    let r = client.v1().settle_apply(&settle()).await.unwrap();
    assert_eq!(r.data.settle_status.as_deref(), Some("Y"));
    let req = only_request(&server).await;
    assert_eq!(
        v1_params(&req).get("method"),
        Some("zhima.credit.pe.zmgo.settle.apply")
    );
    assert_eq!(v1_biz_json(&req, None)["out_request_no"], "S1");
}

#[tokio::test]
async fn v3_routes_send_their_model_as_query_or_body() {
    let (server, client) = v3_fake(
        "POST",
        "/v3/zhima/credit/pe/zmgo/cumulation/sync",
        r#"{"out_biz_no":"B","agreement_no":"1"}"#,
    )
    .await;
    let model = ZhimaCreditPeZmgoCumulationSyncModel {
        out_biz_no: Some("B".into()),
        ..Default::default()
    };
    let r = client.v3().cumulation_sync(&model).await.unwrap();
    assert_eq!(r.data.agreement_no.as_deref(), Some("1"));
    assert_eq!(only_request(&server).await.body, br#"{"out_biz_no":"B"}"#);

    let route = "/v3/zhima/merchant/zmgo/cumulate/query";
    let (server, client) =
        v3_fake("GET", route, r#"{"aggr_amount":"1.00","aggr_times":"2"}"#).await;
    let r = client.v3().cumulate_query(&cumulate_query()).await.unwrap();
    assert_eq!(
        (r.data.aggr_amount.as_deref(), r.data.aggr_times),
        (Some("1.00"), Some(2))
    );
    let req = only_request(&server).await;
    assert_eq!(
        path_and_query(&req),
        format!("{route}?agreement_id=20195108518085620000&need_detail=true&page_size=50")
    );
    assert!(req.body.is_empty() && header(&req, "content-type").is_none());

    let route = "/v3/zhima/credit/pe/zmgo/agreement/query";
    let (server, client) = v3_fake("GET", route, r#"{"agreement_status":"N"}"#).await;
    let r = client
        .v3()
        .agreement_query(&agreement_query())
        .await
        .unwrap();
    assert_eq!(r.data.agreement_status.as_deref(), Some("N"));
    let req = only_request(&server).await;
    assert_eq!(
        path_and_query(&req),
        format!("{route}?agreement_id=20195108518085620000&alipay_user_id=2088602002015001")
    );

    // Verbatim JSON for a GET route becomes the query, members sorted, values form-encoded.
    let (server, client) = v3_fake("GET", route, "{}").await;
    client
        .v3()
        .agreement_query(Content::json(r#"{"open_id":"o 1/2","agreement_id":"A"}"#))
        .await
        .unwrap();
    assert_eq!(
        path_and_query(&only_request(&server).await),
        format!("{route}?agreement_id=A&open_id=o+1%2F2")
    );

    let (server, client) = v3_fake(
        "POST",
        "/v3/zhima/credit/pe/zmgo/settle/apply",
        r#"{"settle_status":"P"}"#,
    )
    .await;
    let r = client.v3().settle_apply(&settle()).await.unwrap();
    assert_eq!(r.data.settle_status.as_deref(), Some("P"));
    let body: serde_json::Value =
        serde_json::from_slice(&only_request(&server).await.body).unwrap();
    assert_eq!(body["withhold_plan_no"], "W1");
}

#[tokio::test]
async fn the_signed_request_target_is_the_one_sent() {
    // Characters the URL parser normalises (space, non-ASCII, dot segments) are signed in their
    // sent form; the fake platform verifies the signature against the raw request target.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(FakeV3::ok("{}"))
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().unwrap();
    client
        .request(zhima_client::Method::GET, "/v3/a/../x?q=流 浪&b=1", None)
        .await
        .unwrap();
    let req = only_request(&server).await;
    assert_eq!(path_and_query(&req), "/v3/x?q=%E6%B5%81%20%E6%B5%AA&b=1");
    let auth = verify_v3_request(&req);
    assert_eq!(auth.fields.app_id, APP_ID);
}

#[tokio::test]
async fn bad_v3_paths_are_refused_before_sending() {
    let client = builder("http://127.0.0.1:9").build().unwrap();
    let err = client
        .request(zhima_client::Method::GET, "v3/no-slash", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}
