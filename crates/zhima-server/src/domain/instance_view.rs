//! The consumer's page of a state-sync instance (PRODUCT §5, §13): its current state and
//! history, with the names the state machine gives its states (`name` in the config), the
//! code where it gives none.

use crate::domain::entities::Time;
use crate::domain::state_sync::CategoryConfig;

/// One accepted event, as the page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateStep {
    /// State before (`None` when the event created the instance).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// When it was accepted.
    pub at: Time,
    /// `biz_data` as received (a JSON object).
    pub biz_data: String,
}

/// One history line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLine {
    /// `yyyy-MM-dd HH:mm` (UTC+8).
    pub time: String,
    /// The state entered, by name.
    pub state: String,
    /// The state left, by name (`None` for the first event).
    pub from: Option<String>,
    /// The event's `biz_data` as `key: value` pairs (top-level members, by key).
    pub details: Vec<(String, String)>,
}

/// The page, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceView {
    /// The category's name, else its code.
    pub title: String,
    /// `out_principal_id` (the merchant's order or contract id).
    pub principal: String,
    /// The current state, by name.
    pub state: String,
    /// The current state's code.
    pub state_code: String,
    /// `已完成` when the current state is terminal, else `进行中`.
    pub status: &'static str,
    /// CSS class of the status (`done`, `open`).
    pub status_class: &'static str,
    /// When the current state was entered.
    pub since: Option<String>,
    /// History, newest first.
    pub history: Vec<StepLine>,
}

/// Longest `biz_data` value shown, in characters (the rest is cut with `…`).
const MAX_VALUE_CHARS: usize = 64;

/// The view of an instance of `category` (`None`: a category no longer configured, shown by
/// codes) in `current_state` with `steps` (oldest first).
pub fn instance_view(
    category_code: &str,
    category: Option<&CategoryConfig>,
    principal: &str,
    current_state: &str,
    steps: &[StateStep],
) -> InstanceView {
    let state_name = |code: &str| -> String {
        category
            .and_then(|c| c.states.iter().find(|s| s.code == code))
            .and_then(|s| s.name.clone())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| code.to_owned())
    };
    let terminal = category
        .and_then(|c| c.states.iter().find(|s| s.code == current_state))
        .is_some_and(|s| s.terminal);
    let fmt = |t: &Time| t.format("%Y-%m-%d %H:%M").to_string();
    let history = steps
        .iter()
        .rev()
        .map(|s| StepLine {
            time: fmt(&s.at),
            state: state_name(&s.to_state),
            from: s.from_state.as_deref().map(state_name),
            details: details(&s.biz_data),
        })
        .collect();
    InstanceView {
        title: category
            .and_then(|c| c.name.clone())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| category_code.to_owned()),
        principal: principal.to_owned(),
        state: state_name(current_state),
        state_code: current_state.to_owned(),
        status: if terminal { "已完成" } else { "进行中" },
        status_class: if terminal { "done" } else { "open" },
        since: steps.last().map(|s| fmt(&s.at)),
        history,
    }
}

/// The top-level members of a `biz_data` object as text (strings unquoted, other JSON as
/// written), by key, values cut at [`MAX_VALUE_CHARS`].
fn details(biz_data: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(biz_data) else {
        return Vec::new();
    };
    let mut pairs: Vec<(String, String)> = map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            let mut cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
            if cut.len() < text.len() {
                cut.push('…');
            }
            (k, cut)
        })
        .collect();
    // Key order, whatever map serde_json was built with.
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::state_sync::StateConfig;
    use chrono::TimeZone as _;

    fn state(code: &str, name: Option<&str>, terminal: bool) -> StateConfig {
        StateConfig {
            code: code.into(),
            name: name.map(str::to_owned),
            initial: !terminal,
            terminal,
            next: vec![],
            biz_data_schema: None,
        }
    }

    fn at(minute: u32) -> Time {
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2024, 5, 20, 10, minute, 0)
            .unwrap()
    }

    #[test]
    fn names_come_from_the_machine_and_history_is_newest_first() {
        let category = CategoryConfig {
            code: "WATCH_MOVIE".into(),
            name: Some("观影约定".into()),
            states: vec![
                state("BUY", Some("已购票"), false),
                state("WATCHED", None, true),
            ],
        };
        let steps = [
            StateStep {
                from_state: None,
                to_state: "BUY".into(),
                at: at(1),
                biz_data: r#"{"orderNo":"o-1","buyCnt":2}"#.into(),
            },
            StateStep {
                from_state: Some("BUY".into()),
                to_state: "WATCHED".into(),
                at: at(2),
                biz_data: "{}".into(),
            },
        ];
        let v = instance_view("WATCH_MOVIE", Some(&category), "m-1", "WATCHED", &steps);
        assert_eq!(v.title, "观影约定");
        assert_eq!((v.state.as_str(), v.status), ("WATCHED", "已完成"));
        assert_eq!(v.since.as_deref(), Some("2024-05-20 10:02"));
        assert_eq!(v.history[0].from.as_deref(), Some("已购票"));
        assert_eq!(v.history[1].state, "已购票");
        assert_eq!(
            v.history[1].details,
            [
                ("buyCnt".into(), "2".into()),
                ("orderNo".into(), "o-1".into())
            ]
        );
        let gone = instance_view("WATCH_MOVIE", None, "m-1", "BUY", &steps[..1]);
        assert_eq!(
            (gone.title.as_str(), gone.state.as_str()),
            ("WATCH_MOVIE", "BUY")
        );
        assert_eq!(gone.status, "进行中");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "长".repeat(100);
        let d = details(&format!(r#"{{"k":"{long}"}}"#));
        assert_eq!(d[0].1.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(d[0].1.ends_with('…'));
        assert!(details("not json").is_empty());
    }
}
