//! The lifecycle models (PRODUCT §11) against the OFFICIAL alipay-sdk-python 3.7.1411
//! generated classes, read live from the interop venv: for every request model and response,
//! the Python class's properties (and, recursively, those of the nested classes its setters
//! build with `from_alipay_dict`) become a JSON object with every field set; our model must
//! read it and write back exactly the same object (same names, same nesting, nothing dropped).
//! Leaf values follow the JSON types of the official typed (Java/PHP) models.
//!
//! `interop/setup.sh` installs the SDK once per run; when it fails, every test here FAILS.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use zhima_proto::models::*;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

fn ensure_setup() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let result = READY.get_or_init(|| {
        let script = interop_dir().join("setup.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: the official SDK is required.\n{}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(msg) = result {
        panic!("{msg}");
    }
}

/// Prints `{property: null | {nested…}}` for `alipay.aop.api.<module>.<Class>`.
const TREE_PY: &str = r#"
import importlib, inspect, json, re, sys
def tree(module, name):
    cls = getattr(importlib.import_module("alipay.aop.api.%s.%s" % (module, name)), name)
    out = {}
    for prop, v in vars(cls).items():
        if not isinstance(v, property) or prop.startswith("_"):
            continue
        nested = None
        if v.fset is not None:
            m = re.search(r"(\w+)\.from_alipay_dict\(", inspect.getsource(v.fset))
            if m:
                nested = tree("domain", m.group(1))
        out[prop] = nested
    return out
module, name = sys.argv[1], sys.argv[2]
print(json.dumps(tree(module, name)))
"#;

fn python_tree(module: &str, class: &str) -> Map<String, Value> {
    ensure_setup();
    let out = Command::new(interop_dir().join(".venv/bin/python"))
        .args(["-c", TREE_PY, module, class])
        .output()
        .expect("run the venv python");
    assert!(
        out.status.success(),
        "{class}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("tree JSON") {
        Value::Object(m) => m,
        other => panic!("{class}: not an object: {other}"),
    }
}

/// The JSON type of a leaf per the official typed models (everything else is a string).
fn leaf(name: &str) -> Value {
    match name {
        "admittance"
        | "show_sign_success_page"
        | "support_expire_deferral"
        | "support_cycle_withhold_high_mode"
        | "support_exemption_period"
        | "has_alipay_trade" => json!(true),
        "task_times" | "exp_stop_delay_days" | "cycle_flex_withhold_total_period_count" => {
            json!(3)
        }
        "deduct_plan" => json!(["1", "2"]),
        _ => json!(format!("v-{name}")),
    }
}

fn full(tree: &Map<String, Value>) -> Value {
    Value::Object(
        tree.iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::Object(nested) => full(nested),
                    _ => leaf(k),
                };
                (k.clone(), value)
            })
            .collect(),
    )
}

/// Every Python property (recursively) survives our model, and nothing else appears.
fn assert_matches<T: Serialize + DeserializeOwned>(module: &str, class: &str) {
    let tree = python_tree(module, class);
    let expected = full(&tree);
    let model: T = from_json(&expected.to_string())
        .unwrap_or_else(|e| panic!("{class}: our model rejects the full object: {e}"));
    let back = serde_json::to_value(&model).unwrap();
    assert_eq!(back, expected, "{class}: names or nesting differ");
}

macro_rules! official {
    ($($test:ident: $module:literal $class:ident),+ $(,)?) => {$(
        #[test]
        fn $test() {
            assert_matches::<$class>($module, stringify!($class));
        }
    )+};
}

official! {
    template_create_model: "domain" ZhimaMerchantZmgoTemplateCreateModel,
    template_create_response: "response" ZhimaMerchantZmgoTemplateCreateResponse,
    template_query_model: "domain" ZhimaMerchantZmgoTemplateQueryModel,
    template_query_response: "response" ZhimaMerchantZmgoTemplateQueryResponse,
    pre_consult_model: "domain" ZhimaCreditPeZmgoPreConsultModel,
    pre_consult_response: "response" ZhimaCreditPeZmgoPreConsultResponse,
    preorder_create_model: "domain" ZhimaCreditPeZmgoPreorderCreateModel,
    preorder_create_response: "response" ZhimaCreditPeZmgoPreorderCreateResponse,
    sign_apply_model: "domain" ZhimaCreditPeZmgoSignApplyModel,
    sign_apply_response: "response" ZhimaCreditPeZmgoSignApplyResponse,
    agreement_sign_model: "domain" ZhimaCreditPeZmgoAgreementSignModel,
    agreement_sign_response: "response" ZhimaCreditPeZmgoAgreementSignResponse,
    bizopt_close_model: "domain" ZhimaCreditPeZmgoBizoptCloseModel,
    bizopt_close_response: "response" ZhimaCreditPeZmgoBizoptCloseResponse,
    agreement_unsign_model: "domain" ZhimaCreditPeZmgoAgreementUnsignModel,
    agreement_unsign_response: "response" ZhimaCreditPeZmgoAgreementUnsignResponse,
    settle_refund_model: "domain" ZhimaCreditPeZmgoSettleRefundModel,
    settle_refund_response: "response" ZhimaCreditPeZmgoSettleRefundResponse,
    settle_unfreeze_model: "domain" ZhimaCreditPeZmgoSettleUnfreezeModel,
    settle_unfreeze_response: "response" ZhimaCreditPeZmgoSettleUnfreezeResponse,
    merchant_cumulate_sync_model: "domain" ZhimaMerchantZmgoCumulateSyncModel,
    merchant_cumulate_sync_response: "response" ZhimaMerchantZmgoCumulateSyncResponse,
}

