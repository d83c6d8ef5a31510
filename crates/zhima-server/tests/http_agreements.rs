//! The agreement half of the lifecycle over real HTTP, v1 and v3 (PRODUCT §11): every API's
//! success and replay (same answer byte for byte), conflicting replays, another merchant's
//! objects answered like missing ones, bad input in the protocol's vocabulary.

mod http_support;

use http_support::*;
use serde_json::{json, Value};

/// Sends a v1 call and returns its verified node.
async fn v1(server: &TestServer, method: &str, biz: &str) -> Value {
    let call = V1::new(method, biz);
    call.send(server).await.node(&call)
}

/// Sends a v1 call acting for `TOKEN_PARTNER_ID` (the app_auth_token's merchant).
async fn v1_token(server: &TestServer, method: &str, biz: &str) -> Value {
    let call = V1::new(method, biz).set("app_auth_token", TOKEN);
    call.send(server).await.node(&call)
}

fn ok(node: &Value) -> &Value {
    assert_eq!(node["code"], "10000", "{node}");
    node
}

async fn new_template(server: &TestServer) -> String {
    let node = v1(
        server,
        TEMPLATE_CREATE,
        &template_create_body(PARTNER_ID, &unique("TPL")),
    )
    .await;
    ok(&node)["template_no"].as_str().unwrap().to_owned()
}

