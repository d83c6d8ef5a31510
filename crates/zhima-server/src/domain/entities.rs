//! The platform's configured records: apps, app auth tokens, Zhima GO templates, agreements
//! and the Alipay trades the sandbox knows. The config file and the admin API both produce
//! these; storage keeps them; the domain rules read them.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
pub use zhima_proto::models::agreement_query::AgreementStatus;
use zhima_proto::money::Fen;
use zhima_proto::SignType;

/// An instant, always carried with its offset (UTC+8 for everything Alipay shows).
pub type Time = DateTime<FixedOffset>;

/// A merchant application (PRODUCT §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// `app_id`, at most 32 characters.
    pub app_id: String,
    /// The merchant PID (2088…) the app acts for.
    pub partner_id: String,
    /// Request-verification key as SPKI PEM (from `public_key_file` or the app certificate).
    pub public_key_pem: String,
    /// `app_cert_sn` when the app uses certificate mode.
    pub app_cert_sn: Option<String>,
    /// AES content-encryption key, base64 (per-request opt-in by the caller).
    pub encrypt_key: Option<String>,
    /// Signature algorithms accepted from this app.
    pub sign_types: Vec<SignType>,
    /// Disabled apps are refused by the gateway.
    pub enabled: bool,
    /// Where its notifications go (`[[apps]] notify_url`, PRODUCT §12); none: not notified
    /// unless a request names a `notify_url`.
    pub notify_url: Option<String>,
}

/// An `app_auth_token`: an ISV app acting for a merchant partner (PRODUCT §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAuthToken {
    /// The token, at most 40 characters.
    pub token: String,
    /// The ISV app that may present it.
    pub app_id: String,
    /// The merchant the call acts for.
    pub partner_id: String,
    /// After this instant the token is expired (`aop.app-auth-token-time-out`).
    pub expires_at: Time,
}

impl AppAuthToken {
    /// Whether the token is still valid at `now`.
    pub fn is_valid_at(&self, now: &Time) -> bool {
        *now < self.expires_at
    }
}

/// Zhima GO template mode (PROTOCOL §D "Cumulation modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TemplateMode {
    /// 交易解耦: data types `AMOUNT` or `TASK` only.
    Decoupled,
    /// 交易绑定: data type `AMOUNT_TASK` only; trade info and discounts required.
    Bound,
}

/// A Zhima GO template (PRODUCT §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// `template_no`.
    pub template_no: String,
    /// Which data types syncs may carry.
    pub mode: TemplateMode,
    /// Obligation: number of tasks/orders within the period.
    pub obligation_times: Option<i64>,
    /// Obligation: amount within the period.
    pub obligation_amount: Option<Fen>,
    /// Period length in days (shown to the consumer).
    pub period_days: Option<i64>,
    /// Whether `settle.apply` compares the merchant's totals with the ledger.
    pub settle_check: bool,
    /// Allowed difference per amount field when `settle_check` is on.
    pub settle_tolerance: Fen,
}

/// A signed Zhima GO agreement (PRODUCT §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// `agreement_no` (the query APIs call it `agreement_id`).
    pub agreement_no: String,
    /// The template it was signed under.
    pub template_no: String,
    /// The user's 2088 id, when the agreement is keyed by user id.
    pub user_id: Option<String>,
    /// The user's open id, when the agreement is keyed by open id.
    pub open_id: Option<String>,
    /// The merchant PID.
    pub partner_id: String,
    /// Current status.
    pub status: AgreementStatus,
    /// Period start (shown to the consumer, used by settlement).
    pub start_time: Time,
    /// Period end: the agreement expires (`Y` → `P`) when business time reaches it.
    pub end_time: Time,
    /// Set when the agreement left `Y` by expiry or unsign (run-time state: a configuration
    /// reload never clears it).
    pub quit: Option<AgreementQuit>,
    /// The app that receives its notifications: the app that signed it, or `app_id` in the
    /// file (none: nobody is notified of its expiry).
    pub app_id: Option<String>,
}

/// How an agreement left `Y` (PRODUCT §11): the plan `settle.apply` must then name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementQuit {
    /// `withhold_plan_no`, unique across agreements.
    pub withhold_plan_no: String,
    /// `quit_type`: `USER_CANCEL_QUIT`, `SETTLE_APPLY_QUIT` or
    /// [`EXPIRE_QUIT`](crate::domain::expiry::EXPIRE_QUIT).
    pub quit_type: String,
    /// When it left `Y` (business time).
    pub quit_time: Time,
}

impl Agreement {
    /// Whether the agreement belongs to the given user identity: every identity the caller
    /// sent must match the agreement's, and at least one must be sent.
    pub fn belongs_to(&self, user_id: Option<&str>, open_id: Option<&str>) -> bool {
        let matches = |sent: Option<&str>, mine: &Option<String>| match sent {
            None => true,
            Some(s) => mine.as_deref() == Some(s),
        };
        (user_id.is_some() || open_id.is_some())
            && matches(user_id, &self.user_id)
            && matches(open_id, &self.open_id)
    }
}

/// An Alipay trade the sandbox knows, for `has_alipay_trade=true` checks (PRODUCT §4 rule 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// Alipay `trade_no`.
    pub trade_no: String,
    /// The buyer's 2088 id.
    pub buyer_user_id: String,
    /// The seller's PID.
    pub seller_partner_id: String,
    /// Trade amount.
    pub amount: Fen,
}

/// Who is calling, resolved by the HTTP layer from `app_id` and `app_auth_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The calling app.
    pub app_id: String,
    /// The partner the call acts for: the app's own `partner_id`, or the token's merchant.
    pub partner_id: String,
    /// The moment the request was received (UTC+8, real time); stamped on written records.
    pub now: Time,
    /// Business time at receipt (`now` + the sandbox clock's offset, PRODUCT §11): what
    /// business rules (expiry, `sign_time`, the `biz_time` future check) compare against.
    pub business_now: Time,
    /// The request's `notify_url` public parameter (v1): where the notifications this request
    /// causes go instead of the app's `notify_url` (only towards allowed hosts, PRODUCT §12).
    pub notify_url: Option<String>,
}

/// Everything a configuration declares, upserted into storage on start (PRODUCT §9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// `[[apps]]`.
    pub apps: Vec<App>,
    /// `[[app_auth_tokens]]`.
    pub app_auth_tokens: Vec<AppAuthToken>,
    /// `[[zmgo.templates]]`.
    pub templates: Vec<Template>,
    /// `[[zmgo.agreements]]`.
    pub agreements: Vec<Agreement>,
    /// `[[zmgo.trades]]`.
    pub trades: Vec<Trade>,
    /// `[[zmgo.users]]`.
    pub zmgo_users: Vec<crate::domain::preorder::ZmgoUser>,
    /// `[[state_sync.services]]`.
    pub state_services: Vec<crate::domain::state_sync::ServiceConfig>,
}
