//! What the operator surfaces (admin API, `zhima admin`, the `/admin` console) read: filters,
//! keyset-paginated listings and views that carry no secret. Storage returns these (or the
//! plain entities); the HTTP layer only renders them.
//!
//! Secrets never leave through these types: an app is shown with its key's fingerprint and
//! whether an AES key is set ([`AppView`]), an app auth token by its first characters only
//! ([`TokenView`]).

use crate::domain::audit::AuditEntry;
use crate::domain::entities::{Agreement, AgreementStatus, App, AppAuthToken, Template, Time};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::settle::Settlement;
use crate::domain::settle_refund::SettlementRefund;
use crate::domain::settle_unfreeze::Unfreeze;
use crate::domain::template::TemplateTerms;
use crate::storage::reads::{InstanceKey, StateEventView};
use zhima_proto::money::Fen;
use zhima_proto::SignType;

/// Default number of items in one listing page.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest number of items in one listing page.
pub const MAX_LIMIT: i64 = 500;

/// At most this many leading characters of an app auth token are shown (never more than a
/// third of it, so a short configured token is not given away).
pub const TOKEN_PREFIX_CHARS: usize = 12;

/// One page of a listing, newest (or first) first, and the cursor of the next page when there
/// may be one (`None`: this was the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> Listing<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says there is more, and
    /// the cursor is the key of the last item shown.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit.max(0)).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(key) } else { None };
        Listing {
            items: rows,
            next_cursor,
        }
    }
}

/// Checks a requested page size: 1..=[`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit_of(requested: Option<i64>) -> Result<i64, String> {
    let limit = requested.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(format!("must be between 1 and {MAX_LIMIT}, got {limit}"))
    }
}

/// An app as operators see it: never its AES key, its public key only as a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppView {
    /// `app_id`.
    pub app_id: String,
    /// Merchant PID.
    pub partner_id: String,
    /// SHA-256 fingerprint of the request-verification key (`zhima keys inspect` shows the
    /// same); empty if the stored key does not parse.
    pub key_fingerprint: String,
    /// Certificate mode: the app certificate's SN.
    pub app_cert_sn: Option<String>,
    /// Whether an AES content key is set (its value is never shown).
    pub encrypt_key_set: bool,
    /// Accepted v1 sign types.
    pub sign_types: Vec<SignType>,
    /// Disabled apps get `isv.invalid-app-id`.
    pub enabled: bool,
    /// Where this app's notifications go (PRODUCT §12).
    pub notify_url: Option<String>,
}

impl From<&App> for AppView {
    fn from(a: &App) -> Self {
        AppView {
            app_id: a.app_id.clone(),
            partner_id: a.partner_id.clone(),
            key_fingerprint: key_fingerprint(&a.public_key_pem),
            app_cert_sn: a.app_cert_sn.clone(),
            encrypt_key_set: a.encrypt_key.is_some(),
            sign_types: a.sign_types.clone(),
            enabled: a.enabled,
            notify_url: a.notify_url.clone(),
        }
    }
}

/// The fingerprint of a public key text, or empty when it does not parse.
pub fn key_fingerprint(public_key_text: &str) -> String {
    zhima_proto::keys::PublicKey::from_text(public_key_text)
        .map(|k| k.fingerprint())
        .unwrap_or_default()
}

/// An app auth token as listed: its first [`TOKEN_PREFIX_CHARS`] characters only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    /// The token's first characters (the value itself is shown once, on create): up to
    /// [`TOKEN_PREFIX_CHARS`], at most a third of it.
    pub prefix: String,
    /// The ISV app that may present it.
    pub app_id: String,
    /// The merchant it acts for.
    pub partner_id: String,
    /// When it expires.
    pub expires_at: Time,
    /// Whether it had expired at the time of the listing (business time is not used: token
    /// expiry is real time, PRODUCT §11).
    pub expired: bool,
}

impl TokenView {
    /// The view of `t` at real time `now`.
    pub fn of(t: &AppAuthToken, now: &Time) -> Self {
        TokenView {
            prefix: token_prefix(&t.token),
            app_id: t.app_id.clone(),
            partner_id: t.partner_id.clone(),
            expires_at: t.expires_at,
            expired: !t.is_valid_at(now),
        }
    }
}

/// The shown prefix of a token.
pub fn token_prefix(token: &str) -> String {
    let n = TOKEN_PREFIX_CHARS.min(token.chars().count() / 3);
    token.chars().take(n).collect()
}

/// A template with its terms (owner, freeze amount) as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSummary {
    /// The template.
    pub template: Template,
    /// The merchant that created it through `template.create` (`None`: declared by the
    /// configuration, serves every merchant).
    pub owner: Option<String>,
    /// Amount frozen at signing.
    pub freeze_amount: Fen,
}

impl TemplateSummary {
    /// Joins a template with its terms (absent terms: configured, nothing frozen).
    pub fn new(template: Template, terms: Option<TemplateTerms>) -> Self {
        let (owner, freeze_amount) = terms.map_or((None, Fen(0)), |t| (t.owner, t.freeze_amount));
        TemplateSummary {
            template,
            owner,
            freeze_amount,
        }
    }
}

