//! The error catalogue as data: every code the platform can answer with, its exact wire
//! spelling, default message and (for v3) HTTP status. Shared by server and client: the server
//! answers with these codes, the SDK (`zhima-client`) judges success (`10000`) and
//! retryability (`20000`, `SYSTEM_ERROR`) by them.
//!
//! | table | wire | source |
//! |---|---|---|
//! | [`GatewayCode`] | v1 `code` + English `msg` | PROTOCOL §A8 |
//! | [`GatewaySubCode`] | v1 `sub_code` + default Chinese `sub_msg` | PROTOCOL §A8 |
//! | [`V3ErrorCode`] | v3 error body `code` (kebab-case) + HTTP status | PROTOCOL §B4, §G3 |
//! | [`CumulationCode`] | Zhima GO business codes (v1 `sub_code` under 40004, v3 `code`) | PROTOCOL §C4, PRODUCT §4 |
//! | [`ZmdataCode`] | state-sync business codes (v1 `sub_code` under 40004) | PROTOCOL §C5, PRODUCT §5 |
//!
//! v3 HTTP statuses beyond the observed 400/401 are our choice (PROTOCOL §G3): 401 for
//! authentication (who is calling), 403 for authorisation (what they may do), 429 for rate
//! limits, 500 for platform faults, 400 for everything else. Zhima GO business codes are 400
//! except `REQUEST_ACCESS_ILLEGAL` (403) and `SYSTEM_ERROR` (500); not-found style codes
//! (`EASY_MEMBER_CONSULT_FAIL`, `PAY_ORDER_NOT_EXIST`, `TRADE_NOT_EXIST`) stay 400 because they
//! describe the request body, not the URL — a 404 on a valid endpoint reads as "wrong URL".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A code string that is not in the catalogue table it was looked up in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {table} code {code:?}")]
pub struct UnknownCode {
    /// Which table was searched (e.g. `"CumulationCode"`).
    pub table: &'static str,
    /// The code that was not found (truncated to 64 characters).
    pub code: String,
}

/// What every catalogue entry can say about itself.
pub trait CatalogCode: Copy + fmt::Debug + fmt::Display + 'static {
    /// The code exactly as written on the wire.
    fn as_str(self) -> &'static str;
    /// The default human message (v1 `msg`/`sub_msg`, v3 `message`).
    fn default_message(self) -> &'static str;
}

/// Generates a catalogue enum: variants with their wire strings, `ALL`, `iter()`, `as_str()`,
/// a private `row()` with the per-entry data, `FromStr`, `Display` and string serde.
macro_rules! catalog_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $row:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $data:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $code, "`")] $variant, )+
        }

        impl $name {
            /// Every entry, in catalogue order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Iterates over every entry, in catalogue order.
            pub fn iter() -> impl Iterator<Item = $name> {
                Self::ALL.iter().copied()
            }

            /// The code exactly as written on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            const fn row(self) -> $row {
                match self { $($name::$variant => $data),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;

            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                Self::iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownCode {
                    table: stringify!($name),
                    code: s.chars().take(64).collect(),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl CatalogCode for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn default_message(self) -> &'static str {
                $name::default_message(self)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// v1 gateway codes
// ---------------------------------------------------------------------------------------------

/// Per-entry data of [`GatewayCode`].
#[derive(Clone, Copy)]
struct GatewayRow {
    msg: &'static str,
    zh: &'static str,
}

const fn gw(msg: &'static str, zh: &'static str) -> GatewayRow {
    GatewayRow { msg, zh }
}

catalog_enum! {
    /// v1 response `code` with its exact English `msg` (PROTOCOL §A8).
    pub enum GatewayCode: GatewayRow {
        /// 接口调用成功.
        Success = "10000" => gw("Success", "接口调用成功"),
        /// 服务不可用.
        ServiceUnavailable = "20000" => gw("Service Currently Unavailable", "服务不可用"),
        /// 授权权限不足.
        InsufficientTokenPermissions = "20001" => gw("Insufficient Token Permissions", "授权权限不足"),
        /// 缺少必选参数.
        MissingRequiredArguments = "40001" => gw("Missing Required Arguments", "缺少必选参数"),
        /// 非法的参数.
        InvalidArguments = "40002" => gw("Invalid Arguments", "非法的参数"),
        /// 业务处理失败 (all API-specific business codes).
        BusinessFailed = "40004" => gw("Business Failed", "业务处理失败"),
        /// 权限不足.
        InsufficientPermissions = "40006" => gw("Insufficient Permissions", "权限不足"),
    }
}

impl GatewayCode {
    /// The exact English `msg` sent with this code (e.g. `"Business Failed"`).
    pub const fn msg(self) -> &'static str {
        self.row().msg
    }

    /// Same as [`GatewayCode::msg`]: the v1 `msg` is always the English text.
    pub const fn default_message(self) -> &'static str {
        self.msg()
    }

    /// The Chinese description from the public error-code page (not sent on the wire).
    pub const fn description_zh(self) -> &'static str {
        self.row().zh
    }
}

