//! Domain rules, free of HTTP and SQL. Write-side rules are pure functions over a snapshot
//! (`decide(cmd, &Snapshot) -> Decision`) that every storage backend calls inside its
//! transaction, so SQLite and PostgreSQL enforce exactly the same rules.
//!
//! | module | concern |
//! |---|---|
//! | [`clock`] | the sandbox clock: business time = real time + offset; advance durations |
//! | [`consent`] | the sign.apply page: what it shows, its one-time consent token |
//! | [`expiry`] | agreement expiry: `Y` → `P` with a `withhold_plan_no` once the end has passed |
//! | [`entities`] | apps, tokens, templates, agreements, trades, the caller |
//! | [`fingerprint`] | business fingerprints for idempotency |
//! | [`ledger`] | cumulation events, per-agreement totals and how one event changes them |
//! | [`cumulation`] | cumulation sync rules 2–6 |
//! | [`merchant_sync`] | merchant-level `cumulate.sync` into the same ledger |
//! | [`refund`] | refunds: grouping by payment, refund budgets, rule 6 (no over-refund) |
//! | [`invariants`] | the ledger invariants recomputed over stored events (totals, over-refund) |
//! | [`state_sync`] | state machines, `biz_data` schemas, state sync checks 4–9 |
//! | [`query`] | `cumulate.query` / `agreement.query` access and answers |
//! | [`settle`] | `settle.apply` rules |
//! | [`settle_refund`] | `settle.refund`: refunds of a settlement within its `pay_amount` |
//! | [`settle_unfreeze`] | `settle.unfreeze`: releases within the agreement's frozen amount |
//! | [`audit`] | audit log entries |
//! | [`card`] | the consumer's Zhima GO card: progress, savings, history, settlement |
//! | [`instance_view`] | the consumer's state-sync instance page: current state and history, by state name |
//! | [`ids`] | numbers the platform hands out (`template_no`, `preorder_no`, `agreement_id`, `withhold_plan_no`, `refund_opt_no`) |
//! | [`merchant_sync`] | `zhima.merchant.zmgo.cumulate.sync` into the shared ledger |
//! | [`period`] | an agreement's end from its template's period |
//! | [`template`] | templates' owners and terms; `template.create` / `template.query` |
//! | [`preorder`] | preorders: `preorder.create`, `bizopt.close`, preorder expiry |
//! | [`sign`] | signing a preorder into an agreement |
//! | [`close`] | `bizopt.close`: closing a preorder |
//! | [`unsign`] | `agreement.unsign`: `Y` → `P` with a `withhold_plan_no` |
//! | [`notify`] | notifications to merchants: which change emits which `notify_type`, routing, the retry schedule |
//! | [`view_token`] | signed, expiring links to consumer pages (the Zhima GO card, state-sync instances) |

pub mod admin;
pub mod audit;
pub mod card;
pub mod clock;
pub mod close;

pub mod consent;
pub mod cumulation;
pub mod entities;
pub mod expiry;
pub mod fingerprint;
pub mod ids;
pub mod instance_view;
pub mod invariants;
pub mod ledger;
pub mod merchant_sync;
pub mod notify;
pub mod period;
pub mod preorder;
pub mod query;
pub mod records;
pub mod refund;
pub mod settle;
pub mod settle_refund;
pub mod settle_unfreeze;
pub mod sign;
pub mod state_sync;
pub mod template;
pub mod unsign;
pub mod view_token;
