//! The read contract: the rows every engine must be able to return, inside one read
//! transaction ([`crate::storage::Engine::read`]). The gateway needs apps, tokens, agreements
//! and the ledger; the admin API, console and consumer pages also list records and inspect
//! instance histories and the audit log. Queries never sum over events: totals are rows.

use crate::domain::audit::AuditEntry;
use crate::domain::clock::SandboxClock;
use crate::domain::consent::{PreorderView, TemplateView};
use crate::domain::entities::{Agreement, App, AppAuthToken, Template, Time, Trade};
pub use crate::domain::invariants::MoneyBalances;
use crate::domain::ledger::{AgreementTotals, LedgerEvent};
use crate::domain::query::Page;
use crate::domain::state_sync::ServiceConfig;
use crate::error::Result;
use zhima_proto::money::Fen;

/// Row reads, each answering from the transaction's snapshot.
pub trait ReadTx:
    super::agreement_tx::AgreementReadTx + super::admin_reads::AdminReadTx + super::outbox::OutboxReadTx
{
    /// One app.
    fn app(&mut self, app_id: &str) -> Result<Option<App>>;
    /// Every app, by `app_id`.
    fn apps(&mut self) -> Result<Vec<App>>;
    /// One app auth token (expired ones too: the caller distinguishes invalid from expired).
    fn app_auth_token(&mut self, token: &str) -> Result<Option<AppAuthToken>>;
    /// Every template, by `template_no`.
    fn templates(&mut self) -> Result<Vec<Template>>;
    /// One agreement.
    fn agreement(&mut self, agreement_no: &str) -> Result<Option<Agreement>>;
    /// A page of agreements, by agreement number.
    fn agreements(&mut self, page: Page) -> Result<Vec<Agreement>>;
    /// The agreements of a user, by 2088 id or open id, by agreement number.
    fn agreements_of_user(
        &mut self,
        user_id: Option<&str>,
        open_id: Option<&str>,
    ) -> Result<Vec<Agreement>>;
    /// Every known trade, by `trade_no`.
    fn trades(&mut self) -> Result<Vec<Trade>>;
    /// Every state sync service as configured, by `service_id`.
    fn state_services(&mut self) -> Result<Vec<ServiceConfig>>;
    /// The totals row of an agreement (zeros when it has none); `breakdown` also loads the
    /// per-discount and per-task totals.
    fn totals(&mut self, agreement_no: &str, breakdown: bool) -> Result<AgreementTotals>;
    /// One page of an agreement's events, newest first.
    fn events_page(&mut self, agreement_no: &str, page: Page) -> Result<Vec<LedgerEvent>>;
    /// Every event, oldest first (invariant check only: the cost grows with history).
    fn all_events(&mut self) -> Result<Vec<LedgerEvent>>;
    /// The agreements that have a totals row.
    fn agreements_with_totals(&mut self) -> Result<Vec<String>>;
    /// A state instance and its events, oldest first.
    fn state_instance(&mut self, key: &InstanceKey) -> Result<Option<InstanceHistory>>;
    /// The newest audit entries, newest first.
    fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditEntry>>;
    /// The sandbox clock.
    fn clock(&mut self) -> Result<SandboxClock>;
    /// A platform secret (e.g. the admin token's SHA-256).
    fn secret(&mut self, name: &str) -> Result<Option<String>>;
    /// The `pay_amount` of the agreement's settlement, once settled (consumer card).
    fn settlement_pay_amount(&mut self, agreement_no: &str) -> Result<Option<Fen>>;
    /// Every settlement that has refunds and every agreement that has unfreezes, with their
    /// sums (invariant check only).
    fn money_balances(&mut self) -> Result<MoneyBalances>;

    /// A preorder, as the signing page shows it.
    fn consent_preorder(&mut self, preorder_no: &str) -> Result<Option<PreorderView>>;
    /// A template with its config blocks, as the signing page shows it.
    fn consent_template(&mut self, template_no: &str) -> Result<Option<TemplateView>>;
}

/// A state-sync instance key (PRODUCT §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceKey {
    /// `service_id`.
    pub service_id: String,
    /// `category_code`.
    pub category_code: String,
    /// `user_id`.
    pub user_id: String,
    /// `out_principal_id`.
    pub out_principal_id: String,
}

/// An instance with its full history (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceHistory {
    /// The instance key.
    pub key: InstanceKey,
    /// Its current state.
    pub current_state: String,
    /// Every accepted event.
    pub events: Vec<StateEventView>,
}

/// One accepted state event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEventView {
    /// Sequence number.
    pub seq: i64,
    /// `out_biz_no`.
    pub out_biz_no: String,
    /// State before (`None` when the event created the instance).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// `biz_data` as received.
    pub biz_data: String,
    /// The app that sent it.
    pub app_id: String,
    /// When it was accepted.
    pub received_at: Time,
}
