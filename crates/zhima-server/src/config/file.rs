//! The configuration file's schema (PRODUCT §9) as serde types: every table denies unknown
//! keys, and names that other entries refer to carry their span so errors can name the line.
//! Nothing here reads files or checks references; that is `resolve`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};
use toml::Spanned;
use zhima_proto::money::Fen;
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::SignType;

use crate::domain::entities::{AgreementStatus, TemplateMode, Time};
use crate::domain::state_sync::ServiceConfig;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    #[serde(default)]
    pub(super) server: ServerSection,
    pub(super) platform: PlatformSection,
    #[serde(default)]
    pub(super) apps: Vec<AppSection>,
    #[serde(default)]
    pub(super) app_auth_tokens: Vec<TokenSection>,
    #[serde(default)]
    pub(super) zmgo: ZmgoSection,
    #[serde(default)]
    pub(super) state_sync: StateSyncSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ServerSection {
    #[serde(default, deserialize_with = "opt_from_str")]
    pub(super) listen: Option<SocketAddr>,
    pub(super) data_dir: Option<String>,
    pub(super) database_url: Option<String>,
    pub(super) clock_skew_secs: Option<u32>,
    pub(super) header_read_timeout_secs: Option<std::num::NonZeroU32>,
    pub(super) max_connections: Option<std::num::NonZeroU32>,
    pub(super) max_in_flight: Option<std::num::NonZeroU32>,
    pub(super) max_queue_wait_ms: Option<u32>,
    pub(super) app_rate_limit_per_sec: Option<u32>,
    pub(super) app_rate_limit_burst: Option<std::num::NonZeroU32>,
    pub(super) admin_token_file: Option<Spanned<String>>,
    pub(super) audit_retention_days: Option<u32>,
    pub(super) notify_allowed_hosts: Option<Vec<String>>,
    pub(super) notify_timeout_secs: Option<std::num::NonZeroU32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlatformSection {
    pub(super) private_key_file: Spanned<String>,
    pub(super) cert_file: Option<Spanned<String>>,
    pub(super) root_cert_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AppSection {
    pub(super) app_id: Spanned<String>,
    pub(super) partner_id: String,
    pub(super) public_key_file: Option<Spanned<String>>,
    pub(super) app_cert_file: Option<Spanned<String>>,
    pub(super) encrypt_key: Option<String>,
    #[serde(default = "default_sign_types", deserialize_with = "vec_from_str")]
    pub(super) sign_types: Vec<SignType>,
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    pub(super) notify_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenSection {
    pub(super) token: String,
    pub(super) app_id: Spanned<String>,
    pub(super) partner_id: String,
    #[serde(deserialize_with = "alipay_time")]
    pub(super) expires_at: Time,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ZmgoSection {
    #[serde(default)]
    pub(super) templates: Vec<TemplateSection>,
    #[serde(default)]
    pub(super) agreements: Vec<AgreementSection>,
    #[serde(default)]
    pub(super) trades: Vec<TradeSection>,
    #[serde(default)]
    pub(super) users: Vec<UserSection>,
}

/// `[[zmgo.users]]`: a user's `pre.consult` admittance (users not listed are admitted).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserSection {
    pub(super) user_id: Spanned<String>,
    pub(super) admitted: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateSection {
    pub(super) template_no: Spanned<String>,
    pub(super) mode: TemplateMode,
    pub(super) obligation_times: Option<u32>,
    pub(super) obligation_amount: Option<Fen>,
    pub(super) period_days: Option<u32>,
    #[serde(default)]
    pub(super) settle_check: bool,
    #[serde(default)]
    pub(super) settle_tolerance: Fen,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgreementSection {
    pub(super) agreement_no: Spanned<String>,
    pub(super) template_no: Spanned<String>,
    pub(super) user_id: Option<String>,
    pub(super) open_id: Option<String>,
    pub(super) partner_id: String,
    #[serde(default = "valid_status", deserialize_with = "from_str")]
    pub(super) status: AgreementStatus,
    #[serde(deserialize_with = "alipay_time")]
    pub(super) start_time: Time,
    #[serde(deserialize_with = "alipay_time")]
    pub(super) end_time: Time,
    pub(super) app_id: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TradeSection {
    pub(super) trade_no: Spanned<String>,
    pub(super) buyer_user_id: String,
    pub(super) seller_partner_id: String,
    pub(super) amount: Fen,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct StateSyncSection {
    #[serde(default)]
    pub(super) services: Vec<Spanned<ServiceConfig>>,
}

fn default_sign_types() -> Vec<SignType> {
    vec![SignType::Rsa2, SignType::Rsa]
}

fn yes() -> bool {
    true
}

fn valid_status() -> AgreementStatus {
    AgreementStatus::Valid
}

/// Deserializes any `FromStr` type from a TOML string, so the error carries the value's span.
fn from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

fn opt_from_str<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .transpose()
}

fn vec_from_str<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}

fn alipay_time<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
    let s = String::deserialize(d)?;
    parse_alipay_datetime(&s).map_err(serde::de::Error::custom)
}
