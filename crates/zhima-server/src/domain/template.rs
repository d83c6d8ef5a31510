//! Templates as the lifecycle sees them (PRODUCT §11): who may use one and the terms an
//! agreement signed under it gets. A template created by `template.create` belongs to its
//! merchant; one declared in the configuration (no owner) serves every merchant. Another
//! merchant's template is answered exactly like a missing one. Created templates are
//! `DECOUPLED`, with the settle check on and tolerance 0 (**ours**).

use zhima_proto::catalog::CumulationCode;
use zhima_proto::models::template_blocks::{ZMGOBasicConfig, ZMGOObligationConfig, ZMGOOpenConfig};
use zhima_proto::models::{
    ZhimaMerchantZmgoTemplateCreateModel, ZhimaMerchantZmgoTemplateCreateResponse,
    ZhimaMerchantZmgoTemplateQueryResponse,
};
use zhima_proto::money::Fen;
pub use zhima_proto::validate::{ValidTemplateCreate, ValidTemplateQuery};

use crate::domain::entities::{Caller, Template, TemplateMode, Time};
use crate::domain::fingerprint::digest;
use crate::domain::period::{self, PeriodMode, TemplatePeriod};
use crate::domain::preorder::{check_access, BIZ_TYPE};
use crate::error::Rejection;

/// The lifecycle's view of a stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateTerms {
    /// `template_no` (the APIs call it `template_id`).
    pub template_no: String,
    /// The merchant that created it; `None` for a configured template.
    pub owner: Option<String>,
    /// `open_config.freeze_amount` (zero when none).
    pub freeze_amount: Fen,
    /// `open_config.period_mode` / `period_time`.
    pub period: Option<TemplatePeriod>,
    /// The configured `period_days`.
    pub period_days: Option<i64>,
}

impl TemplateTerms {
    /// Whether `partner_id` may use the template.
    pub fn visible_to(&self, partner_id: &str) -> bool {
        self.owner.as_deref().is_none_or(|o| o == partner_id)
    }

    /// When an agreement signed at `start` under this template ends.
    pub fn end_of(&self, start: &Time) -> Time {
        period::end_of(self.period.as_ref(), self.period_days, start)
    }
}

/// The template `template_no` if `partner_id` may use it, else `TEMPLATE_NOT_EXIST` (the same
/// for another merchant's template as for a missing one).
pub fn visible<'t>(
    template: Option<&'t TemplateTerms>,
    template_no: &str,
    partner_id: &str,
) -> Result<&'t TemplateTerms, Rejection> {
    template
        .filter(|t| t.visible_to(partner_id))
        .ok_or_else(|| {
            Rejection::new(
                CumulationCode::TemplateNotExist,
                format_args!("模板{template_no}不存在"),
            )
        })
}

/// `template.create`'s command: a request that passed zhima-proto `validate_template_create`.
pub type TemplateCreateCmd = ValidTemplateCreate;

/// A stored template with what `template.query` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRecord {
    /// Owner, freeze amount, period.
    pub terms: TemplateTerms,
    /// Mode, obligation, settle check.
    pub template: Template,
    /// The seven blocks as sent to `template.create` (JSON); `None` for a configured one.
    pub blocks_json: Option<String>,
}

/// A template `template.create` stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTemplate {
    /// Mode, obligation, settle check (**ours**: `DECOUPLED`, settle check on, tolerance 0).
    pub template: Template,
    /// Owner, freeze amount, period.
    pub terms: TemplateTerms,
    /// `basic_config.out_biz_no`, the idempotency key.
    pub out_biz_no: String,
    /// The blocks as sent (JSON).
    pub blocks_json: String,
    /// Digest of the blocks' canonical JSON.
    pub fingerprint: String,
    /// When it was created (business time).
    pub created: Time,
}

/// The outcome of `template.create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateDecision {
    /// Same blocks under the same key: the stored `template_no` again.
    Replay(String),
    /// Rejected: write nothing.
    Reject(Rejection),
    /// Store the template.
    Create(Box<NewTemplate>),
}

