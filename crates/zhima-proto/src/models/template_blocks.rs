//! The seven configuration blocks of a Zhima GO template (`ZMGO*Config`, shared by
//! template.create and template.query).

use serde::{Deserialize, Serialize};

use super::de;
#[cfg(feature = "openapi")]
use super::openapi;

/// `basic_config`: who owns the template and its idempotency key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOBasicConfig {
    /// Business type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub biz_type: Option<String>,
    /// Merchant contact.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub contact: Option<String>,
    /// ISV PID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub isv_pid: Option<String>,
    /// Logo shown on the card.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub merchant_custom_logo: Option<String>,
    /// Merchant's idempotency key of the template. Required by template.create (a template
    /// declared in the configuration has none).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::OutBizNo>, inline))]
    pub out_biz_no: Option<String>,
    /// Merchant PID owning the template. Required by template.create (a template declared in
    /// the configuration has none).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Id>, inline))]
    pub partner_id: Option<String>,
    /// Template name. Required by template.create (a template declared in the configuration
    /// has none).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<openapi::Name>, inline))]
    pub template_name: Option<String>,
    /// Template number (answers only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub template_no: Option<String>,
}

/// `obligation_config`: the user's obligation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOObligationConfig {
    /// Benefit page URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub benefit_url: Option<String>,
    /// Amount obligation, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub obligation_amount: Option<String>,
    /// Obligation template.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub obligation_template: Option<String>,
    /// Times obligation (a decimal string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub obligation_times: Option<String>,
    /// Promise description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub promise_type_desc: Option<String>,
    /// Task progress link.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub task_progress_redirect_schema: Option<String>,
}

/// `open_config`: opening page, freeze and period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOOpenConfig {
    /// Apply button text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub apply_button_desc: Option<String>,
    /// APPOINT_DATE end time, or FIX_DATE day of month.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub appoint_date: Option<String>,
    /// Card colour (`C_BLACK`…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub card_color_scheme: Option<String>,
    /// Unfinished-task rules.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub custom_open_tip_list: Option<String>,
    /// Rule details.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub custom_open_tips: Option<String>,
    /// Guarantee amount frozen at signing, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub freeze_amount: Option<String>,
    /// Days between signings.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub min_sign_interval: Option<String>,
    /// How the period end is computed (`RELATIVE_DATE`…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub period_mode: Option<String>,
    /// Period length (days or months, per `period_mode`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub period_time: Option<String>,
    /// Show the sign success page.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub show_sign_success_page: Option<bool>,
    /// Link to sign again.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub sign_again_schema: Option<String>,
    /// Task button text on the success page.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub sign_success_task_button_desc: Option<String>,
    /// Deferral privilege (retired).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub support_expire_deferral: Option<bool>,
}

/// `quit_config`: how a user quits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOQuitConfig {
    /// Quit description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub quit_desc: Option<String>,
    /// Quit page URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub quit_jump_url: Option<String>,
    /// Quit type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub quit_type: Option<String>,
}

/// `right_config`: benefits shown to the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGORightConfig {
    /// Cumulated-benefit link.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub cumulative_preferential_redirect_schema: Option<String>,
    /// Benefit text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub custom_benefit_desc: Option<String>,
    /// Sub-benefit text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub custom_sub_benefit_desc: Option<String>,
}

/// `settlement_config`: how the period is settled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOSettlementConfig {
    /// Membership fee name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub custom_fee_name: Option<String>,
    /// Flexible cycle withholding.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub cycle_flex_withhold_config: Option<ZMGOCycleFlexConfig>,
    /// Cycle withholding.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_object"
    )]
    pub cycle_withhold_config: Option<ZMGOCycleWithholdConfig>,
    /// Expected settlement delay, days.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_i64"
    )]
    pub exp_stop_delay_days: Option<i64>,
    /// Expected settlement time (APPOINT_DATE).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub exp_stop_time: Option<String>,
    /// Expected settlement time mode.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub exp_stop_time_mode: Option<String>,
    /// Per-fulfilment plan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub fulfilltimes_custom_settlement_plan: Option<String>,
    /// `benefitSettlement` / `fulfillTimesCustomSettlement`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub settlement_type: Option<String>,
}

/// `settlement_config.cycle_flex_withhold_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOCycleFlexConfig {
    /// Fee name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub cycle_flex_withhold_fee_name: Option<String>,
    /// Max per period, yuan.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub cycle_flex_withhold_max_price: Option<String>,
    /// Total periods.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_i64"
    )]
    pub cycle_flex_withhold_total_period_count: Option<i64>,
}

/// `settlement_config.cycle_withhold_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOCycleWithholdConfig {
    /// Deduction plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduct_plan: Option<Vec<String>>,
    /// Exemption days.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub exemption_period: Option<String>,
    /// Period.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub period: Option<String>,
    /// `DAY` / `MONTH`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub period_type: Option<String>,
    /// Advanced mode.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub support_cycle_withhold_high_mode: Option<bool>,
    /// Exemption period supported.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub support_exemption_period: Option<bool>,
    /// Withholding mode.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub withhold_mode: Option<String>,
}

/// `ext_config`: text fill rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZMGOExtConfig {
    /// Fill rule id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub text_content_fill_rule_id: Option<String>,
    /// Fill variables.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_text"
    )]
    pub text_content_fill_variable: Option<String>,
}

wire_enum! {
    /// `open_config.period_mode`: how an agreement's end is computed (official spellings,
    /// including `ABSOLATE_DATE`).
    pub enum PeriodMode {
        /// `period_time` days after signing.
        RelativeDate = "RELATIVE_DATE",
        /// `period_time` days counting the signing day.
        AbsolateDate = "ABSOLATE_DATE",
        /// `period_time` days from the day after signing.
        AbsolutePlus1Date = "ABSOLUTE_PLUS_1_DATE",
        /// Day `appoint_date` of the month `period_time` months later.
        FixDate = "FIX_DATE",
        /// The fixed end `appoint_date` (`yyyy-MM-dd HH:mm:ss`).
        AppointDate = "APPOINT_DATE",
    }
}