// ---------------------------------------------------------------------------------------------
// v1 gateway sub_codes
// ---------------------------------------------------------------------------------------------

/// Per-entry data of [`GatewaySubCode`].
#[derive(Clone, Copy)]
struct SubRow {
    code: GatewayCode,
    sub_msg: &'static str,
}

const fn sub(code: GatewayCode, sub_msg: &'static str) -> SubRow {
    SubRow { code, sub_msg }
}

use GatewayCode::{
    InsufficientPermissions as G40006, InsufficientTokenPermissions as G20001,
    InvalidArguments as G40002, MissingRequiredArguments as G40001, ServiceUnavailable as G20000,
};

/// Prefix of the real gateway's `isv.invalid-signature` sub_msg; the gateway's own
/// string-to-sign follows it (see [`invalid_signature_sub_msg`]).
pub const INVALID_SIGNATURE_SUB_MSG_PREFIX: &str =
    "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：";

/// **[ours]** `sub_msg` (v1, with `20000 isp.unknow-error`) and `message` (v3, with 503
/// `SYSTEM_ERROR`) of the overload answer: the server is serving as much as it may at once.
/// It tells a refusal to retry apart from a storage outage, whose answers carry the same
/// codes with the catalog's wording.
pub const OVERLOADED_MSG: &str = "服务繁忙，请稍后重试";

catalog_enum! {
    /// v1 gateway `sub_code` with its group [`GatewayCode`] and default Chinese `sub_msg`
    /// (PROTOCOL §A8; punctuation kept exactly as published). Entries whose sub_msg the
    /// public table does not give carry our own wording.
    pub enum GatewaySubCode: SubRow {
        IspUnknowError = "isp.unknow-error" => sub(G20000, "服务暂不可用（业务系统不可用）"),
        AopUnknowError = "aop.unknow-error" => sub(G20000, "服务暂不可用（网关自身的未知错误）"),
        AopUnsupportOperation = "aop.unsupport-operation" => sub(G20000, "服务暂不可用（不支持的操作）"),
        AopInvalidAuthToken = "aop.invalid-auth-token" => sub(G20001, "无效的访问令牌"),
        AopAuthTokenTimeOut = "aop.auth-token-time-out" => sub(G20001, "访问令牌已过期"),
        AopInvalidAppAuthToken = "aop.invalid-app-auth-token" => sub(G20001, "无效的应用授权令牌"),
        AopInvalidAppAuthTokenNoApi = "aop.invalid-app-auth-token-no-api" => sub(G20001, "商户未授权当前接口"),
        AopAppAuthTokenTimeOut = "aop.app-auth-token-time-out" => sub(G20001, "应用授权令牌已过期"),
        AopNoProductRegByPartner = "aop.no-product-reg-by-partner" => sub(G20001, "商户未签约任何产品"),
        IsvMissingMethod = "isv.missing-method" => sub(G40001, "缺少方法名参数"),
        IsvMissingSignature = "isv.missing-signature" => sub(G40001, "缺少签名参数"),
        IsvMissingSignatureType = "isv.missing-signature-type" => sub(G40001, "缺少签名类型参数"),
        IsvMissingSignatureKey = "isv.missing-signature-key" => sub(G40001, "缺少签名配置"),
        IsvMissingAppId = "isv.missing-app-id" => sub(G40001, "缺少appId参数"),
        IsvMissingTimestamp = "isv.missing-timestamp" => sub(G40001, "缺少时间戳参数"),
        IsvMissingVersion = "isv.missing-version" => sub(G40001, "缺少版本参数"),
        IsvDecryptionErrorMissingEncryptType = "isv.decryption-error-missing-encrypt-type" => sub(G40001, "解密出错, 未指定加密算法"),
        IsvInvalidParameter = "isv.invalid-parameter" => sub(G40002, "参数无效"),
        IsvUploadFail = "isv.upload-fail" => sub(G40002, "文件上传失败"),
        IsvInvalidFileExtension = "isv.invalid-file-extension" => sub(G40002, "文件扩展名无效"),
        IsvInvalidFileSize = "isv.invalid-file-size" => sub(G40002, "文件大小无效"),
        IsvInvalidMethod = "isv.invalid-method" => sub(G40002, "不存在的方法名"),
        IsvInvalidFormat = "isv.invalid-format" => sub(G40002, "无效的数据格式"),
        IsvInvalidSignatureType = "isv.invalid-signature-type" => sub(G40002, "无效的签名类型"),
        IsvInvalidSignature = "isv.invalid-signature" => sub(G40002, INVALID_SIGNATURE_SUB_MSG_PREFIX),
        IsvInvalidEncryptType = "isv.invalid-encrypt-type" => sub(G40002, "无效的加密类型"),
        IsvInvalidEncrypt = "isv.invalid-encrypt" => sub(G40002, "解密异常"),
        IsvInvalidAppId = "isv.invalid-app-id" => sub(G40002, "无效的appId参数"),
        IsvInvalidTimestamp = "isv.invalid-timestamp" => sub(G40002, "非法的时间戳参数"),
        IsvInvalidCharset = "isv.invalid-charset" => sub(G40002, "字符集错误"),
        IsvInvalidDigest = "isv.invalid-digest" => sub(G40002, "摘要错误"),
        IsvDecryptionErrorNotValidEncryptType = "isv.decryption-error-not-valid-encrypt-type" => sub(G40002, "解密出错，不支持的加密算法"),
        IsvDecryptionErrorNotValidEncryptKey = "isv.decryption-error-not-valid-encrypt-key" => sub(G40002, "解密出错, 未配置加密密钥或加密密钥格式错误"),
        IsvDecryptionErrorUnknown = "isv.decryption-error-unknown" => sub(G40002, "解密出错, 未知异常"),
        IsvMissingSignatureConfig = "isv.missing-signature-config" => sub(G40002, "验签出错, 未配置对应签名算法的公钥或者证书"),
        IsvNotSupportAppAuth = "isv.not-support-app-auth" => sub(G40002, "本接口不支持第三方代理调用"),
        IsvSuspectedAttack = "isv.suspected-attack" => sub(G40002, "可疑的攻击请求"),
        IsvInsufficientIsvPermissions = "isv.insufficient-isv-permissions" => sub(G40006, "ISV权限不足，建议在开发者中心检查对应功能是否已经添加"),
        IsvInsufficientUserPermissions = "isv.insufficient-user-permissions" => sub(G40006, "用户权限不足"),
        IsvAppApiPunished = "isv.app-api-punished" => sub(G40006, "该接口已被处罚，不可调用"),
        // Not in the public table: our rate-limit refusal, named after the v3 `app-call-limited`.
        IsvAppCallLimited = "isv.app-call-limited" => sub(G40006, "应用调用频率超限，请稍后重试"),
    }
}

