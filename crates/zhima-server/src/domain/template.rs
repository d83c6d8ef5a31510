//! Templates as the lifecycle sees them (PRODUCT §11): who may use one and the terms an
//! agreement signed under it gets. A template created by `template.create` belongs to its
//! merchant; one declared in the configuration (no owner) serves every merchant. Another
//! merchant's template is answered exactly like a missing one.

use zhima_proto::catalog::CumulationCode;
use zhima_proto::money::Fen;

use crate::domain::entities::Time;
use crate::domain::period::{self, TemplatePeriod};
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
