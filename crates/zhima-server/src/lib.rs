//! # zhima-server
//!
//! The platform behind `zhima serve`: configuration, durable storage, the Zhima GO and state
//! sync domain rules, and the v1 gateway / v3 REST surfaces.
//!
//! ## Module map
//!
//! | module | what lives there |
//! |---|---|
//! | [`config`] | the TOML file of PRODUCT §9 → a resolved [`config::Config`]: schema (`config/file.rs`), resolving key files and cross references (`config/resolve.rs`) |
//! | [`bootstrap`] | the zero-config sandbox: [`bootstrap::bootstrap_default`] generates keys and writes the demo configuration (`bootstrap/demo.toml`); its names in [`bootstrap::demo`] |
//! | [`domain`] | pure business rules: [`domain::cumulation`], [`domain::refund`], [`domain::state_sync`], [`domain::query`], [`domain::settle`], the lifecycle ([`domain::template`], [`domain::preorder`], [`domain::sign`], [`domain::unsign`], [`domain::settle_refund`], [`domain::settle_unfreeze`], [`domain::merchant_sync`], [`domain::clock`], [`domain::expiry`]), the [`domain::ledger`] and its [`domain::invariants`] |
//! | [`storage`] | the [`storage::Storage`] handle; the engine contract ([`storage::Engine`], [`storage::WriteTx`], [`storage::ReadTx`]); load → decide → write once for every engine; the SQLite engine (WAL, fsync, group commit) and the PostgreSQL engine (group commit, several processes) |
//! | [`error`] | the layer's one error type: business rejection vs internal vs config |
//! | [`http`] | the HTTP surfaces on top of [`storage::Storage`]: v1 gateway, v3 REST, the admin API (`http/admin/`), consumer pages (`http/pages/`), `/metrics` |
//! | [`notify`] | the notification delivery worker: claims due outbox rows, signs them like Alipay's async notify on low-priority threads (`notify/signer.rs`), posts them, records a batch's attempts in one write; allowed targets (`notify/targets.rs`) |
//! | [`metrics`] | the per-server Prometheus registry behind `GET /metrics` and the storage writers' histograms |
//! | [`logging`] | the stderr log, escaped so that no request can forge a line |
//!
//! ## How a write flows
//! The HTTP layer authenticates the request, validates the body with zhima-proto `validate`
//! (whose validated values ARE the domain commands, e.g. [`domain::cumulation::CumulationCmd`]
//! = `ValidCumulation`), resolves the [`domain::entities::Caller`], and calls the matching
//! [`storage::Storage`] method. Storage runs one write job on its engine: the engine loads a
//! snapshot, the domain's pure `decide` function decides, the engine writes the decision in
//! the same transaction, and the receipt is returned once it is durable:
//!
//! ```no_run
//! # async fn demo(storage: &zhima_server::storage::Storage,
//! #               cmd: zhima_server::domain::cumulation::CumulationCmd,
//! #               caller: zhima_server::domain::entities::Caller) {
//! use zhima_server::Error;
//! match storage.sync_cumulation(cmd, caller).await {
//!     Ok(receipt) => { let _body = receipt.to_response(); /* 10000 / HTTP 200 */ }
//!     Err(Error::Rejected(r)) => { let _ = (r.code.as_str(), r.sub_msg); /* 40004 / HTTP 4xx */ }
//!     Err(e) => { tracing::error!(error = %e); /* SYSTEM_ERROR */ }
//! }
//! # }
//! ```

pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod storage;

pub use error::{Error, Result};