impl GatewaySubCode {
    /// The gateway `code` group this sub_code is sent under.
    pub const fn gateway_code(self) -> GatewayCode {
        self.row().code
    }

    /// Default Chinese `sub_msg`. For `isv.invalid-signature` this is only the prefix; use
    /// [`invalid_signature_sub_msg`] to append the string-to-sign as the real gateway does.
    pub const fn default_message(self) -> &'static str {
        self.row().sub_msg
    }

    /// The v3 code for the same error: the sub_code without its `isv.`/`aop.`/`isp.` prefix.
    pub fn v3_code(self) -> Option<V3ErrorCode> {
        let (_, bare) = self.as_str().split_once('.')?;
        bare.parse().ok()
    }
}

/// The real gateway's `isv.invalid-signature` sub_msg: the fixed prefix followed by the
/// gateway's own string-to-sign with `&` shown as `&amp;` (PROTOCOL §A8, PRODUCT §3).
pub fn invalid_signature_sub_msg(string_to_sign: &str) -> String {
    format!(
        "{INVALID_SIGNATURE_SUB_MSG_PREFIX}{}",
        string_to_sign.replace('&', "&amp;")
    )
}

// ---------------------------------------------------------------------------------------------
// v3 common error codes
// ---------------------------------------------------------------------------------------------

/// Per-entry data of [`V3ErrorCode`]: the HTTP status.
type V3Row = u16;