/// Agreement listing filters (all optional, combined with AND), by agreement number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementFilter {
    /// Only this status.
    pub status: Option<AgreementStatus>,
    /// Only agreements of this template.
    pub template_no: Option<String>,
    /// Only this merchant's.
    pub partner_id: Option<String>,
    /// Only this user's (matches the 2088 id or the open id).
    pub user: Option<String>,
    /// Keyset cursor: agreements numbered after this one.
    pub after: Option<String>,
}

/// An agreement with everything its ledger holds (the console's agreement page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementLedger {
    /// The agreement.
    pub agreement: Agreement,
    /// Its totals row with the per-discount and per-task breakdown.
    pub totals: AgreementTotals,
    /// Its newest cumulation events (payments and refunds), newest first.
    pub events: Vec<LedgerEvent>,
    /// Whether it has more events than `events` shows (search events by agreement for all).
    pub more_events: bool,
    /// Its settlements (`settle.apply`), oldest first.
    pub settlements: Vec<Settlement>,
    /// Refunds of its settlements (`settle.refund`), oldest first.
    pub settlement_refunds: Vec<SettlementRefund>,
    /// Releases of its frozen amount (`settle.unfreeze`), oldest first.
    pub unfreezes: Vec<Unfreeze>,
}

/// Cumulation event search (all optional, AND), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSearch {
    /// The merchant's idempotency key.
    pub out_biz_no: Option<String>,
    /// The agreement.
    pub agreement_no: Option<String>,
    /// The user: matches the event's 2088 id or open id.
    pub user: Option<String>,
    /// The merchant PID.
    pub partner_id: Option<String>,
    /// Received at or after.
    pub from: Option<Time>,
    /// Received before.
    pub to: Option<Time>,
    /// Keyset cursor: events with a smaller seq.
    pub before_seq: Option<i64>,
}

/// State-sync instance search (all optional, AND), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceSearch {
    /// `service_id`.
    pub service_id: Option<String>,
    /// `category_code`.
    pub category_code: Option<String>,
    /// `user_id`.
    pub user_id: Option<String>,
    /// `out_principal_id`.
    pub out_principal_id: Option<String>,
    /// Only the instance that has an event with this `out_biz_no`.
    pub out_biz_no: Option<String>,
    /// Keyset cursor: instances with a smaller id.
    pub before_id: Option<i64>,
}

/// One state-sync instance, without its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSummary {
    /// Storage id (stable; the detail route takes it).
    pub id: i64,
    /// The instance key.
    pub key: InstanceKey,
    /// Its current state.
    pub current_state: String,
    /// When its first event was accepted.
    pub created_at: Time,
    /// When its last event was accepted.
    pub updated_at: Time,
    /// How many events it has.
    pub event_count: i64,
}

/// An instance with its whole history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceDetail {
    /// The instance.
    pub summary: InstanceSummary,
    /// Every accepted event, oldest first.
    pub events: Vec<StateEventView>,
}

/// Audit log search (all optional, AND), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// The calling app.
    pub app_id: Option<String>,
    /// The API: v1 `method` or v3 `METHOD /path`, exactly as audited.
    pub api: Option<String>,
    /// The outcome (`10000`, a sub_code, a business code…).
    pub outcome: Option<String>,
    /// At or after.
    pub from: Option<Time>,
    /// Before.
    pub to: Option<Time>,
    /// Keyset cursor: entries with a smaller id.
    pub before_id: Option<i64>,
}

/// An audit entry with its storage id (the listing cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Storage id, increasing with time of writing.
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// Row counts for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminCounts {
    /// Apps.
    pub apps: i64,
    /// Agreements.
    pub agreements: i64,
    /// Cumulation events (payments and refunds).
    pub cumulation_events: i64,
    /// State-sync instances.
    pub state_instances: i64,
    /// State-sync events.
    pub state_events: i64,
    /// Audit entries kept.
    pub audit_entries: i64,
}

/// How many audited requests ended with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeCount {
    /// The outcome (`10000`, a sub_code, …).
    pub outcome: String,
    /// Number of requests.
    pub count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_keeps_limit_and_points_at_last_shown() {
        let l = Listing::from_rows(vec![9, 8, 7], 2, |n| n.to_string());
        assert_eq!(l.items, vec![9, 8]);
        assert_eq!(l.next_cursor.as_deref(), Some("8"));
        let last = Listing::from_rows(vec![9, 8], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit_of(None), Ok(DEFAULT_LIMIT));
        assert!(limit_of(Some(0)).is_err());
        assert!(limit_of(Some(MAX_LIMIT + 1)).is_err());
    }

    #[test]
    fn token_view_shows_only_the_prefix() {
        let now = zhima_proto::time::now_alipay();
        let t = AppAuthToken {
            token: "202405BBsecretsecret".into(),
            app_id: "a".into(),
            partner_id: "p".into(),
            expires_at: now,
        };
        let v = TokenView::of(&t, &now);
        assert_eq!(v.prefix, "202405");
        assert!(v.expired);
    }
}