/// `template.create`: `REQUEST_ACCESS_ILLEGAL` unless `basic_config.partner_id` is the
/// caller's partner; idempotent on (`partner_id`, `out_biz_no`) over the blocks' fingerprint.
/// `existing` is the (`template_no`, fingerprint) stored under the key; `template_no` the
/// number a new template gets.
pub fn decide_create(
    cmd: &TemplateCreateCmd,
    caller: &Caller,
    existing: Option<&(String, String)>,
    template_no: String,
) -> TemplateDecision {
    if let Err(r) = check_access(&cmd.partner_id, caller) {
        return TemplateDecision::Reject(r);
    }
    let fingerprint = digest(&cmd.business_fingerprint());
    if let Some((no, prev)) = existing {
        return if *prev == fingerprint {
            TemplateDecision::Replay(no.clone())
        } else {
            TemplateDecision::Reject(Rejection::new(
                CumulationCode::IdempotentError,
                format_args!("out_biz_no {}已用于内容不同的模板", cmd.out_biz_no),
            ))
        };
    }
    let mut blocks = cmd.blocks.clone();
    if let Some(b) = blocks.basic_config.as_mut() {
        b.template_no = Some(template_no.clone());
    }
    TemplateDecision::Create(Box::new(NewTemplate {
        template: Template {
            template_no: template_no.clone(),
            mode: TemplateMode::Decoupled,
            obligation_times: cmd.obligation_times.map(i64::from),
            obligation_amount: cmd.obligation_amount,
            period_days: None,
            settle_check: true,
            settle_tolerance: Fen::ZERO,
        },
        terms: TemplateTerms {
            template_no,
            owner: Some(cmd.partner_id.clone()),
            freeze_amount: cmd.freeze_amount.unwrap_or(Fen::ZERO),
            period: cmd.period.clone(),
            period_days: None,
        },
        out_biz_no: cmd.out_biz_no.clone(),
        blocks_json: serde_json::to_string(&blocks).unwrap_or_default(),
        fingerprint,
        created: caller.business_now,
    }))
}

/// `template.query`: `REQUEST_ACCESS_ILLEGAL` unless `partner_id` is the caller's; the
/// template visible to the partner (else `TEMPLATE_NOT_EXIST`) answered with its stored blocks,
/// or for a configured template the blocks its configuration implies.
pub fn query_response(
    q: &ValidTemplateQuery,
    caller: &Caller,
    record: Option<&TemplateRecord>,
) -> Result<ZhimaMerchantZmgoTemplateQueryResponse, Rejection> {
    check_access(&q.partner_id, caller)?;
    let terms = record.map(|r| &r.terms);
    visible(terms, &q.template_no, &q.partner_id)?;
    let Some(r) = record else {
        return Err(Rejection::new(
            CumulationCode::TemplateNotExist,
            "模板不存在",
        ));
    };
    // template.query's response is template.create's model: the blocks as stored.
    Ok(match &r.blocks_json {
        Some(json) => serde_json::from_str(json).unwrap_or_default(),
        None => configured_blocks(r),
    })
}

/// The blocks a configured template's fields imply (`[[zmgo.templates]]`).
fn configured_blocks(r: &TemplateRecord) -> ZhimaMerchantZmgoTemplateCreateModel {
    let t = &r.template;
    let days = t.period_days.unwrap_or(period::DEFAULT_PERIOD_DAYS);
    ZhimaMerchantZmgoTemplateCreateModel {
        basic_config: Some(ZMGOBasicConfig {
            biz_type: Some(BIZ_TYPE.to_owned()),
            template_no: Some(t.template_no.clone()),
            ..Default::default()
        }),
        obligation_config: Some(ZMGOObligationConfig {
            obligation_amount: t.obligation_amount.map(Fen::to_yuan_string),
            obligation_times: t.obligation_times.map(|n| n.to_string()),
            ..Default::default()
        }),
        open_config: Some(ZMGOOpenConfig {
            period_mode: Some(PeriodMode::RelativeDate.as_str().to_owned()),
            period_time: Some(days.to_string()),
            freeze_amount: (r.terms.freeze_amount != Fen::ZERO)
                .then(|| r.terms.freeze_amount.to_yuan_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A created (or replayed) template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCreated {
    /// `template_no`.
    pub template_no: String,
    /// Whether this answers a repeated request.
    pub replayed: bool,
}

impl TemplateCreated {
    /// The wire success body.
    pub fn to_response(&self) -> ZhimaMerchantZmgoTemplateCreateResponse {
        ZhimaMerchantZmgoTemplateCreateResponse {
            template_no: Some(self.template_no.clone()),
        }
    }
}