catalog_enum! {
    /// v3 common error `code` (JAVA3 `CommonErrorType.CodeEnum`, PROTOCOL §B4) with the HTTP
    /// status we answer it with. `AppKeySecurityRiskAppCertExpired` is one enum value in the
    /// official SDK, comma and space included, and is kept verbatim.
    pub enum V3ErrorCode: V3Row {
        InvalidParameter = "invalid-parameter" => 400,
        UploadFail = "upload-fail" => 400,
        InvalidFileExtension = "invalid-file-extension" => 400,
        InvalidFileSize = "invalid-file-size" => 400,
        FileCheckFail = "file-check-fail" => 400,
        AppCallLimited = "app-call-limited" => 429,
        MethodCallLimited = "method-call-limited" => 429,
        InsufficientIsvPermissions = "insufficient-isv-permissions" => 403,
        IllegalClientIp = "illegal-client-ip" => 403,
        InsufficientUserPermissions = "insufficient-user-permissions" => 403,
        SelfInvokeForbidden = "self-invoke-forbidden" => 403,
        AppAuthInvokeLimit = "app-auth-invoke-limit" => 429,
        AppApiPunished = "app-api-punished" => 403,
        MissingMethod = "missing-method" => 400,
        MissingPlatform = "missing-platform" => 400,
        InvalidPlatform = "invalid-platform" => 400,
        InvalidMethod = "invalid-method" => 400,
        ForbiddenApi = "forbidden-api" => 403,
        InvalidFormat = "invalid-format" => 400,
        MissingSignature = "missing-signature" => 401,
        MissingAppAccessToken = "missing-app-access-token" => 401,
        MissingSignatureType = "missing-signature-type" => 401,
        MissingDefaultSignatureType = "missing-default-signature-type" => 401,
        MissingSignatureKey = "missing-signature-key" => 401,
        InvalidSignatureType = "invalid-signature-type" => 401,
        InvalidSignatureTypeSaidInterface = "invalid-signature-type-said-interface" => 401,
        InvalidSignature = "invalid-signature" => 401,
        UnsupportedExpiredAppKeySign = "unsupported-expired-app-key-sign" => 401,
        AppKeySecurityRiskAppCertExpired = "app-key-security-risk, app-cert-expired" => 401,
        AppCertNotExist = "app-cert-not-exist" => 401,
        AlipayCertNotExist = "alipay-cert-not-exist" => 400,
        MissingAppCertSn = "missing-app-cert-sn" => 401,
        MissingAlipayCertSn = "missing-alipay-cert-sn" => 400,
        MissingAlipayRootCertSn = "missing-alipay-root-cert-sn" => 400,
        InvalidAlipayRootCertSn = "invalid-alipay-root-cert-sn" => 400,
        InvalidRequestData = "invalid-request-data" => 400,
        InvalidResponseData = "invalid-response-data" => 500,
        MissingEncryptType = "missing-encrypt-type" => 400,
        MissingEncryptKey = "missing-encrypt-key" => 400,
        InvalidEncryptType = "invalid-encrypt-type" => 400,
        InvalidEncrypt = "invalid-encrypt" => 400,
        MissingSession = "missing-session" => 401,
        MissingAppId = "missing-app-id" => 401,
        InvalidAppId = "invalid-app-id" => 401,
        MissingTimestamp = "missing-timestamp" => 401,
        InvalidTimestamp = "invalid-timestamp" => 401,
        IllegalTimestamp = "illegal-timestamp" => 401,
        MissingVersion = "missing-version" => 400,
        InvalidVersion = "invalid-version" => 400,
        UnsupportedVersion = "unsupported-version" => 400,
        InvalidEncoding = "invalid-encoding" => 400,
        InvalidCharset = "invalid-charset" => 400,
        InvalidDigestType = "invalid-digest-type" => 400,
        InvalidDigest = "invalid-digest" => 400,
        InvalidAppState = "invalid-app-state" => 403,
        InvalidSubscribeRelations = "invalid-subscribe-relations" => 403,
        InvalidAuthToken = "invalid-auth-token" => 401,
        AuthTokenTimeOut = "auth-token-time-out" => 401,
        InvalidAppAuthToken = "invalid-app-auth-token" => 401,
        InvalidAppAuthTokenNoApi = "invalid-app-auth-token-no-api" => 403,
        AppAuthTokenTimeOut = "app-auth-token-time-out" => 401,
        NotSupportAppAuth = "not-support-app-auth" => 403,
        AccessDataTimeOut = "access-data-time-out" => 500,
        UnsupportOperation = "unsupport-operation" => 400,
        OpenidError = "openid-error" => 400,
        UnknowError = "unknow-error" => 500,
        InvalidAppMethod = "invalid-app-method" => 403,
        MissingAppUid = "missing-app-uid" => 400,
        IllegalJson = "illegal-json" => 400,
        IllegalCardNo = "illegal-card-no" => 400,
        InvalidPartnerid = "invalid-partnerid" => 400,
        NoProductRegByPartner = "no-product-reg-by-partner" => 403,
        DecryptionError = "decryption-error" => 400,
        DecryptionErrorMissingEncryptType = "decryption-error-missing-encrypt-type" => 400,
        DecryptionErrorNotValidEncryptType = "decryption-error-not-valid-encrypt-type" => 400,
        DecryptionErrorNotValidEncryptKey = "decryption-error-not-valid-encrypt-key" => 400,
        DecryptionErrorUnknown = "decryption-error-unknown" => 400,
        MissingSignatureConfig = "missing-signature-config" => 401,
        SeviceNotBeenSubscribedTo = "sevice-not-been-subscribed-to" => 403,
        UnknownSubCode = "unknown-sub-code" => 500,
        SuspectedAttack = "suspected-attack" => 400,
        InvalidAuthRelations = "invalid-auth-relations" => 403,
        InvalidProduct = "invalid-product" => 400,
        MethodForbiddenBatchInvoke = "method-forbidden-batch-invoke" => 403,
        ExistBlankSubRequestId = "exist-blank-sub-request-id" => 400,
        ExistRepeatedSubRequestId = "exist-repeated-sub-request-id" => 400,
        InvalidAppAuthRelations = "invalid-app-auth-relations" => 403,
        AppUnbindPartner = "app-unbind-partner" => 403,
        AppInvalidOid = "app-invalid-oid" => 400,
        ExceedApiBalance = "exceed-api-balance" => 403,
        InnerAppNoAccess = "inner-app-no-access" => 403,
        InvalidInnerInvokeScene = "invalid-inner-invoke-scene" => 403,
        InvalidAppApiFieldConfig = "invalid-app-api-field-config" => 400,
    }
}

