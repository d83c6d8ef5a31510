//! The SQL of the operator's searches (`admin_reads`), composed once for both engines: only
//! the conditions a filter sets are added (so each variant can use its index), values are
//! always bound, never spliced. Engines differ only in placeholders (`?1` vs `$1`) and in how
//! they bind an [`Arg`].

use crate::domain::admin::{AgreementFilter, AuditSearch, EventSearch, InstanceSearch};
use crate::domain::entities::Time;

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// Placeholder style of an engine.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Style {
    /// SQLite `?N`.
    Question,
    /// PostgreSQL `$N`.
    Dollar,
}

/// A statement and its arguments, in placeholder order.
#[derive(Debug)]
pub(crate) struct Query {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

struct Builder {
    style: Style,
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Builder {
    fn new(style: Style) -> Self {
        Builder {
            style,
            conds: Vec::new(),
            args: Vec::new(),
        }
    }

    /// The placeholder of a new argument.
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        match self.style {
            Style::Question => format!("?{}", self.args.len()),
            Style::Dollar => format!("${}", self.args.len()),
        }
    }

    /// `template` with every `{}` replaced by the placeholder of `arg` (one argument, used
    /// once or several times).
    fn cond(&mut self, template: &str, arg: Arg) {
        let p = self.bind(arg);
        self.conds.push(template.replace("{}", &p));
    }

    fn text(&mut self, template: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.cond(template, Arg::Text(v.clone()));
        }
    }

    fn int(&mut self, template: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.cond(template, Arg::Int(v));
        }
    }

    fn time(&mut self, template: &str, value: &Option<Time>) {
        self.int(template, value.as_ref().map(|t| t.timestamp_millis()));
    }

    /// `SELECT {columns} FROM {from} WHERE … {tail} LIMIT n`.
    fn finish(mut self, columns: &str, from: &str, tail: &str, limit: i64) -> Query {
        let wh = if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        };
        let lim = self.bind(Arg::Int(limit));
        Query {
            sql: format!("SELECT {columns} FROM {from}{wh} {tail} LIMIT {lim}"),
            args: self.args,
        }
    }
}

/// Agreements by number after the cursor.
pub(crate) fn agreements(style: Style, columns: &str, f: &AgreementFilter, limit: i64) -> Query {
    let mut b = Builder::new(style);
    b.text("status = {}", &f.status.map(|s| s.as_str().to_owned()));
    b.text("template_no = {}", &f.template_no);
    b.text("partner_id = {}", &f.partner_id);
    b.text("(user_id = {} OR open_id = {})", &f.user);
    b.text("agreement_no > {}", &f.after);
    b.finish(columns, "agreements", "ORDER BY agreement_no", limit)
}

/// Cumulation events, newest first.
pub(crate) fn events(style: Style, columns: &str, s: &EventSearch, limit: i64) -> Query {
    let mut b = Builder::new(style);
    b.text("out_biz_no = {}", &s.out_biz_no);
    b.text("agreement_no = {}", &s.agreement_no);
    b.text("(user_id = {} OR open_id = {})", &s.user);
    b.text("partner_id = {}", &s.partner_id);
    b.time("received_at_ms >= {}", &s.from);
    b.time("received_at_ms < {}", &s.to);
    b.int("seq < {}", s.before_seq);
    b.finish(columns, "cumulation_events", "ORDER BY seq DESC", limit)
}

/// The columns [`instances`] selects, in the order engines decode them.
pub(crate) const INSTANCE_COLUMNS: &str = "i.id, i.service_id, i.category_code, i.user_id, \
     i.out_principal_id, i.current_state, i.created_at_ms, i.updated_at_ms, \
     (SELECT COUNT(*) FROM state_events e WHERE e.instance_id = i.id)";

/// State-sync instances, newest first.
pub(crate) fn instances(style: Style, s: &InstanceSearch, limit: i64) -> Query {
    let mut b = Builder::new(style);
    b.text("i.service_id = {}", &s.service_id);
    b.text("i.category_code = {}", &s.category_code);
    b.text("i.user_id = {}", &s.user_id);
    b.text("i.out_principal_id = {}", &s.out_principal_id);
    b.text(
        "i.id IN (SELECT e.instance_id FROM state_events e WHERE e.out_biz_no = {})",
        &s.out_biz_no,
    );
    b.int("i.id < {}", s.before_id);
    b.finish(
        INSTANCE_COLUMNS,
        "state_instances i",
        "ORDER BY i.id DESC",
        limit,
    )
}

/// The columns [`audit`] selects.
pub(crate) const AUDIT_COLUMNS: &str = "id, at_ms, app_id, method, outcome, latency_us";

/// Audit entries, newest first.
pub(crate) fn audit(style: Style, s: &AuditSearch, limit: i64) -> Query {
    let mut b = Builder::new(style);
    b.text("app_id = {}", &s.app_id);
    b.text("method = {}", &s.api);
    b.text("outcome = {}", &s.outcome);
    b.time("at_ms >= {}", &s.from);
    b.time("at_ms < {}", &s.to);
    b.int("id < {}", s.before_id);
    b.finish(AUDIT_COLUMNS, "audit_log", "ORDER BY id DESC", limit)
}

/// Row counts of the dashboard, one row of six.
pub(crate) const COUNTS_SQL: &str = "SELECT (SELECT COUNT(*) FROM apps), \
     (SELECT COUNT(*) FROM agreements), (SELECT COUNT(*) FROM cumulation_events), \
     (SELECT COUNT(*) FROM state_instances), (SELECT COUNT(*) FROM state_events), \
     (SELECT COUNT(*) FROM audit_log)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_set_filters_become_conditions() {
        let q = events(
            Style::Dollar,
            "seq",
            &EventSearch {
                user: Some("u".into()),
                before_seq: Some(9),
                ..Default::default()
            },
            5,
        );
        assert_eq!(
            q.sql,
            "SELECT seq FROM cumulation_events WHERE (user_id = $1 OR open_id = $1) AND seq < $2 ORDER BY seq DESC LIMIT $3"
        );
        assert_eq!(
            q.args,
            vec![Arg::Text("u".into()), Arg::Int(9), Arg::Int(5)]
        );
        let all = audit(Style::Question, &AuditSearch::default(), 3);
        assert_eq!(
            all.sql,
            format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?1")
        );
    }
}
