//! The part of the write contract the agreement lifecycle uses (templates created through the
//! API, preorders, signing, unsign; PRODUCT §11). A supertrait of [`WriteTx`](super::WriteTx),
//! so a job's `&mut dyn WriteTx` reaches these directly; each engine implements it in its own
//! file (`sqlite/agreements.rs`, `postgres/transaction/agreements.rs`).

use crate::domain::entities::{Agreement, Time};
use crate::domain::preorder::Preorder;
use crate::domain::sign::SignedAgreement;
use crate::domain::template::{NewTemplate, TemplateRecord, TemplateTerms};
use crate::error::Result;

/// Reads of the agreement lifecycle, in a read or a write transaction (a supertrait of
/// [`ReadTx`](super::ReadTx) and of [`AgreementTx`]).
pub trait AgreementReadTx {
    /// The template's terms, owned or configured.
    fn template_terms(&mut self, template_no: &str) -> Result<Option<TemplateTerms>>;

    /// The template with its stored blocks (`None` for a configured template).
    fn template_record(&mut self, template_no: &str) -> Result<Option<TemplateRecord>>;

    /// The user's admittance from `[[zmgo.users]]` (`None`: not listed).
    fn user_admitted(&mut self, user_id: &str) -> Result<Option<bool>>;

    /// The agreement with its signing details (configured agreements: empty preorder,
    /// signing time = start).
    fn signed_agreement(&mut self, agreement_no: &str) -> Result<Option<SignedAgreement>>;
}

/// Loads and writes of the agreement lifecycle, inside one write transaction.
pub trait AgreementTx: AgreementReadTx {
    /// The template created under (`partner_id`, `out_biz_no`): its number and fingerprint.
    fn template_by_key(
        &mut self,
        partner_id: &str,
        out_biz_no: &str,
    ) -> Result<Option<(String, String)>>;

    /// Stores a template created through `template.create`.
    fn insert_template(&mut self, t: &NewTemplate) -> Result<()>;

    /// The agreement, locked until commit where several processes write (its totals row too,
    /// so `settle.apply` and `agreement.unsign` of one agreement run one after the other).
    fn lock_agreement(&mut self, agreement_no: &str) -> Result<Option<Agreement>>;

    /// The preorder stored under (`partner_id`, `out_request_no`).
    fn preorder_by_key(
        &mut self,
        partner_id: &str,
        out_request_no: &str,
    ) -> Result<Option<Preorder>>;

    /// The preorder `preorder_no`. A multi-process engine locks it until commit, so signings
    /// and closings of one preorder run one after another.
    fn preorder(&mut self, preorder_no: &str) -> Result<Option<Preorder>>;

    /// Stores a new preorder; a taken (`partner_id`, `out_request_no`) fails as a lost race.
    fn insert_preorder(&mut self, p: &Preorder) -> Result<()>;

    /// The agreement signed from `preorder_no`, if any.
    fn signed_agreement_of(&mut self, preorder_no: &str) -> Result<Option<SignedAgreement>>;

    /// Stores the agreement (`Y`) and marks its preorder `SIGNED`; an agreement already
    /// signed from the preorder fails as a lost race (unique `preorder_no`).
    fn record_signing(&mut self, s: &SignedAgreement) -> Result<()>;

    /// Marks a `WAIT_SIGN` preorder `CLOSED` with `biz_opt_no`; `false` (nothing written) when
    /// it is no longer `WAIT_SIGN`.
    fn close_preorder(&mut self, preorder_no: &str, biz_opt_no: &str, at: &Time) -> Result<bool>;
}