impl V3ErrorCode {
    /// The HTTP status a v3 error with this code is sent with.
    pub const fn http_status(self) -> u16 {
        self.row()
    }

    /// The v1 gateway sub_code for the same error, if the gateway table has one. Where two
    /// sub_codes share a suffix (`isp.unknow-error` / `aop.unknow-error`) the first in
    /// catalogue order (`isp.`, the business-system one) is chosen.
    pub fn gateway_sub_code(self) -> Option<GatewaySubCode> {
        GatewaySubCode::iter().find(|s| s.v3_code() == Some(self))
    }

    /// Default `message`: the gateway sub_msg of the same error when there is one, else a
    /// generic text for the status class (our wording; Alipay publishes none).
    pub fn default_message(self) -> &'static str {
        if let Some(sub) = self.gateway_sub_code() {
            return sub.default_message();
        }
        match self.http_status() {
            401 => "身份认证失败",
            403 => "权限不足",
            429 => "调用频率超限",
            500..=599 => "服务暂不可用",
            _ => "参数无效",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Zhima GO business codes
// ---------------------------------------------------------------------------------------------

/// Per-entry data of [`CumulationCode`].
#[derive(Clone, Copy)]
struct BizRow {
    msg: &'static str,
    status: u16,
    official: bool,
}

/// An official code (JAVA3 `ZhimaCreditPeZmgoCumulationSyncErrorResponseModel.CodeEnum`).
const fn off(msg: &'static str, status: u16) -> BizRow {
    BizRow {
        msg,
        status,
        official: true,
    }
}

/// One of our own codes (PRODUCT §11 lifecycle): a business refusal, v3 status 400 like the
/// official business codes.
const fn ours(msg: &'static str) -> BizRow {
    BizRow {
        msg,
        status: 400,
        official: false,
    }
}

catalog_enum! {
    /// Zhima GO business codes: the 17 official cumulation.sync codes (PROTOCOL §C4) plus our
    /// `SETTLE_AMOUNT_CHECK_FAIL` (PRODUCT §4) and the lifecycle codes of PRODUCT §11. Used by every zmgo API (sync, query, settle).
    /// v1 sends them as `sub_code` under 40004; v3 as the error `code` with
    /// [`CumulationCode::http_status`]. Messages are ours except `INVALID_CUMULATE_TYPE` and
    /// `IDEMPOTENT_ERROR`, which match the vectors.
    pub enum CumulationCode: BizRow {
        /// A required field is missing, too long or malformed.
        RequestParamIllegal = "REQUEST_PARAM_ILLEGAL" => off("请求参数不合法", 400),
        /// Generic parameter error.
        InvalidParameter = "INVALID_PARAMETER" => off("参数无效", 400),
        /// The caller may not act for this partner / agreement.
        RequestAccessIllegal = "REQUEST_ACCESS_ILLEGAL" => off("无权访问该商户的数据", 403),
        /// `biz_action` is not `ORDER_PAID` / `ORDER_REFUND`.
        InvalidBizAction = "INVALID_BIZ_ACTION" => off("业务动作不合法", 400),
        /// `cumulate_data_type` unknown or its data block missing.
        InvalidCumulateType = "INVALID_CUMULATE_TYPE" => off("累计类型不合法", 400),
        /// The data type is not allowed by the template's mode.
        InvalidCumulateMode = "INVALID_CUMULATE_MODE" => off("累计模式不合法", 400),
        /// Agreement not found, not the user's/partner's, or not valid.
        EasyMemberConsultFail = "EASY_MEMBER_CONSULT_FAIL" => off("芝麻GO协议不存在或状态无效", 400),
        /// `out_biz_no` reused with different content.
        IdempotentError = "IDEMPOTENT_ERROR" => off("幂等冲突，请更换out_biz_no", 400),
        /// Refund whose `pay_out_biz_no` names no payment of this agreement.
        PayOrderNotExist = "PAY_ORDER_NOT_EXIST" => off("原支付订单不存在", 400),
        /// Bad `trade_info.amount` (or settle pay amount).
        OrderAmountIllegal = "ORDER_AMOUNT_ILLEGAL" => off("订单金额不合法", 400),
        /// Bad `discount_amount`.
        DiscountAmountIllegal = "DISCOUNT_AMOUNT_ILLEGAL" => off("优惠金额不合法", 400),
        /// Refund `biz_time` before the payment's.
        RefundTimeIllegal = "REFUND_TIME_ILLEGAL" => off("退款时间不合法", 400),
        /// Refunds exceed what was paid.
        RefundIllegal = "REFUND_ILLEGAL" => off("退款金额或次数超过原支付订单", 400),
        /// Alipay trade buyer differs from the user.
        BuyerInfoError = "BUYER_INFO_ERROR" => off("交易买家信息不一致", 400),
        /// Alipay trade seller differs from the partner.
        SellerInfoError = "SELLER_INFO_ERROR" => off("交易卖家信息不一致", 400),
        /// `trade_no` is not a known Alipay trade.
        TradeNotExist = "TRADE_NOT_EXIST" => off("支付宝交易不存在", 400),
        /// Internal error; retryable.
        SystemError = "SYSTEM_ERROR" => off("系统繁忙", 500),
        /// **\[ours\]** settle.apply totals differ from the ledger beyond tolerance.
        SettleAmountCheckFail = "SETTLE_AMOUNT_CHECK_FAIL" => BizRow {
            msg: "结算金额校验失败", status: 400, official: false,
        },
        /// **\[ours\]** `template_no`/`template_id` names no template of this merchant.
        TemplateNotExist = "TEMPLATE_NOT_EXIST" => ours("芝麻GO模板不存在"),
        /// **\[ours\]** the preorder (`preorder_no` / `out_request_no`) does not exist.
        PreorderNotExist = "PREORDER_NOT_EXIST" => ours("芝麻GO预下单记录不存在"),
        /// **\[ours\]** the preorder is not `WAIT_SIGN` (signed, closed or expired).
        PreorderStatusIllegal = "PREORDER_STATUS_ILLEGAL" => ours("预下单状态不允许该操作"),
        /// **\[ours\]** the agreement's status does not allow the operation.
        AgreementStatusIllegal = "AGREEMENT_STATUS_ILLEGAL" => ours("芝麻GO协议状态不允许该操作"),
        /// **\[ours\]** `withhold_plan_no` differs from the agreement's withholding plan.
        WithholdPlanNoIllegal = "WITHHOLD_PLAN_NO_ILLEGAL" => ours("扣款计划号不合法"),
        /// **\[ours\]** no settlement of this agreement / withholding plan to refund.
        SettleOrderNotExist = "SETTLE_ORDER_NOT_EXIST" => ours("结算订单不存在"),
        /// **\[ours\]** refunds would exceed the settled `pay_amount`.
        RefundAmountExceed = "REFUND_AMOUNT_EXCEED" => ours("退款金额超过结算金额"),
        /// **\[ours\]** the unfreeze would exceed the agreement's frozen amount.
        UnfreezeAmountExceed = "UNFREEZE_AMOUNT_EXCEED" => ours("解冻金额超过冻结金额"),
    }
}

impl CumulationCode {
    /// Default Chinese message (v1 `sub_msg`, v3 `message`).
    pub const fn default_message(self) -> &'static str {
        self.row().msg
    }

    /// HTTP status of the v3 error response.
    pub const fn http_status(self) -> u16 {
        self.row().status
    }

    /// The v1 gateway code it is sent under (always 40004 Business Failed).
    pub const fn gateway_code(self) -> GatewayCode {
        GatewayCode::BusinessFailed
    }

    /// Whether Alipay's SDK knows this code (false for our own additions).
    pub const fn is_official(self) -> bool {
        self.row().official
    }
}

// ---------------------------------------------------------------------------------------------
// State-sync business codes
// ---------------------------------------------------------------------------------------------

/// Per-entry data of [`ZmdataCode`].
#[derive(Clone, Copy)]
struct ZmRow {
    msg: &'static str,
    solution: &'static str,
    official: bool,
}

const fn zm(msg: &'static str, solution: &'static str) -> ZmRow {
    ZmRow {
        msg,
        solution,
        official: true,
    }
}

catalog_enum! {
    /// `zhima.data.state.data.sync` business codes (DOC-STATE error table, PRODUCT §5), sent as
    /// v1 `sub_code` under 40004 with `biz_result "failed"`. `ZMDAT.SERVICE_ID_ERROR` is
    /// spelled exactly as Alipay publishes it.
    pub enum ZmdataCode: ZmRow {
        /// Internal error.
        SystemError = "SYSTEM_ERROR" => zm("系统繁忙", "请联系芝麻技术支持"),
        /// `user_id` empty or not 2088 + 12 digits.
        UserIdError = "ZMDATA.USER_ID_ERROR" => zm("用户ID为空或不正确", "请检查用户ID(user_id)参数"),
        /// `out_biz_no` empty.
        OutBizNoNull = "ZMDATA.OUT_BIZ_NO_NULL" => zm("外部订单号不可空", "请确认您的外部订单号参数(out_biz_no)"),
        /// `out_principal_id` empty or too long.
        OutPrincipalIdError = "ZMDATA.OUT_PRINCIPAL_ID_ERROR" => zm("外部主体唯一ID错误", "请确认外部主体唯一id是否正确(out_principal_id)"),
        /// `biz_state_code` unknown or not an allowed transition.
        BizStateCodeError = "ZMDATA.BIZ_STATE_CODE_ERROR" => zm("业务状态码错误", "请联系芝麻产品或技术人员,确认biz_state_code值是否正确"),
        /// `category_code` not in the service.
        CategoryCodeError = "ZMDATA.CATEGORY_CODE_ERROR" => zm("类目编码不正确", "请联系芝麻产品或技术人中,确认category_code值是否正确"),
        /// `service_id` unknown or not open to the app (typo `ZMDAT` is Alipay's).
        ServiceIdError = "ZMDAT.SERVICE_ID_ERROR" => zm("服务id不正确", "请联系芝麻产品或技术人员,确认service_id值是否正确"),
        /// `biz_data` not a JSON object, too long, or failing the state's schema.
        BizDataError = "ZMDATA.BIZ_DATA_ERROR" => zm("业务数据错误或格式不正确", "请联系芝麻技术人员,确认数据模型及格式是否正确(biz_data)"),
        /// **\[ours\]** `out_biz_no` reused with different content.
        OutBizNoRepeat = "ZMDATA.OUT_BIZ_NO_REPEAT" => ZmRow {
            msg: "外部订单号重复且内容不一致",
            solution: "相同out_biz_no只能重复提交相同内容，请更换out_biz_no",
            official: false,
        },
    }
}

impl ZmdataCode {
    /// Default Chinese `sub_msg` (DOC-STATE 错误描述).
    pub const fn default_message(self) -> &'static str {
        self.row().msg
    }

