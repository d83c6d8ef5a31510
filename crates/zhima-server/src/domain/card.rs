//! The consumer's Zhima GO card (PRODUCT §13): what `/c/agreements/{agreement_no}` shows,
//! computed from stored rows. Amounts stay integer fen until formatted (`¥3.57`).

use zhima_proto::models::{AgreementStatus, BizAction};
use zhima_proto::money::Fen;

use crate::domain::consent::TemplateView;
use crate::domain::entities::{Agreement, Time};
use crate::domain::ledger::{AgreementTotals, LedgerEvent};

/// The rows the card is made of, read in one transaction.
#[derive(Debug, Clone)]
pub struct CardData {
    /// The agreement.
    pub agreement: Agreement,
    /// Its template (`None` if it no longer resolves).
    pub template: Option<TemplateView>,
    /// Its totals with the per-discount breakdown.
    pub totals: AgreementTotals,
    /// Its newest events, newest first.
    pub events: Vec<LedgerEvent>,
    /// The settlement's `pay_amount`, once settled.
    pub pay_amount: Option<Fen>,
}

/// Progress toward one obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Done so far, as shown (`2` or `¥3.57`).
    pub done: String,
    /// The target, as shown.
    pub target: String,
    /// 0–100, integer.
    pub percent: i64,
}

/// One history line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// `yyyy-MM-dd HH:mm` (UTC+8).
    pub time: String,
    /// `支付` or `退款`.
    pub action: &'static str,
    /// Whether it is a refund.
    pub refund: bool,
    /// What was bought or counted (`amount_name`, task name), if sent.
    pub label: Option<String>,
    /// Trade amount (`¥x`), empty when none.
    pub amount: String,
    /// Discount of the line (`¥x`), empty when none.
    pub discount: String,
}

/// The card, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The agreement number.
    pub agreement_no: String,
    /// `basic_config.template_name`, else `芝麻GO`.
    pub name: String,
    /// `生效中` / `结算中` / `已结束`.
    pub status: &'static str,
    /// CSS class of the status (`y`, `p`, `n`).
    pub status_class: &'static str,
    /// Period start and end, `yyyy-MM-dd`.
    pub period: (String, String),
    /// Whole days left (rounded up) while the agreement is `Y`.
    pub days_left: Option<i64>,
    /// Tasks toward `obligation_times`.
    pub tasks: Option<Progress>,
    /// Amount toward `obligation_amount`.
    pub amount: Option<Progress>,
    /// 累计优惠.
    pub savings: String,
    /// Savings by discount name (net, non-zero), by name.
    pub savings_by_name: Vec<(String, String)>,
    /// Tasks done by task name (net, non-zero), by name.
    pub tasks_by_name: Vec<(String, i64)>,
    /// History, newest first.
    pub history: Vec<HistoryLine>,
    /// `pay_amount` once settled.
    pub pay_amount: Option<String>,
}

fn yuan(f: Fen) -> String {
    format!("¥{}", f.to_yuan_string())
}

fn percent(done: i64, target: i64) -> i64 {
    if target <= 0 {
        return 100;
    }
    (done.max(0).saturating_mul(100) / target).clamp(0, 100)
}

fn template_name(t: Option<&TemplateView>) -> String {
    t.and_then(|t| t.blocks.as_deref())
        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .and_then(|v| {
            v["basic_config"]["template_name"]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "芝麻GO".to_owned())
}

/// The card of `data` at business time `now`.
pub fn card(data: &CardData, now: &Time) -> Card {
    let a = &data.agreement;
    let (status, status_class) = match a.status {
        AgreementStatus::Valid => ("生效中", "y"),
        AgreementStatus::Invalidating => ("结算中", "p"),
        AgreementStatus::Invalid => ("已结束", "n"),
    };
    let days_left = (a.status == AgreementStatus::Valid).then(|| {
        let ms = (a.end_time - *now).num_milliseconds().max(0);
        (ms + 86_400_000 - 1) / 86_400_000
    });
    let t = data.template.as_ref();
    let totals = &data.totals;
    let tasks = t.and_then(|t| t.obligation_times).map(|target| Progress {
        done: totals.task_count.to_string(),
        target: target.to_string(),
        percent: percent(totals.task_count, target),
    });
    let amount = t.and_then(|t| t.obligation_amount).map(|target| Progress {
        done: yuan(totals.trade_amount),
        target: yuan(target),
        percent: percent(totals.trade_amount.0, target.0),
    });
    let mut by_name: std::collections::BTreeMap<&str, Fen> = Default::default();
    for ((_, name), v) in &totals.discounts {
        *by_name.entry(name.as_str()).or_insert(Fen::ZERO) += *v;
    }
    let savings_by_name = by_name
        .into_iter()
        .filter(|(_, v)| *v != Fen::ZERO)
        .map(|(n, v)| (n.to_owned(), yuan(v)))
        .collect();
    let tasks_by_name = totals
        .tasks
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|(name, n)| (name.clone(), *n))
        .collect();
    let history = data
        .events
        .iter()
        .map(|e| {
            let refund = e.action == BizAction::OrderRefund;
            let discount = e.amounts.discount_total();
            HistoryLine {
                time: e.biz_time.format("%Y-%m-%d %H:%M").to_string(),
                action: if refund { "退款" } else { "支付" },
                refund,
                label: e.amount_name.clone().or_else(|| e.task_name.clone()),
                amount: if e.amounts.trade == Fen::ZERO {
                    String::new()
                } else {
                    yuan(e.amounts.trade)
                },
                discount: if discount == Fen::ZERO {
                    String::new()
                } else {
                    yuan(discount)
                },
            }
        })
        .collect();
    Card {
        agreement_no: a.agreement_no.clone(),
        name: template_name(t),
        status,
        status_class,
        period: (
            a.start_time.format("%Y-%m-%d").to_string(),
            a.end_time.format("%Y-%m-%d").to_string(),
        ),
        days_left,
        tasks,
        amount,
        savings: yuan(totals.discount_amount),
        savings_by_name,
        tasks_by_name,
        history,
        pay_amount: data.pay_amount.map(yuan),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_integer_and_bounded() {
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100);
        assert_eq!(percent(-2, 3), 0);
        assert_eq!(percent(0, 0), 100);
        assert_eq!(percent(357, 1000), 35);
    }

    #[test]
    fn the_name_comes_from_the_blocks() {
        let mut t = TemplateView {
            template_no: "T".into(),
            owner: None,
            blocks: Some(r#"{"basic_config":{"template_name":"周卡"}}"#.into()),
            freeze_amount: Fen::ZERO,
            obligation_times: None,
            obligation_amount: None,
            period_days: None,
            period_mode: None,
            period_time: None,
        };
        assert_eq!(template_name(Some(&t)), "周卡");
        t.blocks = Some("not json".into());
        assert_eq!(template_name(Some(&t)), "芝麻GO");
        assert_eq!(template_name(None), "芝麻GO");
    }
}