#[test]
fn nested_template_blocks_are_the_official_classes() {
    let tree = python_tree("domain", "ZhimaMerchantZmgoTemplateCreateModel");
    let settlement = tree["settlement_config"].as_object().expect("nested");
    assert!(settlement["cycle_withhold_config"].is_object());
    assert!(settlement["cycle_flex_withhold_config"].is_object());
    assert_eq!(tree.len(), 7, "seven config blocks");
}

#[test]
fn strings_accept_numbers_and_typed_fields_accept_their_text_forms() {
    let m: ZhimaMerchantZmgoTemplateCreateModel = from_json(
        r#"{"obligation_config":{"obligation_times":3,"obligation_amount":10.5},
            "open_config":{"show_sign_success_page":"true","period_time":30}}"#,
    )
    .unwrap();
    let o = m.obligation_config.unwrap();
    assert_eq!(o.obligation_times.as_deref(), Some("3"));
    assert_eq!(o.obligation_amount.as_deref(), Some("10.5"));
    let open = m.open_config.unwrap();
    assert_eq!(open.show_sign_success_page, Some(true));
    assert_eq!(open.period_time.as_deref(), Some("30"));
    let r: ZhimaCreditPeZmgoSettleUnfreezeResponse =
        from_json(r#"{"retry":false,"fail_reaseon":"x"}"#).unwrap_or_default();
    // `retry` is a string in the official model: a boolean is not silently accepted.
    assert_eq!(r.retry, None);
    assert!(from_json::<ZhimaCreditPeZmgoSettleUnfreezeResponse>(r#"{"retry":false}"#).is_err());
    let t: ZhimaMerchantZmgoCumulateSyncModel =
        from_json(r#"{"times_type_sync_data":{"task_times":"2"}}"#).unwrap();
    assert_eq!(t.times_type_sync_data.unwrap().task_times, Some(2));
    assert!(from_json::<ZhimaCreditPeZmgoPreConsultResponse>(r#"{"admittance":"yes"}"#).is_err());
    assert!(from_json::<ZhimaCreditPeZmgoPreorderCreateModel>(r#"{"partner_id":true}"#).is_err());
}

#[test]
fn models_serialise_in_declaration_order_without_nones() {
    let m = ZhimaCreditPeZmgoAgreementUnsignModel {
        agreement_id: Some("A".into()),
        quit_type: Some(QuitType::UserCancelQuit.as_str().into()),
        partner_id: Some("P".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"agreement_id":"A","partner_id":"P","quit_type":"USER_CANCEL_QUIT"}"#
    );
}

#[test]
fn routes_follow_the_product_table() {
    use zhima_proto::models::{Api, HttpMethod};
    let put = |a: Api| a.v3_route().map(|r| r.method);
    assert_eq!(put(Api::PreorderCreate), Some(HttpMethod::Put));
    assert_eq!(put(Api::SettleUnfreeze), Some(HttpMethod::Put));
    assert_eq!(put(Api::TemplateQuery), Some(HttpMethod::Get));
    for a in [Api::PreConsult, Api::SignApply, Api::AgreementSign] {
        assert_eq!(a.v3_route(), None, "{a:?}");
    }
    let pages: Vec<_> = Api::ALL.iter().filter(|a| a.is_page_method()).collect();
    assert_eq!(pages, [&Api::SignApply]);
    assert_eq!(Api::ALL.len(), 16);
    assert_eq!(
        Api::from_v3_route(HttpMethod::Put, "/v3/zhima/credit/pe/zmgo/settle/unfreeze"),
        Some(Api::SettleUnfreeze)
    );
    assert_eq!(
        Api::from_v3_route(HttpMethod::Post, "/v3/zhima/credit/pe/zmgo/settle/unfreeze"),
        None
    );
    assert_eq!(
        Api::from_v1_method("zhima.merchant.zmgo.cumulate.sync"),
        Some(Api::MerchantCumulateSync)
    );
}