    /// The published 解决方案 (what the merchant should check).
    pub const fn solution(self) -> &'static str {
        self.row().solution
    }

    /// The v1 gateway code it is sent under (always 40004 Business Failed).
    pub const fn gateway_code(self) -> GatewayCode {
        GatewayCode::BusinessFailed
    }

    /// Whether the code is in Alipay's published table (false for our own additions).
    pub const fn is_official(self) -> bool {
        self.row().official
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn assert_round_trip<C: CatalogCode + FromStr + PartialEq>(all: &[C])
    where
        <C as FromStr>::Err: fmt::Debug,
    {
        let mut seen = HashSet::new();
        for &c in all {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert_eq!(c.as_str().parse::<C>().unwrap(), c);
            assert_eq!(c.to_string(), c.as_str());
            assert!(!c.default_message().is_empty());
        }
    }

    #[test]
    fn every_table_round_trips_and_is_unique() {
        assert_round_trip(GatewayCode::ALL);
        assert_round_trip(GatewaySubCode::ALL);
        assert_round_trip(V3ErrorCode::ALL);
        assert_round_trip(CumulationCode::ALL);
        assert_round_trip(ZmdataCode::ALL);
    }

    #[test]
    fn gateway_messages_are_exact() {
        let pairs: Vec<_> = GatewayCode::iter().map(|c| (c.as_str(), c.msg())).collect();
        assert_eq!(
            pairs,
            [
                ("10000", "Success"),
                ("20000", "Service Currently Unavailable"),
                ("20001", "Insufficient Token Permissions"),
                ("40001", "Missing Required Arguments"),
                ("40002", "Invalid Arguments"),
                ("40004", "Business Failed"),
                ("40006", "Insufficient Permissions"),
            ]
        );
    }

    #[test]
    fn every_gateway_sub_code_maps_to_v3_and_back() {
        for s in GatewaySubCode::iter() {
            let v3 = s.v3_code().unwrap_or_else(|| panic!("{s} has no v3 code"));
            let back = v3.gateway_sub_code().unwrap();
            assert_eq!(back.v3_code(), Some(v3));
            if s != GatewaySubCode::AopUnknowError {
                assert_eq!(back, s);
            }
        }
        assert_eq!(
            V3ErrorCode::UnknowError.gateway_sub_code(),
            Some(GatewaySubCode::IspUnknowError)
        );
        assert_eq!(V3ErrorCode::IllegalJson.gateway_sub_code(), None);
    }

    #[test]
    fn v3_statuses_follow_the_documented_policy() {
        use V3ErrorCode::*;
        for (c, s) in [
            (InvalidSignature, 401),
            (InvalidAuthToken, 401),
            (InvalidAppAuthToken, 401),
            (InvalidTimestamp, 401),
            (InvalidParameter, 400),
            (InvalidMethod, 400),
            (InsufficientIsvPermissions, 403),
            (UnknowError, 500),
            (AppCallLimited, 429),
        ] {
            assert_eq!(c.http_status(), s, "{c}");
        }
        assert_eq!(
            "app-key-security-risk, app-cert-expired".parse::<V3ErrorCode>(),
            Ok(AppKeySecurityRiskAppCertExpired)
        );
        assert_eq!(
            InvalidSignature.default_message(),
            INVALID_SIGNATURE_SUB_MSG_PREFIX
        );
        assert_eq!(IllegalJson.default_message(), "参数无效");
    }

    #[test]
    fn sub_codes_sit_in_their_groups() {
        use GatewaySubCode::*;
        assert_eq!(
            IsvInvalidSignature.gateway_code(),
            GatewayCode::InvalidArguments
        );
        assert_eq!(
            IsvMissingAppId.gateway_code(),
            GatewayCode::MissingRequiredArguments
        );
        assert_eq!(
            AopInvalidAppAuthToken.gateway_code(),
            GatewayCode::InsufficientTokenPermissions
        );
        assert_eq!(
            IsvInsufficientIsvPermissions.gateway_code(),
            GatewayCode::InsufficientPermissions
        );
        assert_eq!(
            IspUnknowError.gateway_code(),
            GatewayCode::ServiceUnavailable
        );
    }

    #[test]
    fn invalid_signature_sub_msg_escapes_ampersands() {
        let m = invalid_signature_sub_msg("a=1&b=2");
        assert_eq!(m, format!("{INVALID_SIGNATURE_SUB_MSG_PREFIX}a=1&amp;b=2"));
    }

    #[test]
    fn cumulation_codes_match_spec() {
        assert_eq!(
            CumulationCode::iter().filter(|c| c.is_official()).count(),
            17
        );
        assert_eq!(
            CumulationCode::InvalidCumulateType.default_message(),
            "累计类型不合法"
        );
        assert_eq!(CumulationCode::RequestAccessIllegal.http_status(), 403);
        assert_eq!(CumulationCode::SystemError.http_status(), 500);
        assert_eq!(CumulationCode::PayOrderNotExist.http_status(), 400);
        assert_eq!(
            CumulationCode::SettleAmountCheckFail.as_str(),
            "SETTLE_AMOUNT_CHECK_FAIL"
        );
        assert!(!CumulationCode::SettleAmountCheckFail.is_official());
    }

    #[test]
    fn zmdata_codes_keep_the_typo() {
        assert_eq!(
            ZmdataCode::ServiceIdError.as_str(),
            "ZMDAT.SERVICE_ID_ERROR"
        );
        assert!("ZMDATA.SERVICE_ID_ERROR".parse::<ZmdataCode>().is_err());
        assert_eq!(
            ZmdataCode::BizStateCodeError.default_message(),
            "业务状态码错误"
        );
        assert_eq!(
            ZmdataCode::OutBizNoRepeat.as_str(),
            "ZMDATA.OUT_BIZ_NO_REPEAT"
        );
    }

    #[test]
    fn serde_uses_wire_strings() {
        let j = serde_json::to_string(&ZmdataCode::ServiceIdError).unwrap();
        assert_eq!(j, "\"ZMDAT.SERVICE_ID_ERROR\"");
        let c: CumulationCode = serde_json::from_str("\"IDEMPOTENT_ERROR\"").unwrap();
        assert_eq!(c, CumulationCode::IdempotentError);
        assert!(serde_json::from_str::<CumulationCode>("\"NOPE\"").is_err());
        assert_eq!(
            "NOPE".parse::<CumulationCode>().unwrap_err().to_string(),
            "unknown CumulationCode code \"NOPE\""
        );
    }
}