async fn new_preorder(server: &TestServer, template: &str, key: &str) -> String {
    let node = v1(
        server,
        PREORDER_CREATE,
        &preorder_body(PARTNER_ID, template, key),
    )
    .await;
    ok(&node)["preorder_no"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn v1_template_create_and_query() {
    let server = TestServer::start().await;
    let key = unique("TPL");
    let body = template_create_body(PARTNER_ID, &key);
    let first = v1(&server, TEMPLATE_CREATE, &body).await;
    let no = ok(&first)["template_no"].as_str().unwrap().to_owned();
    assert_eq!(v1(&server, TEMPLATE_CREATE, &body).await, first);
    let changed = body.replace("月卡", "季卡");
    assert_codes(
        &v1(&server, TEMPLATE_CREATE, &changed).await,
        "40004",
        "IDEMPOTENT_ERROR",
    );
    let foreign = template_create_body(TOKEN_PARTNER_ID, &key);
    assert_codes(
        &v1(&server, TEMPLATE_CREATE, &foreign).await,
        "40004",
        "REQUEST_ACCESS_ILLEGAL",
    );
    assert_codes(
        &v1(&server, TEMPLATE_CREATE, r#"{"basic_config":{}}"#).await,
        "40004",
        "REQUEST_PARAM_ILLEGAL",
    );

    let q = json!({"partner_id": PARTNER_ID, "template_no": no}).to_string();
    let node = ok(&v1(&server, TEMPLATE_QUERY, &q).await).clone();
    assert_eq!(node["basic_config"]["template_no"], no.as_str());
    assert_eq!(node["basic_config"]["template_name"], "月卡");
    assert_eq!(node["open_config"]["period_mode"], "ABSOLATE_DATE");
    // The token's merchant: not found, exactly like a missing template.
    let theirs = json!({"partner_id": TOKEN_PARTNER_ID, "template_no": no}).to_string();
    let missing = json!({"partner_id": TOKEN_PARTNER_ID, "template_no": "NO_SUCH"}).to_string();
    let a = v1_token(&server, TEMPLATE_QUERY, &theirs).await;
    let b = v1_token(&server, TEMPLATE_QUERY, &missing).await;
    assert_codes(&a, "40004", "TEMPLATE_NOT_EXIST");
    assert_eq!(
        a["sub_msg"].as_str().unwrap().replace(&no, "X"),
        b["sub_msg"].as_str().unwrap().replace("NO_SUCH", "X")
    );
    assert!(server.storage.verify_invariants().await.unwrap().is_ok());
}

#[tokio::test]
async fn v1_consult_preorder_sign_query_unsign() {
    let server = TestServer::start().await;
    let template = new_template(&server).await;
    let consult = |user: &str| {
        json!({"partner_id": PARTNER_ID, "template_id": template, "alipay_user_id": user})
            .to_string()
    };
    let yes = v1(&server, PRE_CONSULT, &consult(USER_ID)).await;
    assert_eq!(ok(&yes)["admittance"], true);
    let no = v1(&server, PRE_CONSULT, &consult(BARRED_USER_ID)).await;
    assert_eq!(ok(&no)["admittance"], false);

    let key = unique("PO");
    let body = preorder_body(PARTNER_ID, &template, &key);
    let first = ok(&v1(&server, PREORDER_CREATE, &body).await).clone();
    assert_eq!(first["biz_type"], "ZMGO");
    assert_eq!(first["partner_id"], PARTNER_ID);
    assert_eq!(v1(&server, PREORDER_CREATE, &body).await, first);
    assert_codes(
        &v1(&server, PREORDER_CREATE, &body.replace("15m", "2h")).await,
        "40004",
        "IDEMPOTENT_ERROR",
    );
    let barred = body
        .replace(USER_ID, BARRED_USER_ID)
        .replace(&key, &unique("PO"));
    assert_codes(
        &v1(&server, PREORDER_CREATE, &barred).await,
        "40004",
        "EASY_MEMBER_CONSULT_FAIL",
    );
    assert_codes(
        &v1(&server, PREORDER_CREATE, &body.replace("15m", "15x")).await,
        "40004",
        "REQUEST_PARAM_ILLEGAL",
    );

    let preorder = first["preorder_no"].as_str().unwrap();
    let sign =
        json!({"partner_id": PARTNER_ID, "preorder_no": preorder, "alipay_user_id": USER_ID})
            .to_string();
    let signed = ok(&v1(&server, AGREEMENT_SIGN, &sign).await).clone();
    let agreement = signed["agreement_id"].as_str().unwrap().to_owned();
    assert_eq!(signed["out_request_no"], key.as_str());
    assert_eq!(signed["template_id"], template.as_str());
    assert!(signed["exp_invalid_time"]
        .as_str()
        .unwrap()
        .ends_with("23:59:59"));
    assert_eq!(v1(&server, AGREEMENT_SIGN, &sign).await, signed);
    let unknown = sign.replace(preorder, "404");
    assert_codes(
        &v1(&server, AGREEMENT_SIGN, &unknown).await,
        "40004",
        "PREORDER_NOT_EXIST",
    );
    // The token's merchant cannot sign it: not found.
    let theirs = sign.replace(PARTNER_ID, TOKEN_PARTNER_ID);
    assert_codes(
        &v1_token(&server, AGREEMENT_SIGN, &theirs).await,
        "40004",
        "PREORDER_NOT_EXIST",
    );

    let query = json!({"partner_id": PARTNER_ID, "agreement_id": agreement}).to_string();
    let q = ok(&v1(&server, AGREEMENT_QUERY, &query).await).clone();
    assert_eq!(q["agreement_status"], "Y");
    assert_eq!(q["sign_time"], signed["sign_time"]);

    let unsign = json!({"partner_id": PARTNER_ID, "agreement_id": agreement,
        "quit_type": "USER_CANCEL_QUIT"})
    .to_string();
    let quit = ok(&v1(&server, AGREEMENT_UNSIGN, &unsign).await).clone();
    assert_eq!(quit["agreement_id"], agreement.as_str());
    assert!(quit["withhold_plan_no"].as_str().unwrap().len() == 28);
    assert_eq!(v1(&server, AGREEMENT_UNSIGN, &unsign).await, quit);
    assert_codes(
        &v1(
            &server,
            AGREEMENT_UNSIGN,
            &unsign.replace("USER_CANCEL_QUIT", "SETTLE_APPLY_QUIT"),
        )
        .await,
        "40004",
        "AGREEMENT_STATUS_ILLEGAL",
    );
    let q = ok(&v1(&server, AGREEMENT_QUERY, &query).await).clone();
    assert_eq!(q["agreement_status"], "P");
    assert!(server.storage.verify_invariants().await.unwrap().is_ok());
}

#[tokio::test]
async fn v1_bizopt_close() {
    let server = TestServer::start().await;
    let template = new_template(&server).await;
    let key = unique("PO");
    let preorder = new_preorder(&server, &template, &key).await;
    let close = json!({"partner_id": PARTNER_ID, "out_request_no": key, "template_id": template})
        .to_string();
    let closed = ok(&v1(&server, BIZOPT_CLOSE, &close).await).clone();
    assert_eq!(closed["out_request_no"], key.as_str());
    assert_eq!(closed["user_id"], USER_ID);
    assert_eq!(v1(&server, BIZOPT_CLOSE, &close).await, closed);
    let sign = json!({"partner_id": PARTNER_ID, "preorder_no": preorder}).to_string();
    assert_codes(
        &v1(&server, AGREEMENT_SIGN, &sign).await,
        "40004",
        "PREORDER_STATUS_ILLEGAL",
    );
    // A signed preorder cannot be closed.
    let key2 = unique("PO");
    let p2 = new_preorder(&server, &template, &key2).await;
    let sign2 = json!({"partner_id": PARTNER_ID, "preorder_no": p2}).to_string();
    ok(&v1(&server, AGREEMENT_SIGN, &sign2).await);
    let close2 = json!({"partner_id": PARTNER_ID, "out_request_no": key2}).to_string();
    assert_codes(
        &v1(&server, BIZOPT_CLOSE, &close2).await,
        "40004",
        "PREORDER_STATUS_ILLEGAL",
    );
    let theirs = close.replace(PARTNER_ID, TOKEN_PARTNER_ID);
    assert_codes(
        &v1_token(&server, BIZOPT_CLOSE, &theirs).await,
        "40004",
        "PREORDER_NOT_EXIST",
    );
}

#[tokio::test]
async fn v3_template_preorder_close_unsign() {
    let server = TestServer::start().await;
    let body = template_create_body(PARTNER_ID, &unique("TPL"));
    let created = V3::post(V3_TEMPLATE_CREATE, &body).send(&server).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let again = V3::post(V3_TEMPLATE_CREATE, &body).send(&server).await;
    assert_eq!(again.body, created.body);
    let template = created.json()["template_no"].as_str().unwrap().to_owned();
    V3::post(
        V3_TEMPLATE_CREATE,
        &template_create_body(TOKEN_PARTNER_ID, "X"),
    )
    .send(&server)
    .await
    .assert_error(403, "REQUEST_ACCESS_ILLEGAL");

    let q = V3::get(&format!(
        "{V3_TEMPLATE_QUERY}?partner_id={PARTNER_ID}&template_no={template}"
    ))
    .send(&server)
    .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.json()["basic_config"]["template_no"], template.as_str());
    V3::get(&format!(
        "{V3_TEMPLATE_QUERY}?partner_id={PARTNER_ID}&template_no=NO_SUCH"
    ))
    .send(&server)
    .await
    .assert_error(400, "TEMPLATE_NOT_EXIST");

    let key = unique("PO");
    let body = preorder_body(PARTNER_ID, &template, &key);
    let p = V3::put(V3_PREORDER_CREATE, &body).send(&server).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(
        V3::put(V3_PREORDER_CREATE, &body).send(&server).await.body,
        p.body
    );
    V3::put(V3_PREORDER_CREATE, &body.replace("15m", "1d"))
        .send(&server)
        .await
        .assert_error(400, "IDEMPOTENT_ERROR");

    let close = json!({"partner_id": PARTNER_ID, "out_request_no": key}).to_string();
    let c = V3::post(V3_BIZOPT_CLOSE, &close).send(&server).await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(
        V3::post(V3_BIZOPT_CLOSE, &close).send(&server).await.body,
        c.body
    );
    V3::post(
        V3_BIZOPT_CLOSE,
        &json!({"partner_id": PARTNER_ID, "out_request_no": "404"}).to_string(),
    )
    .send(&server)
    .await
    .assert_error(400, "PREORDER_NOT_EXIST");

    // Sign (v1 only) and unsign over v3.
    let p2 = new_preorder(&server, &template, &unique("PO")).await;
    let signed = v1(
        &server,
        AGREEMENT_SIGN,
        &json!({"partner_id": PARTNER_ID, "preorder_no": p2}).to_string(),
    )
    .await;
    let agreement = ok(&signed)["agreement_id"].as_str().unwrap().to_owned();
    let unsign = json!({"partner_id": PARTNER_ID, "agreement_id": agreement,
        "quit_type": "SETTLE_APPLY_QUIT"})
    .to_string();
    let u = V3::post(V3_AGREEMENT_UNSIGN, &unsign).send(&server).await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(
        V3::post(V3_AGREEMENT_UNSIGN, &unsign)
            .send(&server)
            .await
            .body,
        u.body
    );
    V3::post(
        V3_AGREEMENT_UNSIGN,
        &unsign.replace(&agreement, TOKEN_AGREEMENT_NO),
    )
    .send(&server)
    .await
    .assert_error(400, "EASY_MEMBER_CONSULT_FAIL");
    assert!(server.storage.verify_invariants().await.unwrap().is_ok());
}
