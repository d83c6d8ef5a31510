//! The part of the write contract the agreement lifecycle uses (templates created through the
//! API, preorders, signing, unsign; PRODUCT §11). A supertrait of [`WriteTx`](super::WriteTx),
//! so a job's `&mut dyn WriteTx` reaches these directly; each engine implements it in its own
//! file (`sqlite/agreements.rs`, `postgres/transaction/agreements.rs`).

use crate::domain::entities::Time;
use crate::domain::preorder::Preorder;
use crate::domain::sign::SignedAgreement;
use crate::domain::template::TemplateTerms;
use crate::error::Result;

/// Loads and writes of the agreement lifecycle, inside one write transaction.
pub trait AgreementTx {
    /// The template's terms, owned or configured.
    fn template_terms(&mut self, template_no: &str) -> Result<Option<TemplateTerms>>;

    /// The user's admittance from `[[zmgo.users]]` (`None`: not listed).
    fn user_admitted(&mut self, user_id: &str) -> Result<Option<bool>>;

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
